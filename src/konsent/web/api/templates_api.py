"""API: message templates — versioned per key, channel and locale, rendered in a sandbox. Saving adds a
version (a message records the one it was rendered from); a template that cannot be rendered, or
tries what the sandbox forbids, is refused with the part it is in."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import and_, func, select

from konsent.domain import Requirement
from konsent.messages.compose import Sender, compose, sms_segments
from konsent.services import organisations, templates, unsubscribe
from konsent.storage import tables as t
from konsent.web.api import idempotency
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, In, Locale, Out
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import Print, TemplateKey, Text
from konsent.web.deps import konsent_of

router = APIRouter(tags=["templates"])

Channel = Literal["email", "sms"]
Subject = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
# What a message may use besides the customer's name; a template is tried with these before it is kept.
SAMPLE = templates.SAMPLE


class NewVersion(In):
    channel: Channel
    locale: Locale
    subject: Subject | None = Field(default=None, description="Jinja2; an email needs one.")
    body_text: Annotated[Text, Field(min_length=1)] = Field(description="Jinja2, plain text.")
    body_html: Annotated[Text, Field(min_length=1)] | None = Field(default=None, description="Jinja2, autoescaped.")


class TemplateOut(Out):
    id: str
    key: str
    channel: str
    locale: str
    version: int
    subject: str | None
    body_text: str
    body_html: str | None
    created_at: datetime
    sms_segments: int | None = Field(description="SMS it costs before the opt-out notice konsent adds.")


class Rendered(Out):
    key: str
    channel: str
    locale: str
    version: int
    subject: str | None
    text: str
    html: str | None
    sms_segments: int | None


@router.get("/templates", response_model=Page[TemplateOut], responses=READ_ERRORS)
def listed(request: Request, caller: Reader,
           key: Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9._-]+$")] = None,
           limit: Limit = 50, cursor: Cursor = None) -> Page[TemplateOut]:
    """The newest version of each template (key, channel, locale)."""
    m = t.MessageTemplate
    newest = select(m.key, m.channel, m.locale, func.max(m.version).label("version")).where(
        m.organisation_id == caller.organisation_id).group_by(m.key, m.channel, m.locale).subquery()
    query = select(m).join(newest, and_(m.key == newest.c.key, m.channel == newest.c.channel,
                                        m.locale == newest.c.locale, m.version == newest.c.version)).where(
        m.organisation_id == caller.organisation_id)
    if key is not None:
        query = query.where(m.key == key)
    with konsent_of(request).db.unit_of_work() as session:
        rows = session.scalars(paged(query, m.created_at, m.id, cursor, limit)).all()
        return page(rows, limit, lambda r: (r.created_at, r.id), _out)


@router.put("/templates/{key}", status_code=201, response_model=TemplateOut, responses=WRITE_ERRORS)
def save(request: Request, key: TemplateKey, version: NewVersion, caller: Writer, print_: Print) -> JSONResponse:
    """Save the next version of the template for its channel and locale; the versions used stay as they were."""
    app = konsent_of(request)

    def run() -> TemplateOut:
        saved = templates.save(app, caller.organisation_id, key=key, channel=version.channel, locale=version.locale,
                               subject=version.subject, body_text=version.body_text, body_html=version.body_html)
        with app.db.unit_of_work() as session:
            return _out(session.get_one(t.MessageTemplate, saved.id))

    return idempotency.replay_or_run(request, caller, print_, run, status_code=201)


@router.get("/templates/{key}/preview", response_model=Rendered, responses=READ_ERRORS)
def preview(request: Request, key: TemplateKey, caller: Reader, channel: Channel = "email",
            locale: Locale | None = None,
            advertising: Annotated[bool, Query(description=(
                "Add what konsent adds to advertising: the objection notice, the unsubscribe link, the sender."))]
            = False) -> Rendered:
    """The newest version as a customer would read it, filled with sample values."""
    app = konsent_of(request)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        version = templates.current(session, organisation, key, channel, locale or organisation.locale)
        name = organisation.sender_name or organisation.name
        sender = Sender(name=name, address=organisation.sender_address, mailbox=name)
        link = unsubscribe.url(app.settings.server.public_url, organisation, str(uuid.uuid4()), now)
        fields = {**SAMPLE, "organisation": organisation.name}
    for part in ("subject", "body_text", "body_html"):
        templates.tried(part, getattr(version, part), html=part == "body_html", fields=fields)
    message = compose(message_id=str(uuid.uuid4()), channel=channel, to="anna@example.com", locale=version.locale,
                      template=version, requirements=tuple(Requirement) if advertising else (), sender=sender,
                      fields=fields, unsubscribe_url=link, now=now)
    return Rendered(key=key, channel=channel, locale=version.locale, version=version.version, subject=message.subject,
                    text=message.text, html=message.html,
                    sms_segments=sms_segments(message.text) if channel == "sms" else None)


def _out(row: t.MessageTemplate) -> TemplateOut:
    return TemplateOut(id=row.id, key=row.key, channel=row.channel, locale=row.locale, version=row.version,
                       subject=row.subject, body_text=row.body_text, body_html=row.body_html,
                       created_at=row.created_at, sms_segments=sms_segments(row.body_text) if row.channel == "sms"
                       else None)
