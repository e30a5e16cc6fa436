"""Message templates a business writes: versioned per key, channel and locale, rendered in a sandbox.

Editing never changes a version that was used: it adds the next one, and each message records
the version it was rendered from.
"""

import functools
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, markup_join, new_context, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.errors import InputError, NotFound
from konsent.services import organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t

CHANNELS = ("email", "sms")
# What a trial rendering fills in: the fields automations and campaigns give their templates.
SAMPLE = {"first_name": "Anna", "last_name": "Beispiel", "booking_id": "B-1001", "order_id": "O-1001",
          "shipment_id": "S-1001", "starts_at": "2026-12-01T10:00:00+01:00", "appointment_day": "01.12.2026",
          "appointment_time": "10:00", "service": "Haarschnitt", "review_url": "https://example.com/review",
          "tracking_url": "https://example.com/tracking", "year": 2026, "last_visit": "2026-06-01T10:00:00+02:00"}
LOCALES = ("de", "en")

RENDER_SECONDS = 1.0  # a message renders in well under a millisecond; this stops one that would never end
MAX_TEXT = 1_000_000  # characters (or items) any step of a rendering may build


class Sandbox(ImmutableSandboxedEnvironment):
    """Business-written templates are data, not code, and one organisation's template must not stall
    the worker that sends every organisation's messages. The immutable sandbox refuses attribute
    tricks and mutation; on top of it a rendering has a time budget (checked in every loop and every
    call, macros included) and no step may build a text or list over `MAX_TEXT` (`*`, `+`, `~`,
    `replace`, `**` on numbers); the filters that pad to a given width are not offered."""

    intercepted_binops = frozenset({"*", "+", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.template_class = _Timed
        self.globals.update({_METERED: _metered, _JOINED: _joined(markup_join if self.autoescape else str_join)})
        for name in ("center", "indent", "wordwrap", "format"):
            del self.filters[name]
        self.filters["replace"] = _bounded_replace(self.filters["replace"])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(_METERED, "load"), [loop.iter], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [nodes.Call(nodes.Name(_JOINED, "load"), list(concat.nodes), [], None, None,
                                       lineno=concat.lineno)]
        return tree

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _on_time()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [abs(v) for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        if ((operator == "*" and sizes and counts and sizes[0] * counts[0] > MAX_TEXT)
                or (operator == "+" and sum(sizes) > MAX_TEXT)
                or (operator == "**" and isinstance(right, int | float) and abs(right) > 1_000)):
            raise SecurityError(f"{operator} would make a result too large")
        return super().call_binop(context, operator, left, right)


class _Timed(Template):
    _flat_globals: dict[str, Any] | None = None

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _deadline.set(time.monotonic() + RENDER_SECONDS)
        try:
            return super().render(*args, **kwargs)
        finally:
            _deadline.reset(token)

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        if shared:
            return super().new_context(vars, shared, locals)
        # Jinja copies the globals, a ChainMap read key by key in Python, into every context: that
        # was most of a short template's rendering (14 of 16 µs), three times a message. A sandbox's
        # globals are set when it is built, so each template flattens them once.
        flat = self._flat_globals
        if flat is None:
            flat = self._flat_globals = dict(self.globals)
        return new_context(self.environment, self.name, self.blocks, {**flat, **(vars or {})}, True, flat, locals)


_METERED, _JOINED = "__konsent_metered", "__konsent_joined"
_deadline: ContextVar[float | None] = ContextVar("konsent_template_deadline", default=None)


def _on_time() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise SecurityError(f"the template took longer than {RENDER_SECONDS:g} s to render")


def _metered(items: Iterable[Any]) -> Iterator[Any]:
    for count, item in enumerate(items):
        if not count & 255:
            _on_time()
        yield item


def _joined(join: Callable[[Iterable[Any]], str]) -> Callable[..., str]:
    """`~`, as Jinja joins (escaping the parts beside a safe one in HTML), within `MAX_TEXT`."""
    def joined(*parts: Any) -> str:
        text = join(parts)
        if len(text) > MAX_TEXT:
            raise SecurityError("~ would make a text too large")
        return text

    return joined


def _bounded_replace(replace: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(replace)  # keeps Jinja's marker that the filter takes the evaluation context
    def bounded(eval_ctx: Any, s: Any, old: str, new: str, count: int | None = None) -> str:
        text, old, new = str(s), str(old), str(new)
        found = text.count(old) if old else len(text) + 1
        if len(text) + max(0, len(new) - len(old)) * (found if count is None else min(count, found)) > MAX_TEXT:
            raise SecurityError("replace would make a text too large")
        return replace(eval_ctx, s, old, new, count)

    return bounded


# Text and HTML get separate environments, so only HTML is escaped.
TEXT = Sandbox(autoescape=False, trim_blocks=True, lstrip_blocks=True)
HTML = Sandbox(autoescape=True, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    id: str
    key: str
    channel: str
    locale: str
    version: int
    subject: str | None
    body_text: str
    body_html: str | None


def save(
    app: Konsent, organisation_key: str, *, key: str, channel: str, locale: str, body_text: str,
    subject: str | None = None, body_html: str | None = None,
) -> TemplateVersion:
    if channel not in CHANNELS:
        raise InputError("channel", "templates exist for email and sms")
    if locale not in LOCALES:
        raise InputError("locale", "must be de or en")
    if not key.strip() or len(key) > 100:
        raise InputError("key", "must be 1 to 100 characters")
    if channel == "email" and not (subject or "").strip():
        raise InputError("subject", "an email needs a subject")
    if subject is not None and ("\n" in subject or "\r" in subject):
        raise InputError("subject", "must be one line")
    for part, source in (("subject", subject), ("body_text", body_text), ("body_html", body_html)):
        tried(part, source, html=part == "body_html")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        latest = session.scalar(select(t.MessageTemplate.version).where(
            t.MessageTemplate.organisation_id == organisation.id, t.MessageTemplate.key == key,
            t.MessageTemplate.channel == channel, t.MessageTemplate.locale == locale,
        ).order_by(t.MessageTemplate.version.desc()).limit(1))
        row = t.MessageTemplate(
            id=str(uuid.uuid4()), organisation_id=organisation.id, key=key, channel=channel, locale=locale,
            version=(latest or 0) + 1, subject=subject, body_text=body_text, body_html=body_html,
            created_at=app.now(),
        )
        session.add(row)
        return _version(row)


def tried(part: str, source: str | None, *, html: bool, fields: dict[str, Any] | None = None) -> None:
    """Refuses, naming `part`, a template that does not compile or does not render with sample fields
    (within the sandbox's limits): the owner learns it when saving, not when a campaign fails."""
    if source is None:
        return
    try:
        compiled = (HTML if html else TEXT).from_string(source)
    except TemplateSyntaxError as error:
        raise InputError(part, f"template error on line {error.lineno}: {error.message}") from None
    try:
        compiled.render({**SAMPLE, "organisation": "Salon", **(fields or {}),
                         "unsubscribe_url": "https://example.com/u", "sender_name": "Salon"})
    except Exception as error:  # whatever a business's template does wrong, the owner reads it
        raise InputError(part, f"cannot be rendered: {type(error).__name__}: {str(error)[:200]}") from None


def current(session: Session, organisation: t.Organisation, key: str, channel: str, locale: str) -> TemplateVersion:
    """The newest version in the customer's locale, else in the organisation's."""
    for wanted in dict.fromkeys((locale, organisation.locale)):
        row = session.scalar(select(t.MessageTemplate).where(
            t.MessageTemplate.organisation_id == organisation.id, t.MessageTemplate.key == key,
            t.MessageTemplate.channel == channel, t.MessageTemplate.locale == wanted,
        ).order_by(t.MessageTemplate.version.desc()).limit(1))
        if row is not None:
            return _version(row)
    raise NotFound("template", f"{key} ({channel})")


def _version(row: t.MessageTemplate) -> TemplateVersion:
    return TemplateVersion(row.id, row.key, row.channel, row.locale, row.version, row.subject, row.body_text,
                           row.body_html)
