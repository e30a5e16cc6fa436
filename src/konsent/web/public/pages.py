"""Rendering the public pages: one sandboxed, autoescaping Jinja2 environment, the organisation's
name, logo and imprint on every page, German or English.

Everything on these pages that an organisation or a person typed (names, imprints, consent texts,
addresses) is someone else's input: it is escaped, and URLs are shown only when they are http(s).
No page has an inline script or style — the CSP forbids both — and none needs JavaScript.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from konsent import tokens
from konsent.storage import tables as t
from konsent.web.public.words import WORDS

LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"  # the product's home: DE, AT, CH


@dataclass(frozen=True, slots=True)
class Brand:
    """Who runs the page: shown on every one of them (the Impressum belongs on each page)."""

    name: str
    logo_url: str | None
    imprint: str | None
    privacy_url: str | None
    timezone: str = "Europe/Berlin"


def brand_of(organisation: t.Organisation | None) -> Brand | None:
    if organisation is None:
        return None
    imprint = organisation.imprint or "\n".join(
        line for line in (organisation.sender_name or organisation.name, organisation.sender_address) if line)
    return Brand(organisation.name, _web_url(organisation.logo_url), imprint, _web_url(organisation.privacy_url),
                 organisation.timezone)


def _web_url(value: str | None) -> str | None:
    # A javascript: or data: URL in an href would be a script; only the web's own schemes are linked.
    return value if value and value.startswith(("https://", "http://")) and len(value) <= 2000 else None


def locale_of(*candidates: str | None) -> str:
    """The first known locale: the customer's, then the organisation's."""
    return next((c for c in candidates if c in LOCALES), DEFAULT_LOCALE)


def accepted_locale(request: Request) -> str:
    """For a page that knows no organisation (a forged link): the browser's preference."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=PackageLoader("konsent.web", "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["day"] = day
    env.filters["moment"] = moment
    return env


def day(at: datetime, timezone: str, lang: str) -> str:
    local = _local(at, timezone)
    return f"{local:%d.%m.%Y}" if lang == "de" else f"{local:%Y-%m-%d}"


def moment(at: datetime, timezone: str, lang: str) -> str:
    local = _local(at, timezone)
    return f"{local:%d.%m.%Y, %H:%M} Uhr" if lang == "de" else f"{local:%Y-%m-%d %H:%M}"


def _local(at: datetime, timezone: str) -> datetime:
    try:
        return at.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return at


def render(
    request: Request, template: str, *, lang: str, brand: Brand | None, status: int = 200,
    headers: dict[str, str] | None = None, **context: Any,
) -> HTMLResponse:
    base = request.scope.get("root_path", "").rstrip("/")
    page = environment().get_template(f"public/{template}").render(
        lang=lang, w=WORDS[lang], brand=brand, base=base, embed=context.pop("embed", False), **context)
    response = HTMLResponse(page, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"  # pages behind a link token are nobody else's
    return response


def refusal(
    request: Request, *, lang: str, brand: Brand | None, status: int, title: str, message: str,
    headers: dict[str, str] | None = None, embed: bool = False, **context: Any,
) -> HTMLResponse:
    return render(request, "message.html", lang=lang, brand=brand, status=status, headers=headers, title=title,
                  message=message, embed=embed, **context)


def link_refused(request: Request, error: tokens.TokenError, *, lang: str, brand: Brand | None) -> HTMLResponse:
    """A link that cannot be honoured: said kindly, with the status a machine understands."""
    words = WORDS[lang]
    if isinstance(error, tokens.TokenExpired):
        status, title = 410, words["link_expired_title"]
    elif isinstance(error, tokens.TokenInvalid):
        status, title = 400, words["link_invalid_title"]
    else:  # e.g. the sign-up was withdrawn in the meantime
        status, title = 410, words["nothing_to_confirm_title"]
    return refusal(request, lang=lang, brand=brand, status=status, title=title, message=error.text(lang))


def too_many(request: Request, retry_after: int, *, lang: str, brand: Brand | None,
             embed: bool = False) -> HTMLResponse:
    words = WORDS[lang]
    return refusal(request, lang=lang, brand=brand, status=429, title=words["too_many_title"],
                   message=words["too_many_body"].format(seconds=retry_after),
                   headers={"Retry-After": str(retry_after)}, embed=embed)


def not_found(request: Request, *, lang: str) -> HTMLResponse:
    words = WORDS[lang]
    return refusal(request, lang=lang, brand=None, status=404, title=words["not_found_title"],
                   message=words["not_found_body"])
