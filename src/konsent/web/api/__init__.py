"""REST API `/api/v1` for the host system: one router per resource."""

from fastapi import APIRouter

from konsent.web.api import (
    automations,
    campaigns,
    consents,
    customers,
    decide,
    doi,
    events,
    ledger,
    messages,
    organisations,
    purchases,
    rights,
    texts,
    webhooks,
)

router = APIRouter(prefix="/api/v1")
for module in (organisations, customers, purchases, consents, doi, decide, texts, events, campaigns, messages,
               rights, ledger, automations, webhooks):
    router.include_router(module.router)
