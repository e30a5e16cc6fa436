"""Double opt-in: `/c/<token>` shows what is to be confirmed; only its button confirms.

Mail gateways and link scanners open every link in a message, so GET shows one button and changes
nothing; POST confirms (with the browser's address and user agent as evidence). Confirming twice
shows the same thank-you page.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from konsent import tokens
from konsent.services import doi, links, preferences, signups
from konsent.web.deps import konsent_of
from konsent.web.public import common, pages

router = APIRouter()


@router.get("/c/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    app = konsent_of(request)
    try:
        pending = signups.pending(app, token)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    lang = pages.locale_of(pending.locale)
    if pending.confirmed_at is not None:
        return _thanks(request, pending, lang, already=True)
    return pages.render(request, "doi_confirm.html", lang=lang, brand=pages.brand_of(pending.organisation),
                        pending=pending, token=token)


@router.post("/c/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    app = konsent_of(request)
    wait = common.limited(request)
    if wait is not None:
        organisation = links.signed_by(app, token, tokens.DOI)
        lang = pages.locale_of(organisation.locale) if organisation else pages.accepted_locale(request)
        return pages.too_many(request, wait, lang=lang, brand=pages.brand_of(organisation))
    try:
        confirmed = doi.confirm(app, token, evidence=common.evidence_of(request))
        pending = signups.pending(app, token)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    return _thanks(request, pending, pages.locale_of(pending.locale), already=confirmed.status != "confirmed")


def _thanks(request: Request, pending: signups.Pending, lang: str, *, already: bool) -> HTMLResponse:
    app = konsent_of(request)
    link = preferences.url_for(app, pending.organisation.id, pending.customer_id)
    return pages.render(request, "doi_done.html", lang=lang, brand=pages.brand_of(pending.organisation),
                        pending=pending, preferences_url=link, already=already)


def _refused(request: Request, token: str, error: tokens.TokenError) -> HTMLResponse:
    organisation = links.signed_by(konsent_of(request), token, tokens.DOI)
    lang = pages.locale_of(organisation.locale) if organisation else pages.accepted_locale(request)
    return pages.link_refused(request, error, lang=lang, brand=pages.brand_of(organisation))
