"""The owner's dashboard in figures: how many customers may be written to on each channel, how many
finish the double opt-in, how many object, on which basis messages went out and why some were
withheld — per day, week or month, as plain data for the staff UI to draw.

Definitions (the same as the answer pack's, so the two never disagree):
- consent rate: customers with a valid consent on the channel at the end of the period (given by an
  active yes, proven, not withdrawn, not voided by a later objection) out of the customers with an
  address for that channel by then; an erased customer counts in neither;
- DOI completion: of the confirmation requests made in the period, those confirmed by now; `expired`
  ran out unconfirmed, `open` may still be confirmed;
- objections: ledger events in the period, by the channel they cover (`all`: every channel);
- messages by basis: messages sent in the period, by the legal basis of the decision they went out on;
- withheld: messages stopped at the moment of sending in the period, by the first reason.
"""

from bisect import bisect_right
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from konsent.domain import Channel
from konsent.services import dossier, organisations
from konsent.services.context import Konsent
from konsent.services.reporting import addresses, ledger_facts, words
from konsent.services.reporting.periods import Period, aware, bucket_of, periods, zone_of
from konsent.services.suppression import CONTACT_KIND
from konsent.storage import tables as t

CHANNELS = tuple(c.value for c in Channel)


@dataclass(frozen=True, slots=True)
class ConsentRate:
    with_address: int
    with_consent: int
    rate: float | None  # percent, one decimal; None without anyone to count


@dataclass(frozen=True, slots=True)
class DoiCompletion:
    requested: int
    confirmed: int
    expired: int
    open: int
    rate: float | None  # confirmed out of requested, percent


@dataclass(frozen=True, slots=True)
class Point:
    start: datetime
    end: datetime  # exclusive
    consent: dict[str, ConsentRate]  # channel -> rate at the period's end (or now)
    doi: DoiCompletion
    objections: dict[str, int]  # covered channel ("all" too) -> count
    messages_by_basis: dict[str, int]
    withheld_by_reason: dict[str, int]


@dataclass(frozen=True, slots=True)
class Dashboard:
    organisation_id: str
    since: datetime
    until: datetime
    bucket: str
    generated_at: datetime
    points: list[Point]
    words: dict[str, str]  # every code in the points, in the requested language

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = _iso(asdict(self))
        return document


def figures(
    app: Konsent, organisation_key: str, *, since: datetime | date, until: datetime | date, bucket: str = "week",
    lang: str = "de",
) -> Dashboard:
    """The figures per period from `since` to `until` (a day, or a time without zone, is the organisation's)."""
    lang = dossier.checked_lang(lang)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        found = periods(since, until, bucket, organisation.timezone)
        zone = zone_of(organisation.timezone)
        since, until = aware(since, zone), aware(until, zone)
        facts = ledger_facts.read(session, organisation.id)
        ends = [min(p.end, now) for p in found]
        rates = _consent_rates(session, organisation.id, facts, found, ends)
        doi = _doi(session, organisation.id, found, now)
        objections = _objections(facts, found)
        bases = _messages_by_basis(session, organisation.id, found)
        withheld = _withheld(session, organisation.id, found)
    points = [
        Point(start=p.start, end=p.end, consent=rates[i], doi=doi[i], objections=objections[i],
              messages_by_basis=bases[i], withheld_by_reason=withheld[i])
        for i, p in enumerate(found)
    ]
    codes = {*CHANNELS, "all", *(c for p in points for c in (*p.messages_by_basis, *p.withheld_by_reason))}
    return Dashboard(organisation_id=organisation.id, since=since, until=until, bucket=bucket, generated_at=now,
                     points=points, words={code: words.word(code, lang) for code in sorted(codes)})


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _consent_rates(
    session: Session, organisation_id: str, facts: ledger_facts.LedgerFacts, found: list[Period],
    ends: list[datetime],
) -> list[dict[str, ConsentRate]]:
    first = addresses.first_addresses(session, organisation_id)
    with_address: dict[str, list[int]] = {}
    for channel in CHANNELS:
        moments = sorted(first.get(CONTACT_KIND[Channel(channel)], {}).values())
        with_address[channel] = [bisect_right(moments, end) for end in ends]
    with_consent = {channel: [0] * len(found) for channel in CHANNELS}
    for customer, state in facts.states.items():
        if state.erased:
            continue
        for channel in {c.channel for c in state.consents}:
            since = first.get(CONTACT_KIND[channel], {}).get(customer)
            if since is None:
                continue
            counts = with_consent[channel.value]
            for i, end in enumerate(ends):
                if since <= end and ledger_facts.consented(state, channel, end):
                    counts[i] += 1
    return [
        {channel: ConsentRate(with_address[channel][i], with_consent[channel][i],
                              rate(with_consent[channel][i], with_address[channel][i])) for channel in CHANNELS}
        for i in range(len(found))
    ]


def _doi(session: Session, organisation_id: str, found: list[Period], now: datetime) -> list[DoiCompletion]:
    d = t.DoiRequest
    slot = bucket_of(d.requested_at, found)
    state = (func.sum(_one(d.confirmed_at.is_not(None))),
             func.sum(_one(d.confirmed_at.is_(None) & (d.expires_at <= now))))
    counts: dict[int, tuple[int, int, int]] = {}
    for index, requested, confirmed, expired in session.execute(
        select(slot, func.count(), *state).where(d.organisation_id == organisation_id).group_by(slot)
    ):
        if index is not None and index >= 0:
            counts[index] = (int(requested), int(confirmed or 0), int(expired or 0))
    result = []
    for i in range(len(found)):
        requested, confirmed, expired = counts.get(i, (0, 0, 0))
        result.append(DoiCompletion(requested, confirmed, expired, requested - confirmed - expired,
                                    rate(confirmed, requested)))
    return result


def _one(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _objections(facts: ledger_facts.LedgerFacts, found: list[Period]) -> list[dict[str, int]]:
    counts: list[Counter[str]] = [Counter() for _ in found]
    for objection in facts.objections:
        for i, p in enumerate(found):
            if p.start <= objection.at < p.end:
                counts[i][objection.channel] += 1
                break
    return [dict(sorted(c.items())) for c in counts]


def _messages_by_basis(session: Session, organisation_id: str, found: list[Period]) -> list[dict[str, int]]:
    m = t.Message
    slot, basis = bucket_of(m.sent_at, found), m.decision["basis"].as_string()
    counts: list[Counter[str]] = [Counter() for _ in found]
    for index, code, number in session.execute(
        select(slot, basis, func.count()).where(
            m.organisation_id == organisation_id, m.status == "sent", m.sent_at.is_not(None),
        ).group_by(slot, basis)
    ):
        if index is not None and index >= 0:
            counts[index][code or "none"] += number
    return [dict(sorted(c.items())) for c in counts]


def _withheld(session: Session, organisation_id: str, found: list[Period]) -> list[dict[str, int]]:
    m = t.Message
    counts: list[Counter[str]] = [Counter() for _ in found]
    for at, decision, error in session.execute(select(m.created_at, m.decision, m.error).where(
        m.organisation_id == organisation_id, m.status == "withheld", m.created_at >= found[0].start,
        m.created_at < found[-1].end,
    )):
        for i, p in enumerate(found):
            if p.start <= at < p.end:
                counts[i][words.withheld_reason(decision, error)] += 1
                break
    return [dict(sorted(c.items())) for c in counts]


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value

