"""Message templates in the library: the newest of each, every version, a preview with sample values
as a customer reads it (with what konsent adds to advertising), and editing — which saves a new
version; a message already sent keeps the version it was rendered from."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, func, select

from konsent.domain import Requirement
from konsent.errors import InputError, NotFound
from konsent.messages.compose import Sender, compose, sms_segments
from konsent.services import organisations, templates, unsubscribe
from konsent.services.context import Konsent
from konsent.services.templates import TemplateVersion
from konsent.storage import tables as t
from konsent.web.api.templates_api import SAMPLE
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, Owner, Staff
from konsent.web.staff.pages import redirect, render

router = APIRouter()
KEY = r"^[A-Za-z0-9._-]{1,100}$"
Key = Annotated[str, Path(pattern=KEY)]
Channel = Annotated[str, Path(pattern=r"^(email|sms)$")]
Locale = Annotated[str, Path(pattern=r"^(de|en)$")]


def newest(request: Request, who: Staff) -> list[t.MessageTemplate]:
    """The newest version of each template (key, channel, language)."""
    m = t.MessageTemplate
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, who.organisation_id)
        latest = select(m.key, m.channel, m.locale, func.max(m.version).label("version")).where(
            m.organisation_id == organisation.id).group_by(m.key, m.channel, m.locale).subquery()
        return list(session.scalars(select(m).join(latest, and_(
            m.key == latest.c.key, m.channel == latest.c.channel, m.locale == latest.c.locale,
            m.version == latest.c.version)).where(m.organisation_id == organisation.id)
            .order_by(m.key, m.channel, m.locale)))


@dataclass(frozen=True)
class Sample:
    subject: str | None
    text: str | None
    html: str | None
    segments: int | None
    error: str | None  # why the template cannot be rendered, in the template engine's words


@router.get("/library/templates/new", response_class=HTMLResponse)
def new(request: Request, who: Owner) -> HTMLResponse:
    return render(request, who, "template_form.html", section="library", error=None,
                  values={"key": "", "channel": "email", "locale": who.lang, "subject": "", "body_text": "",
                          "body_html": ""})


@router.get("/library/templates/{key}/{channel}/{locale}", response_class=HTMLResponse)
def show(request: Request, who: Anyone, key: Key, channel: Channel, locale: Locale,
         version: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    app = konsent_of(request)
    m = t.MessageTemplate
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, who.organisation_id)
        versions = list(session.scalars(select(m).where(
            m.organisation_id == organisation.id, m.key == key, m.channel == channel, m.locale == locale,
        ).order_by(m.version.desc())))
        if not versions:
            raise NotFound("template", f"{key} ({channel}, {locale})")
        chosen = next((v for v in versions if v.version == version), None) if version else versions[0]
        if chosen is None:
            raise NotFound("template version", f"{key} ({channel}, {locale}) {version}")
        sample = _sample(app, organisation, _version(chosen))
    newest_one = versions[0]
    return render(request, who, "template.html", section="library", versions=versions, chosen=chosen,
                  sample=sample, error=None, values={
                      "key": key, "channel": channel, "locale": locale, "subject": newest_one.subject or "",
                      "body_text": newest_one.body_text, "body_html": newest_one.body_html or ""})


@router.post("/library/templates", response_model=None)
def save(request: Request, who: Owner, key: Annotated[str, Form(max_length=100)] = "",
         channel: Annotated[str, Form(max_length=8)] = "", locale: Annotated[str, Form(max_length=5)] = "",
         subject: Annotated[str, Form(max_length=500)] = "", body_text: Annotated[str, Form(max_length=100_000)] = "",
         body_html: Annotated[str, Form(max_length=200_000)] = "") -> Response:
    values = {"key": key, "channel": channel, "locale": locale, "subject": subject, "body_text": body_text,
              "body_html": body_html}
    try:
        if not key or not all(c.isalnum() or c in "._-" for c in key):
            raise InputError("key", "use 1 to 100 letters, digits, dots, dashes or underscores")
        if not body_text.strip():
            raise InputError("body_text", "must not be empty")
        email = channel == "email"
        saved = templates.save(konsent_of(request), who.organisation_id, key=key, channel=channel, locale=locale,
                               body_text=body_text, subject=subject if email else None,
                               body_html=(body_html or None) if email else None)
    except InputError as error:
        return render(request, who, "template_form.html", status=422, section="library", values=values,
                      error={"field": error.field, "message": error.message})
    return redirect(f"/staff/library/templates/{saved.key}/{saved.channel}/{saved.locale}")


def _version(row: t.MessageTemplate) -> TemplateVersion:
    return TemplateVersion(row.id, row.key, row.channel, row.locale, row.version, row.subject, row.body_text,
                           row.body_html)


def _sample(app: Konsent, organisation: t.Organisation, version: TemplateVersion) -> Sample:
    now = app.now()
    name = organisation.sender_name or organisation.name
    # The link leads nowhere: it is there to be seen, as customers will see it.
    link = unsubscribe.url(app.settings.server.public_url, organisation, str(uuid.uuid4()), now)
    try:
        message = compose(
            message_id=str(uuid.uuid4()), channel=version.channel, to="anna@example.com", locale=version.locale,
            template=version, requirements=tuple(Requirement), fields={**SAMPLE, "organisation": organisation.name},
            sender=Sender(name=name, address=organisation.sender_address, mailbox=name), unsubscribe_url=link, now=now,
        )
    except Exception as error:  # whatever a business's template does wrong, the owner reads it
        return Sample(None, None, None, None, f"{type(error).__name__}: {str(error)[:300]}")
    return Sample(message.subject, message.text, message.html,
                  sms_segments(message.text) if version.channel == "sms" else None, None)
