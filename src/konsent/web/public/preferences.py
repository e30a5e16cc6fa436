"""The preference centre: `/p/<token>` — what the organisation may send this person, and the means to
change it. Every change is a POST with a CSRF token (the page is reached by a link that may sit in
a browser's history; a form on another site must not be able to use it). Never framed.
"""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from konsent import tokens
from konsent.domain import Purpose
from konsent.errors import InputError, RateLimited
from konsent.services import doi, links, preferences
from konsent.web import csrf
from konsent.web.deps import konsent_of
from konsent.web.public import common, pages
from konsent.web.public.words import WORDS

router = APIRouter()
SCOPE = "preferences"


@router.get("/p/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    try:
        centre = preferences.open_centre(konsent_of(request), token)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    return _page(request, token, centre)


@router.post("/p/{token}/{action}", response_class=HTMLResponse)
async def act(request: Request, token: str, action: str) -> HTMLResponse:
    form = await common.form_of(request)
    return await run_in_threadpool(_act, request, token, action, form)


def _act(request: Request, token: str, action: str, form: FormData) -> HTMLResponse:
    app = konsent_of(request)
    organisation = links.signed_by(app, token, tokens.PREFERENCES)
    lang = pages.locale_of(organisation.locale if organisation else pages.accepted_locale(request))
    brand = pages.brand_of(organisation)
    words = WORDS[lang]
    if action not in ACTIONS:
        return pages.not_found(request, lang=lang)
    wait = common.limited(request)
    if wait is not None:
        return pages.too_many(request, wait, lang=lang, brand=brand)
    try:
        csrf.check(request, app.settings, SCOPE, common.text(form, csrf.FIELD, 1000))
    except csrf.CsrfRefused:
        return pages.refusal(request, lang=lang, brand=brand, status=403, title=words["csrf_title"],
                             message=words["csrf_body"])
    try:
        centre, notice = ACTIONS[action](request, token, form)
    except tokens.TokenError as error:
        return _refused(request, token, error)
    except InputError as error:
        return pages.refusal(request, lang=lang, brand=brand, status=422, title=words["invalid_title"],
                             message=f"{error.field}: {words['errors']['invalid']}")
    return _page(request, token, centre, notice=notice)


def _withdraw(request: Request, token: str, form: FormData) -> tuple[preferences.Centre, str]:
    centre = preferences.withdraw(konsent_of(request), token, channel=common.text(form, "channel", 20),
                                  purpose=common.text(form, "purpose", 40), evidence=common.evidence_of(request))
    return centre, "withdrawn"


def _stop(request: Request, token: str, form: FormData) -> tuple[preferences.Centre, str]:
    centre = preferences.stop_channel(konsent_of(request), token, channel=common.text(form, "channel", 20),
                                      evidence=common.evidence_of(request))
    return centre, "stopped"


def _everything(request: Request, token: str, form: FormData) -> tuple[preferences.Centre, str]:
    return preferences.stop_everything(konsent_of(request), token, evidence=common.evidence_of(request)), "everything"


def _data(request: Request, token: str, form: FormData) -> tuple[preferences.Centre, str]:
    return preferences.request_data(konsent_of(request), token), "data"


def _consent(request: Request, token: str, form: FormData) -> tuple[preferences.Centre, str]:
    app = konsent_of(request)
    try:
        requested = preferences.ask(app, token, channel=common.text(form, "channel", 20),
                                    purpose=common.text(form, "purpose", 40), text_id=common.text(form, "text_id", 36),
                                    evidence=common.evidence_of(request))
        notice = "asked" if requested is not None and requested.status == "sent" else "refused"
    except RateLimited:
        notice = "limited"
    return preferences.open_centre(app, token), notice


ACTIONS: dict[str, Callable[[Request, str, FormData], tuple[preferences.Centre, str]]] = {
    "withdraw": _withdraw, "stop": _stop, "everything": _everything, "data": _data, "consent": _consent,
}


def _page(request: Request, token: str, centre: preferences.Centre, *, notice: str | None = None) -> HTMLResponse:
    settings = konsent_of(request).settings
    issued = csrf.issue(request, settings, SCOPE)
    lang = pages.locale_of(centre.locale)
    words = WORDS[lang]
    cells = {(cell.channel, cell.purpose): cell for cell in centre.cells}
    rows = [(kind.value, [cells[channel, kind.value] for channel in centre.channels]) for kind in preferences.KINDS]
    seen: set[tuple[str, str]] = set()
    agreements = []
    for agreement in centre.agreements:  # one button per channel and purpose: it withdraws them all
        pair = (agreement.channel, agreement.purpose)
        agreements.append((agreement, pair not in seen))
        seen.add(pair)
    contacts = ", ".join(words["postal"] if kind == "postal" else value for kind, value in centre.contacts.items())
    response = pages.render(
        request, "preferences.html", lang=lang, brand=pages.brand_of(centre.organisation), centre=centre,
        token=token, csrf_token=issued.token, notice=notice, rows=rows, agreements=agreements, contacts=contacts,
        ask_channels=[c for c in centre.channels if c in doi.CHANNELS], purposes=[p.value for p in Purpose],
    )
    csrf.set_cookie(response, settings, issued)
    return response


def _refused(request: Request, token: str, error: tokens.TokenError) -> HTMLResponse:
    organisation = links.signed_by(konsent_of(request), token, tokens.PREFERENCES)
    lang = pages.locale_of(organisation.locale) if organisation else pages.accepted_locale(request)
    return pages.link_refused(request, error, lang=lang, brand=pages.brand_of(organisation))
