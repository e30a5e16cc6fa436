"""The embeddable sign-up form `/s/<slug>`, its SMS code form, and the existing-customer notice.

Plain HTML that works without JavaScript. `?embed=1` may be framed by any page (the host's
booking or shop page) and says so in its own CSP; without it the form is never framed. A framed
sign-up form is harmless — the consent needs a confirmation over the channel anyway — whereas
the preference centre, which acts for a known person, is never framed.

Query parameters of the GET, for the host's embed code: `lang` (de|en; default the
organisation's), `text` (the consent text's key, default newsletter), `purposes` (comma-separated,
default newsletter), `channels` (email,sms by default), `embed=1`.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from konsent.domain import Purpose
from konsent.errors import InputError, NotFound, RateLimited
from konsent.services import preferences, signups
from konsent.storage import tables as t
from konsent.web import csrf, security
from konsent.web.deps import konsent_of
from konsent.web.public import common, pages
from konsent.web.public.words import WORDS

router = APIRouter()
FRAMEABLE_CSP = security.CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
HONEYPOT = "website"  # people never see it and leave it empty; form-filling robots do not


@dataclass(frozen=True)
class Setup:
    """What the host asked the form to offer."""

    lang: str | None
    key: str
    choices: tuple[str, ...]  # "channel:purpose"
    embed: bool


@router.get("/s/{slug}", response_class=HTMLResponse)
def form(request: Request, slug: str) -> HTMLResponse:
    embed = _embedded(request)
    try:
        setup = _setup(request)
        page = signups.signup_page(konsent_of(request), slug, locale=setup.lang, key=setup.key)
    except NotFound:
        return pages.not_found(request, lang=pages.accepted_locale(request))
    except InputError as error:
        words = WORDS[pages.accepted_locale(request)]
        return _framed(pages.refusal(request, lang=pages.accepted_locale(request), brand=None, status=422,
                                     title=words["invalid_title"], message=str(error), embed=embed), embed)
    referer = request.headers.get("referer", "")
    page_url = referer if referer.startswith(("https://", "http://")) and len(referer) <= 2000 else ""
    return _form(request, page, setup, page_url=page_url, values={}, problems={})


@router.post("/s/{slug}", response_class=HTMLResponse)
async def submit(request: Request, slug: str) -> HTMLResponse:
    posted = await common.form_of(request)
    return await run_in_threadpool(_submit, request, slug, posted)


def _submit(request: Request, slug: str, posted: FormData) -> HTMLResponse:
    app = konsent_of(request)
    embed = _embedded(request)
    try:
        page = signups.signup_page(app, slug, locale=common.text(posted, "lang", 5),
                                   text_id=common.text(posted, "text_id", 36))
    except NotFound:
        return pages.not_found(request, lang=pages.accepted_locale(request))
    organisation, lang = page.organisation, page.locale
    refused = _guarded(request, posted, organisation, lang=lang, embed=embed)
    if refused is not None:
        return refused
    email, phone = common.text(posted, "email"), common.text(posted, "phone", 40)
    if common.text(posted, HONEYPOT):
        # Answered like a success, so that the robot learns nothing; nothing is written.
        return _done(request, organisation, lang=lang, embed=embed, email=email, phone=phone, sms=False,
                     limited=False)
    chosen = [v for v in posted.getlist("consent") if isinstance(v, str)]
    offered = tuple(v for v in posted.getlist("offer") if isinstance(v, str) and _known(v)) or _default_choices()
    page_url = common.text(posted, "page_url", 2001) or f"{app.settings.server.public_url.rstrip('/')}/s/{slug}"
    submitted = signups.SignupForm(
        email=email, phone=phone or None, choices=chosen, text_id=common.text(posted, "text_id", 36), locale=lang,
        evidence=common.evidence_of(request, page_url),
    )
    try:
        done = signups.sign_up(app, organisation.id, submitted)
    except signups.SignupRefused as refusal:
        setup = Setup(lang, signups.DEFAULT_TEXT_KEY, offered, embed)
        return _form(request, page, setup, page_url=page_url, values={"email": email, "phone": phone,
                     "consent": chosen}, problems=refusal.problems, status=422)
    return _done(request, organisation, lang=lang, embed=embed, email=email, phone=phone,
                 sms="sms" in done.channels, limited=done.limited)


@router.get("/s/{slug}/code", response_class=HTMLResponse)
def code_form(request: Request, slug: str) -> HTMLResponse:
    try:
        page = signups.signup_page(konsent_of(request), slug, locale=request.query_params.get("lang"))
    except NotFound:
        return pages.not_found(request, lang=pages.accepted_locale(request))
    return _code_page(request, page.organisation, lang=page.locale, embed=_embedded(request), phone="", problems={})


@router.post("/s/{slug}/code", response_class=HTMLResponse)
async def code_submit(request: Request, slug: str) -> HTMLResponse:
    posted = await common.form_of(request)
    return await run_in_threadpool(_code_submit, request, slug, posted)


def _code_submit(request: Request, slug: str, posted: FormData) -> HTMLResponse:
    app = konsent_of(request)
    embed = _embedded(request)
    try:
        page = signups.signup_page(app, slug, locale=common.text(posted, "lang", 5))
    except NotFound:
        return pages.not_found(request, lang=pages.accepted_locale(request))
    organisation, lang = page.organisation, page.locale
    refused = _guarded(request, posted, organisation, lang=lang, embed=embed)
    if refused is not None:
        return refused
    phone = common.text(posted, "phone", 40)
    try:
        pending = signups.confirm_code(app, organisation.id, phone, common.text(posted, "code", 20),
                                       evidence=common.evidence_of(request))
    except InputError as error:
        problem = "code_wrong" if error.field == "code" else ("phone_invalid" if phone.strip() else "phone_missing")
        return _code_page(request, organisation, lang=lang, embed=embed, phone=phone,
                          problems={"code" if error.field == "code" else "phone": problem}, status=422)
    except RateLimited:
        return _code_page(request, organisation, lang=lang, embed=embed, phone=phone,
                          problems={"code": "code_locked"}, status=429)
    # The person has shown they hold the number: the preference centre is theirs to see.
    link = preferences.url_for(app, organisation.id, pending.customer_id)
    return _framed(pages.render(request, "doi_done.html", lang=pages.locale_of(pending.locale),
                                brand=pages.brand_of(organisation), pending=pending, preferences_url=link,
                                already=False, embed=embed), embed)


@router.get("/s/{slug}/notice", response_class=HTMLResponse)
def notice(request: Request, slug: str) -> HTMLResponse:
    """The objection notice a booking or checkout page shows where it collects the email address,
    for the existing-customer privilege (§7 (3) UWG, §174 (4) TKG, Art. 3 (1) o UWG-CH)."""
    try:
        page = signups.signup_page(konsent_of(request), slug, locale=request.query_params.get("lang"))
    except NotFound:
        return pages.not_found(request, lang=pages.accepted_locale(request))
    words = WORDS[page.locale]
    snippet = f'<p class="objection-notice">{words["notice_snippet"]}</p>'
    return pages.render(request, "notice.html", lang=page.locale, brand=pages.brand_of(page.organisation),
                        law=words["laws"].get(page.organisation.jurisdiction, words["laws"]["DE"]), snippet=snippet)


def _form(
    request: Request, page: signups.SignupPage, setup: Setup, *, page_url: str, values: dict[str, Any],
    problems: dict[str, str], status: int = 200,
) -> HTMLResponse:
    words = WORDS[page.locale]
    brand = pages.brand_of(page.organisation)
    if page.text is None:
        return _framed(pages.refusal(request, lang=page.locale, brand=brand, status=404,
                                     title=words["signup_title"].format(org=page.organisation.name),
                                     message=words["signup_unavailable"], embed=setup.embed), setup.embed)
    settings = konsent_of(request).settings
    issued = csrf.issue(request, settings, _scope(page.organisation))
    choices = [(value, *signups.choice(value)) for value in setup.choices]
    response = pages.render(
        request, "signup.html", lang=page.locale, brand=brand, status=status, slug=page.organisation.slug,
        text=page.text, choices=choices, values=values, problems=problems, page_url=page_url,
        csrf_token=issued.token, embed=setup.embed,
    )
    csrf.set_cookie(response, settings, issued, framed=setup.embed)
    return _framed(response, setup.embed)


def _done(
    request: Request, organisation: t.Organisation, *, lang: str, embed: bool, email: str, phone: str, sms: bool,
    limited: bool,
) -> HTMLResponse:
    settings = konsent_of(request).settings
    issued = csrf.issue(request, settings, _scope(organisation))
    response = pages.render(request, "signup_done.html", lang=lang, brand=pages.brand_of(organisation),
                            slug=organisation.slug, email=email.strip(), phone=phone.strip(), sms=sms, limited=limited,
                            csrf_token=issued.token, problems={}, embed=embed)
    csrf.set_cookie(response, settings, issued, framed=embed)
    return _framed(response, embed)


def _code_page(
    request: Request, organisation: t.Organisation, *, lang: str, embed: bool, phone: str, problems: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    settings = konsent_of(request).settings
    issued = csrf.issue(request, settings, _scope(organisation))
    response = pages.render(request, "code.html", lang=lang, brand=pages.brand_of(organisation), status=status,
                            slug=organisation.slug, phone=phone, problems=problems, csrf_token=issued.token,
                            embed=embed)
    csrf.set_cookie(response, settings, issued, framed=embed)
    return _framed(response, embed)


def _guarded(
    request: Request, posted: FormData, organisation: t.Organisation, *, lang: str, embed: bool,
) -> HTMLResponse | None:
    """Rate limit, then CSRF: the answer to a request that goes no further, or None."""
    app = konsent_of(request)
    brand = pages.brand_of(organisation)
    wait = common.limited(request, signup=True)
    if wait is not None:
        return _framed(pages.too_many(request, wait, lang=lang, brand=brand, embed=embed), embed)
    try:
        csrf.check(request, app.settings, _scope(organisation), common.text(posted, csrf.FIELD, 1000))
    except csrf.CsrfRefused:
        words = WORDS[lang]
        # A framed form whose cookie the browser blocked works in a window of its own.
        standalone = f"{app.settings.server.public_url.rstrip('/')}/s/{organisation.slug}?lang={lang}"
        return _framed(pages.refusal(request, lang=lang, brand=brand, status=403, title=words["csrf_title"],
                                     message=words["csrf_body"], embed=embed,
                                     retry_url=standalone if embed else None), embed)
    return None


def _framed(response: HTMLResponse, embed: bool) -> HTMLResponse:
    if embed:
        response.headers["Content-Security-Policy"] = FRAMEABLE_CSP
    return response


def _embedded(request: Request) -> bool:
    return request.query_params.get("embed") == "1"


def _setup(request: Request) -> Setup:
    query = request.query_params
    lang = query.get("lang")
    if lang is not None and lang not in pages.LOCALES:
        raise InputError("lang", "must be de or en")
    key = query.get("text") or signups.DEFAULT_TEXT_KEY
    if len(key) > 100:
        raise InputError("text", "is longer than 100 characters")
    purposes = [p for p in (query.get("purposes") or Purpose.NEWSLETTER.value).split(",") if p]
    channels = [c for c in (query.get("channels") or ",".join(signups.CHANNELS)).split(",") if c]
    for purpose in purposes:
        if purpose not in {p.value for p in Purpose}:
            raise InputError("purposes", f"unknown purpose {purpose[:40]!r}")
    for channel in channels:
        if channel not in signups.CHANNELS:
            raise InputError("channels", "must be email, sms or both")
    choices = tuple(dict.fromkeys(f"{c}:{p}" for c in channels for p in purposes))
    return Setup(lang, key, choices, _embedded(request))


def _default_choices() -> tuple[str, ...]:
    return tuple(f"{channel}:{Purpose.NEWSLETTER.value}" for channel in signups.CHANNELS)


def _known(value: str) -> bool:
    try:
        signups.choice(value)
    except InputError:
        return False
    return True


def _scope(organisation: t.Organisation) -> str:
    return f"signup:{organisation.id}"
