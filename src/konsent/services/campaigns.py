"""Campaigns: one message to a chosen audience, on one or more channels, at a chosen moment.

A draft names what it sends (kind, channels, advertised categories, template) and to whom (a segment
over customer fields and purchases). The preview says, before anything is written, who will receive
it, who is left out and why. Scheduling writes one outbox row per allowed recipient and channel,
with the decision that allowed it, in one transaction; the worker decides again at send time.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, func, select, text
from sqlalchemy import update as update_rows
from sqlalchemy.orm import Session

from konsent.domain import (
    Channel,
    Consent,
    ConsentSource,
    Decision,
    Jurisdiction,
    Message,
    MessageKind,
    Nature,
    Purchase,
    Recipient,
    Requirement,
    Scenario,
    decide,
)
from konsent.domain import audience as plan
from konsent.domain.kinds import NATURE
from konsent.errors import Conflict, InputError, NotFound
from konsent.messages.compose import Sender, compose
from konsent.services import audience, audit, organisations, outbox, templates, unsubscribe
from konsent.services.audience import Segment
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql
from konsent.transports import OutgoingMessage, TransportError, send_now
from konsent.transports.configured import transport_for
from konsent.transports.mime import mailbox
from konsent.validation import normalise_email, normalise_phone

DRAFT, SCHEDULED, SENDING, PAUSED = "draft", "scheduled", "sending", "paused"
CANCELLED, COMPLETED = "cancelled", "completed"
# Transactional messages belong to one customer's order or booking: automations send those.
KINDS = tuple(kind.value for kind, nature in NATURE.items() if nature in (Nature.ADVERTISING, Nature.SERVICE))
# A paused campaign's rows wait here: a worker claims only rows that are due, so it needs no news of pauses.
PARKED = plan.FOREVER
PENDING = (outbox.QUEUED, outbox.AWAITING_RETRY)
SETTLED = (outbox.SENT, outbox.FAILED, outbox.WITHHELD)
SAMPLE_FIELDS = {"first_name": "Anna", "last_name": "Beispiel"}


@dataclass
class CampaignDraft:
    name: str
    kind: str
    channels: list[str]
    template_key: str
    advertised_categories: list[str] = field(default_factory=list)
    segment: Segment = field(default_factory=Segment)
    send_at: datetime | None = None  # without a time zone: the organisation's local time; None: at once

    def check(self) -> None:
        if not self.name.strip() or len(self.name) > 200 or "\n" in self.name or "\r" in self.name:
            raise InputError("name", "must be one line of 1 to 200 characters")
        if self.kind not in KINDS:
            raise InputError("kind", f"a campaign sends one of {', '.join(KINDS)}")
        if not self.channels or any(c not in audience.CHANNELS for c in self.channels):
            raise InputError("channels", "name email, sms or both")
        if not self.template_key.strip() or len(self.template_key) > 100:
            raise InputError("template_key", "must be 1 to 100 characters")
        for index, category in enumerate(self.advertised_categories):
            if not category.strip() or len(category) > 100:
                raise InputError(f"advertised_categories[{index}]", "must be 1 to 100 characters")
        self.segment.check()


@dataclass(frozen=True)
class CampaignView:
    id: str
    name: str
    kind: str
    channels: tuple[str, ...]
    advertised_categories: tuple[str, ...]
    template_key: str
    segment: dict[str, Any]
    scheduled_at: datetime | None
    local_time: str | None  # the moment in the organisation's time zone, as the owner set it
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "channels": list(self.channels),
            "advertised_categories": list(self.advertised_categories), "template_key": self.template_key,
            "segment": self.segment, "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
            "local_time": self.local_time, "status": self.status,
        }


def create(app: Konsent, organisation_key: str, draft: CampaignDraft, *, actor: str | None = None) -> CampaignView:
    draft.check()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        now = app.now()
        campaign = t.Campaign(id=str(uuid.uuid4()), organisation_id=organisation.id, status=DRAFT, created_at=now)
        _fill(campaign, draft, organisation, now)
        session.add(campaign)
        audit.record(session, organisation.id, actor=actor, action="campaign.created", at=now, subject=campaign.id)
        return _view(campaign, organisation)


def update(
    app: Konsent, organisation_key: str, campaign_id: str, draft: CampaignDraft, *, actor: str | None = None,
) -> CampaignView:
    """Change a draft; once scheduled, a campaign's recipients hold what it promised them."""
    draft.check()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id, lock=True)
        _require(campaign, DRAFT, doing="changed")
        now = app.now()
        _fill(campaign, draft, organisation, now)
        audit.record(session, organisation.id, actor=actor, action="campaign.updated", at=now, subject=campaign.id)
        return _view(campaign, organisation)


def amend(
    app: Konsent, organisation_key: str, campaign_id: str, changes: Callable[[CampaignDraft], None], *,
    actor: str | None = None,
) -> CampaignView:
    """Change some of a draft's fields (`changes` sets them on the draft as it stands). Read and written
    under the campaign's lock: two amendments at the same moment both take effect, and neither writes
    back what it read before the other."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id, lock=True)
        _require(campaign, DRAFT, doing="changed")
        current = _view(campaign, organisation)
        draft = CampaignDraft(name=current.name, kind=current.kind, channels=list(current.channels),
                              template_key=current.template_key,
                              advertised_categories=list(current.advertised_categories),
                              segment=Segment.from_document(current.segment), send_at=current.scheduled_at)
        changes(draft)
        draft.check()
        now = app.now()
        _fill(campaign, draft, organisation, now)
        audit.record(session, organisation.id, actor=actor, action="campaign.updated", at=now, subject=campaign.id)
        return _view(campaign, organisation)


def _fill(campaign: t.Campaign, draft: CampaignDraft, organisation: t.Organisation, now: datetime) -> None:
    zone = ZoneInfo(organisation.timezone)
    send_at = _localised(draft.send_at, zone)
    if send_at is not None and send_at < now:
        raise InputError("send_at", "lies in the past")
    segment = replace(draft.segment, last_visit_before=_localised(draft.segment.last_visit_before, zone),
                      last_visit_after=_localised(draft.segment.last_visit_after, zone))
    campaign.name, campaign.kind, campaign.template_key = draft.name.strip(), draft.kind, draft.template_key
    campaign.channels = list(dict.fromkeys(draft.channels))
    campaign.advertised_categories = sorted(set(draft.advertised_categories))
    campaign.audience = segment.document()
    campaign.scheduled_at, campaign.updated_at = send_at, now


def _localised(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A day and time as the owner means it: in the organisation's time zone, unless one is given."""
    return moment.replace(tzinfo=zone) if moment is not None and moment.tzinfo is None else moment


def show(app: Konsent, organisation_key: str, campaign_id: str) -> CampaignView:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return _view(_get(session, organisation, campaign_id), organisation)


def preview(app: Konsent, organisation_key: str, campaign_id: str, *, at: datetime | None = None) -> plan.SendPlan:
    """Who receives the campaign if it goes at `at` (default: when scheduled, else now), who is left
    out and why. Writes nothing (but brings the projection up to date first, and builds it the first
    time an organisation asks)."""
    audience.catch_up(app, organisation_key)
    with app.db.unit_of_work() as session:
        if on_postgresql(app.db.engine):
            # Counts, examples and their sentences from one snapshot: they cannot contradict each other.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            _custom_plans(session)
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id)
        now = app.now()
        moment = max(at or campaign.scheduled_at or now, now)
        built = audience.ensure_built(session, organisation.id, now=now)
        return audience.preview(session, organisation, _asked(campaign), Segment.from_document(campaign.audience),
                                moment, keep=not built)


def _custom_plans(session: Session) -> None:
    # The driver prepares statements it sees often; a generic plan cannot know that nearly every row
    # passes `next_at > :at`, or how few pass `since > :at`. Plan each query for its moment.
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


@dataclass(frozen=True)
class Scheduled:
    campaign_id: str
    at: datetime
    queued: int  # outbox rows written: one per allowed recipient and channel
    considered: int  # customers of the audience, summed over the channels


Progress = Callable[[int, int], None]  # (customers just considered, customers in all)


def schedule(
    app: Konsent, organisation_key: str, campaign_id: str, *, actor: str | None = None,
    progress: Progress | None = None,
) -> Scheduled:
    """Queue the campaign for every allowed recipient, with the decision that allowed them, all at once."""
    audience.catch_up(app, organisation_key)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id, lock=True)
        _require(campaign, DRAFT, doing="scheduled")
        now = app.now()
        at = campaign.scheduled_at or now
        if at < now:
            raise InputError("send_at", "lies in the past; set a new time")
        for channel in campaign.channels:  # a campaign that cannot be written must not be queued
            templates.current(session, organisation, campaign.template_key, channel, organisation.locale)
        if on_postgresql(app.db.engine):
            _custom_plans(session)
        audience.ensure_built(session, organisation.id, now=now)
        segment, asked = Segment.from_document(campaign.audience), _asked(campaign)
        total = sum(audience.size(session, organisation, channel, segment) for channel in asked.channels)
        queued = considered = 0
        for channel in asked.channels:
            with audience.lens_for(organisation, asked.message(channel)) as lens:
                queued, considered = _queue(session, organisation, campaign, channel, segment, at, lens, now,
                                            progress=progress, total=total, counted=(queued, considered))
        campaign.status, campaign.scheduled_at, campaign.updated_at = SCHEDULED, at, now
        audit.record(session, organisation.id, actor=actor, action="campaign.scheduled", at=now,
                     subject=campaign.id, queued=queued)
        return Scheduled(campaign.id, at, queued, considered)


def _queue(
    session: Session, organisation: t.Organisation, campaign: t.Campaign, channel: str, segment: Segment,
    at: datetime, lens: plan.Lens, now: datetime, *, progress: Progress | None, total: int, counted: tuple[int, int],
) -> tuple[int, int]:
    """One channel's outbox rows: every customer whose key the engine allows, with that decision."""
    queued, considered = counted
    allowed: dict[plan.Key, dict[str, Any] | None] = {}
    for page in audience.pages(session, organisation, channel, segment, at, lens):
        for _, key in page:
            if key not in allowed:
                decision = lens.decide(key)
                allowed[key] = snapshot(decision, at) if decision is not None and decision.allowed else None
        entries = [
            outbox.Entry(
                customer_id=customer_id, channel=channel, kind=campaign.kind,
                dedupe_key=f"campaign:{campaign.id}:{customer_id}:{channel}",
                template_key=campaign.template_key, decision=snapped, send_after=at,
                advertised_categories=campaign.advertised_categories, campaign_id=campaign.id,
            )
            for customer_id, key in page if (snapped := allowed[key]) is not None
        ]
        queued += outbox.enqueue(session, organisation.id, entries, now=now)
        considered += len(page)
        if progress is not None:
            progress(len(page), total)
    return queued, considered


def snapshot(decision: Decision, at: datetime) -> dict[str, Any]:
    """The decision as stored with each outbox row: `Decision.to_dict()` without the sentences, which
    would carry the made-up dates of the signature's stand-in, not the customer's own."""
    return {
        "decision": decision.decision.value, "basis": decision.basis.value if decision.basis else None,
        "reasons": [{"code": r.code, "citations": list(r.citations)} for r in decision.reasons],
        "citations": list(decision.citations), "requirements": [r.value for r in decision.requirements],
        "warnings": [{"code": w.code, "citations": list(w.citations)} for w in decision.warnings],
        "jurisdiction": decision.jurisdiction.value, "rule_pack": decision.rule_pack, "decided_for": at.isoformat(),
    }


@dataclass(frozen=True)
class CampaignStatus:
    campaign: CampaignView
    counts: dict[str, int]  # outbox state -> messages

    @property
    def progress(self) -> Literal["not_started", "sending", "done"]:
        """`not_started` (nothing queued), `sending` (messages still to go) or `done` (every one settled)."""
        total = sum(self.counts.values())
        if total == 0:
            return "not_started"
        settled = sum(self.counts.get(state, 0) for state in (outbox.SENT, outbox.FAILED, outbox.WITHHELD))
        return "done" if settled == total else "sending"

    def as_dict(self) -> dict[str, Any]:
        return {**self.campaign.as_dict(), "messages": dict(self.counts), "total": sum(self.counts.values()),
                "progress": self.progress}


def status(app: Konsent, organisation_key: str, campaign_id: str) -> CampaignStatus:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        return _status(session, organisation, _get(session, organisation, campaign_id))


def _status(session: Session, organisation: t.Organisation, campaign: t.Campaign) -> CampaignStatus:
    counts = dict.fromkeys(outbox.STATES, 0)
    counts.update(session.execute(select(t.OutboxItem.status, func.count()).where(
        t.OutboxItem.organisation_id == organisation.id, t.OutboxItem.campaign_id == campaign.id,
    ).group_by(t.OutboxItem.status)).all())
    return CampaignStatus(_view(campaign, organisation), counts)


def settle_progress(app: Konsent) -> int:
    """Move scheduled campaigns to `sending` once their first message is settled, and to `completed`
    once every message is. Run by every worker now and then; campaigns another transaction holds
    (being paused, say) are skipped and looked at next time, so no two ever wait on each other."""
    c, o = t.Campaign, t.OutboxItem
    of_campaign = (o.organisation_id == c.organisation_id) & (o.campaign_id == c.id)
    moved = 0
    with app.db.unit_of_work() as session:
        for status, becomes, condition in (
            (SCHEDULED, SENDING, exists().where(of_campaign, o.status.in_(SETTLED))),
            (SENDING, COMPLETED, ~exists().where(of_campaign, o.status.in_((*PENDING, outbox.IN_FLIGHT)))),
        ):
            chosen = select(c.id).where(c.status == status, condition)
            if on_postgresql(session):
                chosen = chosen.with_for_update(skip_locked=True)
            ids = list(session.scalars(chosen))
            if ids:
                session.execute(update_rows(c).where(c.id.in_(ids), c.status == status)
                                .values(status=becomes, updated_at=app.now()))
                moved += len(ids)
    return moved


def pause(app: Konsent, organisation_key: str, campaign_id: str, *, actor: str | None = None) -> CampaignStatus:
    """Hold what is not yet sent; a message already being handed over still goes."""
    return _change(app, organisation_key, campaign_id, actor=actor, allowed=(SCHEDULED, SENDING), becomes=PAUSED,
                   action="paused", rows=lambda _campaign, _now: {"next_attempt_at": PARKED})


def resume(app: Konsent, organisation_key: str, campaign_id: str, *, actor: str | None = None) -> CampaignStatus:
    """What waited is due again when the campaign was meant to go, or at once if that has passed."""
    return _change(app, organisation_key, campaign_id, actor=actor, allowed=(PAUSED,), becomes=SCHEDULED,
                   action="resumed", parked_only=True,
                   rows=lambda campaign, now: {"next_attempt_at": max(campaign.scheduled_at or now, now)})


def cancel(app: Konsent, organisation_key: str, campaign_id: str, *, actor: str | None = None) -> CampaignStatus:
    """Withhold everything still waiting; what was sent stays sent."""
    return _change(app, organisation_key, campaign_id, actor=actor, allowed=(DRAFT, SCHEDULED, SENDING, PAUSED),
                   becomes=CANCELLED, action="cancelled",
                   rows=lambda _campaign, _now: {"status": outbox.WITHHELD, "last_error": "campaign cancelled"})


def _change(
    app: Konsent, organisation_key: str, campaign_id: str, *, actor: str | None, allowed: tuple[str, ...],
    becomes: str, action: str, rows: Callable[[t.Campaign, datetime], dict[str, Any]], parked_only: bool = False,
) -> CampaignStatus:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id, lock=True)
        _require(campaign, *allowed, doing=action)
        now = app.now()
        waiting: list[ColumnElement[bool]] = [t.OutboxItem.status.in_(PENDING)]
        if parked_only:
            waiting.append(t.OutboxItem.next_attempt_at == PARKED)
        session.execute(update_rows(t.OutboxItem).where(
            t.OutboxItem.organisation_id == organisation.id, t.OutboxItem.campaign_id == campaign.id, *waiting,
        ).values(**rows(campaign, now), updated_at=now))
        campaign.status, campaign.updated_at = becomes, now
        audit.record(session, organisation.id, actor=actor, action=f"campaign.{action}", at=now, subject=campaign.id)
        return _status(session, organisation, campaign)


# --- test send -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffCopy:
    channel: str
    to: str
    status: str  # sent | failed
    transport_id: str | None = None
    error: str | None = None


def send_test(
    app: Konsent, organisation_key: str, campaign_id: str, addresses: list[str], *, locale: str | None = None,
    actor: str | None = None,
) -> list[StaffCopy]:
    """The campaign as a customer would get it, to staff addresses: email to those with an @, SMS to
    phone numbers. No customer is looked at and nothing is queued."""
    if not addresses:
        raise InputError("to", "name at least one staff address")
    if locale is not None and locale not in templates.LOCALES:
        raise InputError("locale", "must be de or en")
    outgoing: list[OutgoingMessage] = []
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        campaign = _get(session, organisation, campaign_id)
        now = app.now()
        for address in addresses:
            channel, to = _staff_address(address, organisation.jurisdiction)
            if channel not in campaign.channels:
                raise InputError("to", f"the campaign sends no {channel}")
            outgoing.append(_composed(app, session, organisation, campaign, channel, to, locale, now))
        audit.record(session, organisation.id, actor=actor, action="campaign.test_sent", at=now,
                     subject=campaign.id, messages=len(outgoing))
    results = []
    for message in outgoing:
        try:
            sent = send_now(transport_for(app.settings, message.channel), message)
        except TransportError as error:
            results.append(StaffCopy(message.channel, message.to, "failed", error=str(error)))
        else:
            results.append(StaffCopy(message.channel, message.to, "sent", transport_id=sent))
    return results


def _staff_address(address: str, region: str) -> tuple[str, str]:
    if "@" in address:
        return Channel.EMAIL.value, normalise_email(address, field="to")
    return Channel.SMS.value, normalise_phone(address, field="to", region=region)


def _composed(
    app: Konsent, session: Session, organisation: t.Organisation, campaign: t.Campaign, channel: str, to: str,
    locale: str | None, now: datetime,
) -> OutgoingMessage:
    template = templates.current(session, organisation, campaign.template_key, channel, locale or organisation.locale)
    requirements = requirements_for(campaign, channel, Jurisdiction(organisation.jurisdiction), now)
    message_id = str(uuid.uuid4())
    # The link leads nowhere (no message is stored): it is there to be seen, as customers will see it.
    link = unsubscribe.url(app.settings.server.public_url, organisation, message_id, now)
    name = organisation.sender_name or organisation.name
    sender = Sender(name=name, address=organisation.sender_address,
                    mailbox=mailbox(name, app.settings.smtp.sender, field_name="smtp.sender")
                    if channel == Channel.EMAIL.value else name)
    composed = compose(
        message_id=message_id, channel=channel, to=to, locale=template.locale, template=template,
        requirements=requirements, sender=sender, fields={**SAMPLE_FIELDS, "organisation": organisation.name},
        unsubscribe_url=link, now=now,
    )
    return replace(composed, subject=f"[Test] {composed.subject}") if composed.subject is not None else composed


def requirements_for(campaign: t.Campaign, channel: str, jurisdiction: Jurisdiction, now: datetime) -> tuple[
        Requirement, ...]:
    """What the message must carry, as the engine says for a customer who may receive it: one with a
    proven consent and an earlier purchase. Should even they be refused, it carries everything."""
    earlier = now - timedelta(days=1)
    decision = decide(Scenario(
        jurisdiction=jurisdiction, at=now,
        message=Message(Channel(channel), MessageKind(campaign.kind),
                        advertised_categories=frozenset(campaign.advertised_categories)),
        recipient=Recipient(
            consents=(Consent(Channel(channel), earlier, source=ConsentSource.PAPER_FORM, evidence=True),),
            purchases=(Purchase(earlier),)),
    ))
    return decision.requirements if decision.allowed else tuple(Requirement)


# --- shared ----------------------------------------------------------------------------------

def _get(session: Session, organisation: t.Organisation, campaign_id: str, *, lock: bool = False) -> t.Campaign:
    query = select(t.Campaign).where(t.Campaign.organisation_id == organisation.id, t.Campaign.id == campaign_id)
    campaign = session.scalar(query.with_for_update() if lock else query)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def _require(campaign: t.Campaign, *states: str, doing: str) -> None:
    if campaign.status not in states:
        raise Conflict(f"campaign: it is {campaign.status} and cannot be {doing} now")


def _asked(campaign: t.Campaign) -> audience.Asked:
    return audience.Asked(campaign.kind, tuple(campaign.channels), tuple(campaign.advertised_categories))


def _view(campaign: t.Campaign, organisation: t.Organisation) -> CampaignView:
    scheduled = campaign.scheduled_at
    local = scheduled.astimezone(ZoneInfo(organisation.timezone)).strftime("%Y-%m-%d %H:%M %Z") if scheduled else None
    return CampaignView(
        id=campaign.id, name=campaign.name, kind=campaign.kind, channels=tuple(campaign.channels),
        advertised_categories=tuple(campaign.advertised_categories), template_key=campaign.template_key,
        segment=dict(campaign.audience), scheduled_at=scheduled, local_time=local, status=campaign.status,
    )
