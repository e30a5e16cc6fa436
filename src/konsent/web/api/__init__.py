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
    reports,
    rights,
    templates_api,
    texts,
    webhooks,
)

router = APIRouter(prefix="/api/v1")
# `decide` first: requests are matched against the routers in this order, and it is the hot path.
for module in (decide, organisations, customers, purchases, consents, doi, texts, events, campaigns, messages,
               rights, ledger, automations, reports, templates_api, webhooks):
    router.include_router(module.router)
