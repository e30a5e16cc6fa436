"""What the campaign pages read besides services/campaigns: the list, a preview of a draft that is not
saved yet, every customer left out for one reason (the preview keeps only a few examples), and the
results of a campaign that went out. Reads only (the projection is built on first use, as a preview does)."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from konsent.domain import Channel
from konsent.domain import audience as plan
from konsent.errors import NotFound
from konsent.services import audience, organisations
from konsent.services.audience import Asked, Segment
from konsent.services.campaigns import CampaignDraft
from konsent.services.context import Konsent
from konsent.services.reporting.words import withheld_reason
from konsent.services.suppression import CONTACT_KIND
from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql

PAGE = 100


@dataclass(frozen=True)
class Listed:
    id: str
    name: str
    kind: str
    channels: tuple[str, ...]
    status: str
    scheduled_at: datetime | None


def listed(app: Konsent, organisation_key: str) -> list[Listed]:
    """The organisation's campaigns, newest first."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        rows = session.scalars(select(t.Campaign).where(t.Campaign.organisation_id == organisation.id)
                               .order_by(t.Campaign.created_at.desc(), t.Campaign.id))
        return [Listed(r.id, r.name, r.kind, tuple(r.channels), r.status, r.scheduled_at) for r in rows]


def template_keys(app: Konsent, organisation_key: str) -> dict[str, list[str]]:
    """Each message template's key with the channels it is written for."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        m = t.MessageTemplate
        found: dict[str, list[str]] = {}
        for key, channel in session.execute(select(m.key, m.channel).where(m.organisation_id == organisation.id)
                                            .distinct().order_by(m.key, m.channel)):
            found.setdefault(key, []).append(channel)
        return found


@contextmanager
def _snapshot(app: Konsent) -> Iterator[Session]:
    with app.db.unit_of_work() as session:
        if on_postgresql(app.db.engine):
            # As services/campaigns.preview: counts and lists from one snapshot, each query planned for its moment.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        yield session


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.replace(tzinfo=zone) if moment is not None and moment.tzinfo is None else moment


def draft_preview(app: Konsent, organisation_key: str, draft: CampaignDraft) -> plan.SendPlan:
    """Whom a draft reaches as it stands in the form, before it is saved (the live preview)."""
    draft.check()
    audience.catch_up(app, organisation_key)
    with _snapshot(app) as session:
        organisation = organisations.get(session, organisation_key)
        zone, now = ZoneInfo(organisation.timezone), app.now()
        at = max(_local(draft.send_at, zone) or now, now)
        segment = replace(draft.segment, last_visit_before=_local(draft.segment.last_visit_before, zone),
                          last_visit_after=_local(draft.segment.last_visit_after, zone))
        asked = Asked(draft.kind, tuple(dict.fromkeys(draft.channels)), tuple(sorted(set(draft.advertised_categories))))
        built = audience.ensure_built(session, organisation.id, now=now)
        return audience.preview(session, organisation, asked, segment, at, keep=not built)


@dataclass(frozen=True)
class Person:
    id: str
    first_name: str | None
    last_name: str | None
    address: str | None  # the channel's address, if any is on record
    erased: bool


@dataclass(frozen=True)
class LeftOut:
    channel: str
    code: str
    at: datetime
    total: int
    people: list[Person]  # a page of them, in the order of their ids
    after: str | None  # the cursor of the next page


def left_out(app: Konsent, organisation_key: str, campaign_id: str, channel: str, code: str, *,
             after: str = "", limit: int | None = None) -> LeftOut:
    """Every customer the stored campaign leaves out on `channel` for reason `code`, decided exactly as
    its preview and its scheduling decide: per key of what the message reads, at the same moment."""
    audience.catch_up(app, organisation_key)
    with _snapshot(app) as session:
        organisation = organisations.get(session, organisation_key)
        campaign = session.scalar(select(t.Campaign).where(t.Campaign.organisation_id == organisation.id,
                                                           t.Campaign.id == campaign_id))
        if campaign is None:
            raise NotFound("campaign", campaign_id)
        if channel not in campaign.channels:
            raise NotFound("channel of the campaign", channel)
        now = app.now()
        at = max(campaign.scheduled_at or now, now)
        audience.ensure_built(session, organisation.id, now=now)
        asked = Asked(campaign.kind, tuple(campaign.channels), tuple(campaign.advertised_categories))
        segment = Segment.from_document(campaign.audience)
        ids: list[str] = []
        with audience.lens_for(organisation, asked.message(channel)) as lens:
            for page in audience.pages(session, organisation, channel, segment, at, lens):
                for customer_id, key in page:
                    decision = lens.decide(key)
                    if decision is not None and decision.allowed:
                        continue
                    if code in plan.reasons_of(lens.view(key), decision):
                        ids.append(customer_id)
        limit = limit or PAGE
        later = sorted(i for i in ids if i > after)
        shown = later[:limit]
        return LeftOut(channel, code, at, len(ids), _people(session, organisation.id, shown, channel),
                       shown[-1] if len(later) > limit else None)


def _people(session: Session, organisation_id: str, ids: list[str], channel: str) -> list[Person]:
    if not ids:
        return []
    kind = CONTACT_KIND[Channel(channel)]
    addresses = dict(session.execute(select(t.ContactPoint.customer_id, t.ContactPoint.value).where(
        t.ContactPoint.organisation_id == organisation_id, t.ContactPoint.customer_id.in_(ids),
        t.ContactPoint.kind == kind)).all())
    rows = {r.id: r for r in session.scalars(select(t.Customer).where(
        t.Customer.organisation_id == organisation_id, t.Customer.id.in_(ids)))}
    return [Person(i, rows[i].first_name, rows[i].last_name, addresses.get(i), rows[i].erased_at is not None)
            for i in ids if i in rows]


@dataclass(frozen=True)
class Results:
    sent_by_basis: dict[str, int]
    withheld_by_reason: dict[str, int]


def results(app: Konsent, organisation_key: str, campaign_id: str) -> Results:
    """What went out on which legal basis, and why the rest was stopped at the moment of sending."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        m, o = t.Message, t.OutboxItem
        basis = m.decision["basis"].as_string()
        sent = Counter({code or "none": n for code, n in session.execute(
            select(basis, func.count()).where(m.organisation_id == organisation.id, m.campaign_id == campaign_id,
                                              m.status == "sent").group_by(basis))})
        withheld: Counter[str] = Counter()
        # A cancelled campaign's rows are withheld without a message of their own.
        for decision, error, told, said in session.execute(
                select(o.decision, o.last_error, m.decision, m.error).outerjoin(
                    m, (m.organisation_id == o.organisation_id) & (m.outbox_id == o.id))
                .where(o.organisation_id == organisation.id, o.campaign_id == campaign_id, o.status == "withheld")):
            withheld[withheld_reason(told, said) if told is not None else withheld_reason(decision, error)] += 1
        return Results(dict(sent.most_common()), dict(withheld.most_common()))
