"""Rendering a staff page: sandboxed, autoescaped Jinja2, in the staff member's language, with a CSRF
token bound to their session in every form, and never cached (the pages hold personal data)."""

from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from konsent.reports.words import event_name, field_name
from konsent.reports.words import value_text as report_value
from konsent.web import csrf
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Staff, form_scope
from konsent.web.staff.words import value, words

NO_STORE = {"Cache-Control": "no-store"}


@cache
def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(loader=PackageLoader("konsent.web", "templates"), autoescape=True,
                                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["label"] = _label
    return environment


@pass_context
def _label(context: Context, text: Any) -> str:
    return value(text, context["lang"])


def render(request: Request, who: Staff | None, template: str, *, status: int = 200, lang: str | None = None,
           section: str = "", **context: Any) -> HTMLResponse:
    settings = konsent_of(request).settings
    lang = lang or (who.lang if who else "de")
    issued = csrf.issue(request, settings, form_scope(who.session if who else None))
    zone = _zone(who.timezone if who else "Europe/Berlin")
    hidden = Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, issued.token)
    html = _environment().get_template(f"staff/{template}").render(
        t=words(lang), lang=lang, who=who, section=section, csrf=lambda: hidden,
        here=_here(request), when=lambda moment: _when(moment, zone, lang),
        label=lambda text: value(text, lang), report_value=lambda text: report_value(text, lang),
        event_name=lambda text: event_name(text, lang), field_name=lambda text: field_name(text, lang),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=NO_STORE)
    csrf.set_cookie(response, settings, issued)
    return response


def redirect(target: str) -> RedirectResponse:
    """After a write: the browser loads the result with a GET (reloading it sends nothing again)."""
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


def back_to(target: str | None, default: str) -> str:
    """Only a path inside the staff UI: a `next` parameter must not send the person to another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") or "\\" in target or "//" in target:
        return default
    return target


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Berlin")


def _when(moment: datetime | str | None, zone: ZoneInfo, lang: str) -> str:
    """A moment in the organisation's time zone, the way its staff write it."""
    if not moment:
        return "—"
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).strftime("%d.%m.%Y %H:%M" if lang == "de" else "%Y-%m-%d %H:%M")
