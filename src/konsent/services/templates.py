"""Message templates a business writes: versioned per key, channel and locale, rendered in a sandbox.

Editing never changes a version that was used: it adds the next one, and each message records
the version it was rendered from.
"""

import uuid
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.errors import InputError, NotFound
from konsent.services import organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t

CHANNELS = ("email", "sms")
LOCALES = ("de", "en")

# Business-written templates are data, not code: the immutable sandbox refuses attribute tricks and
# mutation. Text and HTML get separate environments, so only HTML is escaped.
TEXT = ImmutableSandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
HTML = ImmutableSandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


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
    for field, source, environment in (
        ("subject", subject, TEXT), ("body_text", body_text, TEXT), ("body_html", body_html, HTML),
    ):
        if source is not None:
            try:
                environment.parse(source)
            except TemplateSyntaxError as error:
                raise InputError(field, f"template error on line {error.lineno}: {error.message}") from None
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
