"""The staff UI (server-rendered): the owner's, the staff's and the data protection officer's konsent."""

from fastapi import APIRouter

from konsent.web.staff import (
    account,
    automations,
    campaigns,
    complaints,
    consent,
    customers,
    dashboard,
    library,
    oversight,
    reports,
)

router = APIRouter(prefix="/staff", include_in_schema=False)
for module in (account, customers, consent, complaints, oversight,
               dashboard, campaigns, automations, library, reports):
    router.include_router(module.router)
