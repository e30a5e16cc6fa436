"""API: the message log — every message konsent queued, sent, withheld or could not send, with the
decision behind it. Campaigns and automations write an outbox row first (its id is the message's);
a double opt-in request is logged directly."""

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import and_, null, select, union_all
from sqlalchemy.orm import Session

from konsent.domain import MessageKind
from konsent.errors import NotFound
from konsent.services import campaigns, outbox
from konsent.storage import tables as t
from konsent.web.api.auth import Reader
from konsent.web.api.models import READ_ERRORS, Out
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import MessageId
from konsent.web.deps import konsent_of

router = APIRouter(tags=["messages"])

State = Literal["queued", "in_flight", "sent", "failed", "awaiting_retry", "withheld"]
IdFilter = Annotated[str | None, Query(max_length=36, pattern=r"^[0-9a-fA-F-]+$")]


class MessageSummary(Out):
    id: str
    customer_id: str = Field(description="The recipient.")
    campaign_id: str | None
    automation_id: str | None
    kind: str
    channel: str
    status: str = Field(json_schema_extra={"enum": list(outbox.STATES)})
    created_at: datetime
    sent_at: datetime | None


class DecisionSummary(Out):
    decision: str | None
    basis: str | None
    reasons: list[str] = Field(description="Reason codes.")
    rule_pack: str | None
    jurisdiction: str | None

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> "DecisionSummary | None":
        if not stored:
            return None
        return cls(decision=stored.get("decision"), basis=stored.get("basis"),
                   reasons=[r["code"] for r in stored.get("reasons", [])], rule_pack=stored.get("rule_pack"),
                   jurisdiction=stored.get("jurisdiction"))


class TemplateUsed(Out):
    key: str | None
    id: str | None = Field(description="The exact version rendered; null until the message is rendered.")
    version: int | None
    locale: str | None

    @classmethod
    def of(cls, row: t.MessageTemplate | None, key: str | None) -> "TemplateUsed":
        if row is None:
            return cls(key=key, id=None, version=None, locale=None)
        return cls(key=row.key, id=row.id, version=row.version, locale=row.locale)


class MessageOut(MessageSummary):
    template: TemplateUsed
    decision_when_scheduled: DecisionSummary | None
    decision_when_sent: DecisionSummary | None = Field(description="Decided again at the moment of sending.")
    states: dict[str, datetime] = Field(description="Each state the message entered, and when.")
    due_at: datetime | None = Field(description="When it is due; null once final, or while its campaign is paused.")
    attempts: int
    transport_id: str | None = Field(description="The transport's id for it (SMTP queue id, SMS provider id).")
    error: str | None = Field(description="The transport's refusal, or why it was withheld.")
    to: str | None
    subject: str | None
    body_text: str | None
    body_html: str | None


@router.get("/messages", response_model=Page[MessageSummary], responses=READ_ERRORS)
def listed(request: Request, caller: Reader, customer_id: IdFilter = None, campaign_id: IdFilter = None,
           status: State | None = None, kind: MessageKind | None = None,
           channel: Literal["email", "sms"] | None = None, limit: Limit = 50,
           cursor: Cursor = None) -> Page[MessageSummary]:
    """The message log, oldest first."""
    o, m = t.OutboxItem, t.Message
    wanted = {"customer_id": customer_id, "campaign_id": campaign_id, "status": status, "kind": kind,
              "channel": channel}
    scheduled = select(o.id, o.created_at, o.customer_id, o.campaign_id, o.automation_id, o.kind, o.channel,
                       o.status, m.sent_at).outerjoin(m, and_(m.organisation_id == o.organisation_id, m.id == o.id))
    scheduled = scheduled.where(o.organisation_id == caller.organisation_id, *_matching(o, wanted))
    direct = select(m.id, m.created_at, m.customer_id, m.campaign_id, null().label("automation_id"), m.kind,
                    m.channel, m.status, m.sent_at).where(
        m.organisation_id == caller.organisation_id, m.outbox_id.is_(None), *_matching(m, wanted))
    log = union_all(scheduled, direct).subquery()
    # The union's columns stand in for the table columns paging orders by.
    statement = paged(select(log), cast(Any, log.c.created_at), cast(Any, log.c.id), cursor, limit)
    with konsent_of(request).db.unit_of_work() as session:
        rows = session.execute(statement).all()
    return page(rows, limit, lambda r: (r.created_at, r.id), lambda r: MessageSummary.model_validate(r._mapping))


def _matching(table: Any, wanted: dict[str, Any]) -> list[Any]:
    return [getattr(table, name) == value for name, value in wanted.items() if value is not None]


@router.get("/messages/{message_id}", response_model=MessageOut, responses=READ_ERRORS)
def show(request: Request, message_id: MessageId, caller: Reader) -> MessageOut:
    """One message: to whom, what, on which basis, and what happened to it when."""
    o, m = t.OutboxItem, t.Message
    with konsent_of(request).db.unit_of_work() as session:
        found = session.execute(select(o, m).outerjoin(m, and_(m.organisation_id == o.organisation_id, m.id == o.id))
                                .where(o.organisation_id == caller.organisation_id, o.id == message_id)).first()
        item: t.OutboxItem | None = None
        message: t.Message | None = None
        if found is not None:
            item, message = found
        else:
            message = session.scalar(select(m).where(m.organisation_id == caller.organisation_id, m.id == message_id))
        if message is None and item is None:
            raise NotFound("message", message_id)
        return _detail(session, caller.organisation_id, item, message)


def _detail(session: Session, organisation_id: str, item: t.OutboxItem | None, message: t.Message | None) -> MessageOut:
    template = None
    if message is not None and message.template_id:
        template = session.scalar(select(t.MessageTemplate).where(
            t.MessageTemplate.organisation_id == organisation_id, t.MessageTemplate.id == message.template_id))
    states = {name: datetime.fromisoformat(at) for name, at in ((message.states if message else None) or {}).items()}
    handed: dict[str, Any] = dict.fromkeys(("sent_at", "transport_id", "error", "to", "subject", "body_text",
                                            "body_html"))
    if message is not None:
        handed |= {"sent_at": message.sent_at, "transport_id": message.transport_id, "error": message.error,
                   "to": message.to_address, "subject": message.subject, "body_text": message.body_text,
                   "body_html": message.body_html}
    if item is None:  # logged directly: a double opt-in request
        assert message is not None
        return MessageOut(
            id=message.id, customer_id=message.customer_id, campaign_id=message.campaign_id, automation_id=None,
            kind=message.kind, channel=message.channel, status=message.status, created_at=message.created_at,
            template=TemplateUsed.of(template, None), decision_when_scheduled=DecisionSummary.of(message.decision),
            decision_when_sent=None, states=states, due_at=None, attempts=0, **handed)
    states.setdefault("queued", item.created_at)
    if item.status in outbox.FINAL:
        states.setdefault(item.status, item.updated_at)
    waiting = item.status not in outbox.FINAL and item.next_attempt_at != campaigns.PARKED
    return MessageOut(
        id=item.id, customer_id=item.customer_id, campaign_id=item.campaign_id, automation_id=item.automation_id,
        kind=item.kind, channel=item.channel, status=item.status, created_at=item.created_at,
        template=TemplateUsed.of(template, item.template_key),
        decision_when_scheduled=DecisionSummary.of(item.decision),
        decision_when_sent=DecisionSummary.of(message.decision if message else None), states=states,
        due_at=item.next_attempt_at if waiting else None, attempts=item.attempts,
        **(handed | {"error": handed["error"] or item.last_error}))
