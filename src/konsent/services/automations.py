"""Automations: messages a business sets up once and konsent sends by itself — on an event the host
system posts (a booking, an order) or on time (birthdays, win-back).

Every automated message is decided when it is scheduled, and the decision is stored with its outbox
row; the worker decides again when it sends. A message the engine denies is not queued: it is
written as `withheld` with the denying decision, so the owner sees who was left out and why, and its
deterministic dedupe key keeps it from being decided over and over.
"""

import calendar
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import extract, func, select, update
from sqlalchemy.orm import Session

from konsent.domain import Channel, MessageKind, Nature, decide
from konsent.domain.kinds import NATURE
from konsent.errors import InputError, KonsentError, NotFound
from konsent.messages import defaults
from konsent.services import audit, facts, organisations, outbox
from konsent.services.context import Konsent
from konsent.services.suppression import CONTACT_KIND
from konsent.storage import tables as t

CHANNELS = ("email", "sms")
PENDING = (outbox.QUEUED, outbox.AWAITING_RETRY)
CHUNK = 500  # keys per IN (...): well below SQLite's and psycopg's limits on bound parameters


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: MessageKind
    events: tuple[str, ...] = ()  # the host events that schedule it; none: `run` finds it on time
    defaults: dict[str, Any] = field(default_factory=dict)


TRIGGERS: dict[str, Trigger] = {
    "booking_confirmation": Trigger(MessageKind.BOOKING_CONFIRMATION, ("booking.created",)),
    "appointment_reminder": Trigger(MessageKind.APPOINTMENT_REMINDER, ("booking.created", "booking.changed"),
                                    {"hours_before": 24}),
    "review_request": Trigger(MessageKind.REVIEW_REQUEST, ("booking.created", "booking.changed"),
                              {"hours_after": 3}),
    "order_confirmation": Trigger(MessageKind.ORDER_CONFIRMATION, ("order.placed",)),
    "shipping_notice": Trigger(MessageKind.SHIPPING_STATUS, ("order.shipped",)),
    "birthday_greeting": Trigger(MessageKind.BIRTHDAY_GREETING, defaults={"at": "09:00"}),
    "winback": Trigger(MessageKind.WINBACK, defaults={"days_without_visit": 90}),
}
TIMED = tuple(name for name, trigger in TRIGGERS.items() if not trigger.events)
_NUMBERS = {"hours_before": (1, 24 * 30), "hours_after": (0, 24 * 30), "days_without_visit": (1, 3650)}


@dataclass(frozen=True, slots=True)
class AutomationView:
    id: str
    trigger: str
    kind: str
    channel: str
    template_key: str
    enabled: bool
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Planned:
    """One automated message to one customer, not yet decided."""

    automation: t.Automation
    customer: t.Customer
    dedupe_key: str
    due: datetime
    context: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scheduled:
    """An automated message as the outbox holds it: queued, or withheld with the reason."""

    outbox_id: str
    automation: str
    kind: str
    channel: str
    customer_id: str
    status: str
    due: datetime
    decision: str
    reasons: tuple[str, ...]
    note: str | None

    @classmethod
    def of(cls, row: t.OutboxItem, trigger: str) -> "Scheduled":
        return cls(row.id, trigger, row.kind, row.channel, row.customer_id, row.status, row.next_attempt_at,
                   row.decision.get("decision", ""), tuple(r["code"] for r in row.decision.get("reasons", [])),
                   row.last_error)


def enable(
    app: Konsent, organisation_key: str, trigger: str, *, channel: str = "email", template_key: str | None = None,
    settings: dict[str, Any] | None = None, actor: str | None = None,
) -> AutomationView:
    """Switch an automation on (creating it on first use); missing templates get konsent's defaults."""
    if trigger not in TRIGGERS:
        raise InputError("trigger", f"must be one of {', '.join(TRIGGERS)}")
    if channel not in CHANNELS:
        raise InputError("channel", "automations send by email or sms")
    if template_key is not None and not 0 < len(template_key.strip()) <= 100:
        raise InputError("template", "must be 1 to 100 characters")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _find(session, organisation.id, trigger, channel)
        if row is None:
            row = t.Automation(id=str(uuid.uuid4()), organisation_id=organisation.id, trigger=trigger,
                               channel=channel, template_key=trigger, settings={}, created_at=app.now())
            session.add(row)
        row.settings = checked_settings(trigger, {**row.settings, **(settings or {})})
        key = row.template_key = template_key or row.template_key
        row.enabled = True
        audit.record(session, organisation.id, actor=actor, action="automation.enabled", at=app.now(),
                     subject=row.id, trigger=trigger, channel=channel, settings=row.settings)
        view, organisation_id = _view(row), organisation.id
    defaults.seed(app, organisation_id, trigger=trigger, key=key, channel=channel)
    return view


def disable(app: Konsent, organisation_key: str, trigger: str, *, channel: str = "email",
            actor: str | None = None) -> AutomationView:
    """Switch it off; messages it already queued stay queued (each is decided again when sent)."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _find(session, organisation.id, trigger, channel)
        if row is None:
            raise NotFound("automation", f"{trigger} ({channel})")
        row.enabled = False
        audit.record(session, organisation.id, actor=actor, action="automation.disabled", at=app.now(),
                     subject=row.id, trigger=trigger, channel=channel)
        return _view(row)


def listed(app: Konsent, organisation_key: str) -> list[AutomationView]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        rows = session.scalars(select(t.Automation).where(t.Automation.organisation_id == organisation.id)
                               .order_by(t.Automation.trigger, t.Automation.channel))
        return [_view(row) for row in rows]


def checked_settings(trigger: str, given: dict[str, Any]) -> dict[str, Any]:
    spec = TRIGGERS[trigger]
    known = set(spec.defaults) | ({"advertised_categories"} if NATURE[spec.kind] is Nature.ADVERTISING else set())
    settings = dict(spec.defaults)
    for name, value in given.items():
        if name not in known:
            raise InputError(f"settings.{name}", f"not a setting of {trigger}; known: {', '.join(sorted(known))}")
        if name in _NUMBERS:
            low, high = _NUMBERS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InputError(f"settings.{name}", f"must be a whole number from {low} to {high}")
        elif name == "at":
            local_time(value)
        elif not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
            raise InputError(f"settings.{name}", "must be a list of category names")
        settings[name] = value
    return settings


def local_time(value: Any) -> time:
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InputError("settings.at", "must be a local time as HH:MM")
    return parsed


def zone_of(organisation: t.Organisation) -> ZoneInfo:
    try:
        return ZoneInfo(organisation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("timezone", "the organisation's time zone is unknown") from None


def schedule(session: Session, organisation: t.Organisation, planned: Sequence[Planned], *,
             now: datetime) -> list[Scheduled]:
    """Decide each planned message now and queue it; a denied one, or one without an address, is
    written as withheld. A message already scheduled under its key stays as it is — except one that
    a moved booking called off: the booking moving back brings it back."""
    scheduled: list[Scheduled] = []
    for start in range(0, len(planned), CHUNK):  # the first win-back run may find thousands
        scheduled += _schedule(session, organisation, planned[start:start + CHUNK], now)
    return scheduled


def _schedule(session: Session, organisation: t.Organisation, planned: Sequence[Planned],
              now: datetime) -> list[Scheduled]:
    wanted = {p.dedupe_key: p for p in planned}
    existing = {row.dedupe_key: row for row in session.scalars(select(t.OutboxItem).where(
        t.OutboxItem.organisation_id == organisation.id, t.OutboxItem.dedupe_key.in_(wanted)))}
    fresh = [p for key, p in wanted.items() if key not in existing or _called_off(existing[key])]
    reachable = _reachable(session, organisation.id, {p.customer.id for p in fresh})
    entries: list[outbox.Entry] = []
    notes: dict[str, str] = {}
    for p in fresh:
        trigger = TRIGGERS[p.automation.trigger]
        asked = facts.Asked(kind=trigger.kind.value, channel=p.automation.channel,
                            advertised_categories=tuple(p.automation.settings.get("advertised_categories", ())))
        decision = decide(facts.scenario_for(session, organisation, p.customer, asked, now))
        kind = CONTACT_KIND[Channel(p.automation.channel)]
        if not decision.allowed:
            notes[p.dedupe_key] = "denied when scheduled: " + ", ".join(decision.codes)
        elif (p.customer.id, kind) not in reachable:
            notes[p.dedupe_key] = f"no deliverable {kind} address"
        entry = outbox.Entry(
            customer_id=p.customer.id, channel=p.automation.channel, kind=trigger.kind.value,
            dedupe_key=p.dedupe_key, template_key=p.automation.template_key, decision=decision.to_dict(),
            send_after=p.due, advertised_categories=asked.advertised_categories, context=p.context,
            automation_id=p.automation.id,
        )
        if p.dedupe_key in existing:
            _revive(existing[p.dedupe_key], entry, notes.get(p.dedupe_key), now)
        else:
            entries.append(entry)
    outbox.enqueue(session, organisation.id, entries, now=now)
    _withhold_new(session, organisation.id, {k: v for k, v in notes.items() if k not in existing}, now)
    session.flush()
    triggers = {p.automation.id: p.automation.trigger for p in fresh}
    rows = session.scalars(select(t.OutboxItem).where(
        t.OutboxItem.organisation_id == organisation.id, t.OutboxItem.dedupe_key.in_([p.dedupe_key for p in fresh]),
        t.OutboxItem.updated_at == now).order_by(t.OutboxItem.next_attempt_at, t.OutboxItem.dedupe_key))
    return [Scheduled.of(row, triggers[row.automation_id or ""]) for row in rows]


def call_off(rows: Sequence[t.OutboxItem], *, note: str, by_event: str, now: datetime) -> None:
    """Withhold messages not yet sent (a cancelled or moved booking); in flight or sent ones are past it."""
    for row in rows:
        if row.status in PENDING:
            row.status, row.last_error, row.updated_at = outbox.WITHHELD, note, now
            row.context = {**row.context, "withheld_by": by_event}


def _called_off(row: t.OutboxItem) -> bool:
    return row.status == outbox.WITHHELD and "withheld_by" in row.context


def _revive(row: t.OutboxItem, entry: outbox.Entry, note: str | None, now: datetime) -> None:
    row.status = outbox.WITHHELD if note else outbox.QUEUED
    row.decision, row.context, row.template_key = entry.decision, entry.context, entry.template_key
    row.next_attempt_at, row.last_error, row.attempts, row.updated_at = entry.send_after, note, 0, now


def _withhold_new(session: Session, organisation_id: str, notes: dict[str, str], now: datetime) -> None:
    by_note: dict[str, list[str]] = defaultdict(list)
    for key, note in notes.items():
        by_note[note].append(key)
    for note, keys in by_note.items():
        # Only the rows this transaction queued (created now): a concurrent scheduler's row is its own.
        session.execute(update(t.OutboxItem).where(
            t.OutboxItem.organisation_id == organisation_id, t.OutboxItem.dedupe_key.in_(keys),
            t.OutboxItem.status == outbox.QUEUED, t.OutboxItem.created_at == now,
        ).values(status=outbox.WITHHELD, last_error=note))


def _reachable(session: Session, organisation_id: str, customer_ids: set[str]) -> set[tuple[str, str]]:
    if not customer_ids:
        return set()
    rows = session.execute(select(t.ContactPoint.customer_id, t.ContactPoint.kind).where(
        t.ContactPoint.organisation_id == organisation_id, t.ContactPoint.customer_id.in_(customer_ids),
        t.ContactPoint.bounced_at.is_(None)))
    return {(customer_id, kind) for customer_id, kind in rows}


def _find(session: Session, organisation_id: str, trigger: str, channel: str) -> t.Automation | None:
    return session.scalar(select(t.Automation).where(
        t.Automation.organisation_id == organisation_id, t.Automation.trigger == trigger,
        t.Automation.channel == channel))


def _view(row: t.Automation) -> AutomationView:
    return AutomationView(row.id, row.trigger, TRIGGERS[row.trigger].kind.value, row.channel, row.template_key,
                          row.enabled, dict(row.settings))



# --- automations on time: found by `run`, which the worker loop calls (or `konsent automation run`) ----


@dataclass(frozen=True, slots=True)
class RunResult:
    organisation: str
    automation: str
    channel: str
    queued: int
    withheld: int
    reasons: dict[str, int]  # why the withheld ones may not go: reason code (or note) -> how many
    error: str | None = None  # this automation could not run (the others still did)


def run(app: Konsent, *, organisation_key: str | None = None) -> list[RunResult]:
    """Schedule what is due on time now: today's birthdays, customers who stayed away too long.
    Safe to call as often as you like: each message has its dedupe key and is decided once."""
    now = app.now()
    with app.db.unit_of_work() as session:
        query = select(t.Automation.id, t.Organisation.slug, t.Automation.trigger, t.Automation.channel).join(
            t.Organisation, t.Organisation.id == t.Automation.organisation_id,
        ).where(t.Automation.enabled.is_(True), t.Automation.trigger.in_(TIMED))
        if organisation_key is not None:
            query = query.where(t.Automation.organisation_id == organisations.get(session, organisation_key).id)
        due = list(session.execute(query.order_by(t.Organisation.slug, t.Automation.trigger, t.Automation.channel)))
    results = []
    for automation_id, slug, trigger, channel in due:
        try:
            with app.db.unit_of_work() as session:  # one organisation's automation at a time, all or nothing
                automation = session.get_one(t.Automation, automation_id)
                organisation = session.get_one(t.Organisation, automation.organisation_id)
                planner = _birthdays if trigger == "birthday_greeting" else _lapsed
                planned = planner(session, organisation, automation, now)
                results.append(_summary(slug, automation, schedule(session, organisation, planned, now=now)))
        except KonsentError as error:
            # One organisation's broken setting (an unknown time zone) must not stop the others' greetings.
            results.append(RunResult(slug, trigger, channel, 0, 0, {}, error=str(error)))
    return results


def _birthdays(session: Session, organisation: t.Organisation, automation: t.Automation,
               now: datetime) -> list[Planned]:
    """Customers whose birthday is today in the organisation's time zone, once the set hour has come."""
    zone = zone_of(organisation)
    local = now.astimezone(zone)
    at = local_time(automation.settings.get("at", "09:00"))
    if local.time() < at:
        return []
    today = local.date()
    days = [today.day]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append(29)  # born on 29 February: greeted on the 28th when the year has no 29th
    born_today = session.scalars(select(t.Customer).where(
        t.Customer.organisation_id == organisation.id, t.Customer.erased_at.is_(None),
        t.Customer.birthday.is_not(None), extract("month", t.Customer.birthday) == today.month,
        extract("day", t.Customer.birthday).in_(days),
    ).order_by(t.Customer.id))
    due = datetime.combine(today, at, tzinfo=zone).astimezone(UTC)
    return [Planned(automation, customer, f"birthday:{automation.id}:{customer.id}:{today.year}", due,
                    {"year": today.year}) for customer in born_today]


def _lapsed(session: Session, organisation: t.Organisation, automation: t.Automation,
            now: datetime) -> list[Planned]:
    """Customers whose last purchase or booking is more than N days ago, once per absence: a win-back
    scheduled after their last visit (sent or withheld) means this absence was already answered."""
    cutoff = now - timedelta(days=int(automation.settings.get("days_without_visit", 90)))
    c = t.Customer
    # Two scans rather than a correlated NOT EXISTS: SQLite would search the outbox once per customer.
    last_asked = dict(session.execute(select(t.OutboxItem.customer_id, func.max(t.OutboxItem.created_at)).where(
        t.OutboxItem.organisation_id == organisation.id, t.OutboxItem.automation_id == automation.id,
    ).group_by(t.OutboxItem.customer_id)).all())
    planned = []
    for customer in session.scalars(select(c).where(
        c.organisation_id == organisation.id, c.last_visit_at <= cutoff, c.erased_at.is_(None),
    ).order_by(c.id)):
        at = customer.last_visit_at
        assert at is not None  # the query asked for one
        if last_asked.get(customer.id, at) > at:
            continue
        planned.append(Planned(automation, customer, f"winback:{automation.id}:{customer.id}:{at:%Y%m%dT%H%M%S}",
                               now, {"last_visit": at.isoformat()}))
    return planned


def _summary(slug: str, automation: t.Automation, scheduled: list[Scheduled]) -> RunResult:
    withheld = [s for s in scheduled if s.status == outbox.WITHHELD]
    reasons = Counter(code for s in withheld for code in (s.reasons if s.decision == "deny" else (s.note or "",)))
    return RunResult(slug, automation.trigger, automation.channel, len(scheduled) - len(withheld), len(withheld),
                     dict(sorted(reasons.items())))
