"""Unsubscribe: `/u/<token>` from the link in every advertising message.

GET shows one button and changes nothing (link scanners open it). POST unsubscribes — from the
button, and as RFC 8058 one-click from the mailbox provider (`List-Unsubscribe=One-Click`, urlencoded
or multipart): no cookie, no CSRF token, no login, never a redirect, 200. The link token is the only
credential. No rate limit either: a withdrawal must always get through (Art. 7 (3) GDPR), and the
large mailbox providers send everyone's one-clicks from a few addresses.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from konsent import tokens
from konsent.services import links, preferences, unsubscribe
from konsent.web.deps import konsent_of
from konsent.web.public import common, pages

router = APIRouter()
ONE_CLICK = "One-Click"


@router.get("/u/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    app = konsent_of(request)
    try:
        message = unsubscribe.message_of(app, token)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    return pages.render(request, "unsubscribe.html", lang=_locale(request, message.organisation_id,
                        message.customer_id), brand=_brand(request, token), channel=message.channel, token=token)


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe_now(request: Request, token: str) -> HTMLResponse:
    evidence = common.evidence_of(request)
    if await _one_click(request):
        evidence["note"] = "RFC 8058 one-click"
    return await run_in_threadpool(_unsubscribe, request, token, evidence)


def _unsubscribe(request: Request, token: str, evidence: dict[str, str]) -> HTMLResponse:
    app = konsent_of(request)
    try:
        done = unsubscribe.one_click(app, token, evidence=evidence)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    link = preferences.url_for(app, done.organisation_id, done.customer_id)
    return pages.render(request, "unsubscribed.html", lang=_locale(request, done.organisation_id, done.customer_id),
                        brand=_brand(request, token), channel=done.channel, preferences_url=link)


def _locale(request: Request, organisation_id: str, customer_id: str) -> str:
    return pages.locale_of(links.customer_locale(konsent_of(request), organisation_id, customer_id))


def _brand(request: Request, token: str) -> pages.Brand | None:
    return pages.brand_of(links.signed_by(konsent_of(request), token, tokens.UNSUBSCRIBE))


async def _one_click(request: Request) -> bool:
    try:
        form = await common.form_of(request)
    except HTTPException:
        return False  # a body we cannot read is still an unsubscribe: the link alone decides
    return form.get("List-Unsubscribe") == ONE_CLICK


def _refused(request: Request, token: str, error: tokens.TokenError) -> HTMLResponse:
    organisation = links.signed_by(konsent_of(request), token, tokens.UNSUBSCRIBE)
    lang = pages.locale_of(organisation.locale) if organisation else pages.accepted_locale(request)
    return pages.link_refused(request, error, lang=lang, brand=pages.brand_of(organisation))
