"""Pages a customer sees: confirm a sign-up, unsubscribe, preferences, the sign-up form; provider hooks."""

from fastapi import APIRouter

from konsent.web.public import doi, preferences, signup, sms, unsubscribe

router = APIRouter(include_in_schema=False)
for module in (doi, unsubscribe, preferences, signup, sms):
    router.include_router(module.router)
