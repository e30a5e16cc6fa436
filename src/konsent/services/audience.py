"""The audience projection on disk, and the send plan computed from it.

Each customer has a row per channel in `customer_signatures`: the numbers of their signature's three
parts (domain/audience.py) from `since`, and after its next two changes. `refresh` rewrites it when
what the law reads about the customer changes: a purchase, a new customer, a bounce or an erasure
rewrite it in their own transaction; a ledger append only marks the customer in `audience_backlog`
(also in its transaction), and `catch_up` projects the marked customers before a preview or a
scheduling reads the rows — so these count every change committed before them — and in the worker.

A preview gives every part number the key of what the campaign's message reads of it (a `Lens`),
hands PostgreSQL those keys as arrays, and lets it count customers per key in one index-only scan;
SQLite counts per part numbers and Python maps them. Customers whose stored slots end before the
moment of sending are worked out one by one. Each key is decided once, with the same `decide` the
worker runs at send time.
"""

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    delete,
    exists,
    extract,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.sql.expression import type_coerce

from konsent.domain import (
    Channel,
    Finding,
    Jurisdiction,
    Message,
    MessageKind,
    Purchase,
    RecipientType,
    Registers,
)
from konsent.domain import audience as plan
from konsent.domain.audience import ADDRESS_BOUNCED, PARTS, REACHABLE, History, Key, Lens, View
from konsent.errors import InputError
from konsent.services import collected, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.storage.sql import dialect_of

CHANNELS = (Channel.EMAIL, Channel.SMS)  # the channels campaigns send on
EXAMPLES = 3
_CHUNK = 500
S = t.CustomerSignature
_NOW = (S.core, S.consents, S.bought)
_NEXT = (S.next_core, S.next_consents, S.next_bought)
_LATER = (S.later_core, S.later_consents, S.later_bought)


# --- which customers: the segment ----------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """Which customers a campaign is meant for; every part left empty selects everyone."""

    types: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()  # the customer's, else the organisation's
    jurisdictions: tuple[str, ...] = ()  # the customer's, else the organisation's
    tags: tuple[str, ...] = ()  # any of them
    bought: tuple[str, ...] = ()  # bought any of these categories, ever
    # Without a time zone, these are the organisation's local time (campaigns.create sets it).
    last_visit_before: datetime | None = None  # the latest purchase or booking lies before this
    last_visit_after: datetime | None = None  # ... after this
    birthday_month: int | None = None  # 1-12

    def check(self) -> None:
        for name, allowed in (("types", {r.value for r in RecipientType}), ("locales", {"de", "en"}),
                              ("jurisdictions", {j.value for j in Jurisdiction})):
            for value in getattr(self, name):
                if value not in allowed:
                    raise InputError(f"segment.{name}", f"{value!r} is not one of {', '.join(sorted(allowed))}")
        for name in ("tags", "bought"):
            for value in getattr(self, name):
                if not value.strip() or len(value) > 100:
                    raise InputError(f"segment.{name}", "each must be 1 to 100 characters")
        if self.birthday_month is not None and not 1 <= self.birthday_month <= 12:
            raise InputError("segment.birthday_month", "must be 1 to 12")

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        for name in ("types", "locales", "jurisdictions", "tags", "bought"):
            if getattr(self, name):
                document[name] = list(getattr(self, name))
        for name in ("last_visit_before", "last_visit_after"):
            if getattr(self, name) is not None:
                document[name] = getattr(self, name).isoformat()
        if self.birthday_month is not None:
            document["birthday_month"] = self.birthday_month
        return document

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "Segment":
        def moment(name: str) -> datetime | None:
            value = document.get(name)
            return datetime.fromisoformat(value) if value else None

        return cls(
            types=tuple(document.get("types", ())), locales=tuple(document.get("locales", ())),
            jurisdictions=tuple(document.get("jurisdictions", ())), tags=tuple(document.get("tags", ())),
            bought=tuple(document.get("bought", ())), last_visit_before=moment("last_visit_before"),
            last_visit_after=moment("last_visit_after"), birthday_month=document.get("birthday_month"),
        )


def _conditions(organisation: t.Organisation, segment: Segment, dialect: str) -> list[ColumnElement[bool]]:
    c, p = t.Customer, t.Purchase
    conditions: list[ColumnElement[bool]] = []
    if segment.types:
        conditions.append(c.type.in_(segment.types))
    if segment.locales:
        conditions.append(func.coalesce(c.locale, organisation.locale).in_(segment.locales))
    if segment.jurisdictions:
        conditions.append(func.coalesce(c.jurisdiction, organisation.jurisdiction).in_(segment.jurisdictions))
    if segment.birthday_month is not None:
        conditions.append(extract("month", c.birthday) == segment.birthday_month)
    if segment.tags:
        conditions.append(_has_any(c.tags, segment.tags, dialect))
    own = (p.organisation_id == c.organisation_id) & (p.customer_id == c.id)
    if segment.bought:
        conditions.append(exists().where(own, _has_any(p.categories, segment.bought, dialect)))
    # A customer who never bought or booked has no last visit: neither bound matches them.
    if segment.last_visit_before is not None:
        conditions.append(c.last_visit_at < segment.last_visit_before)
    if segment.last_visit_after is not None:
        conditions.append(c.last_visit_at > segment.last_visit_after)
    return conditions


def _has_any(column: Any, values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """The JSON list in `column` holds at least one of `values`."""
    if dialect == "postgresql":
        contains: ColumnElement[bool] = type_coerce(column, JSONB).has_any(postgresql.array(list(values)))
        return contains
    items = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(items).where(items.c.value.in_(values)))


def _scoped(
    session: Session, organisation: t.Organisation, channel: str, segment: Segment, *columns: Any,
) -> Select[Any]:
    query = select(*columns).where(S.organisation_id == organisation.id, S.channel == channel)
    conditions = _conditions(organisation, segment, dialect_of(session))
    if conditions:
        query = query.join(t.Customer, (t.Customer.organisation_id == S.organisation_id)
                           & (t.Customer.id == S.customer_id)).where(*conditions)
    return query


# --- the projection: histories, numbered parts, rows ---------------------------------------

def histories(session: Session, organisation_id: str, customer_ids: Sequence[str]) -> dict[str, History]:
    """What a send plan reads about each customer, loaded in a few queries per 500 customers."""
    found: dict[str, History] = {}
    for start in range(0, len(customer_ids), _CHUNK):
        found.update(_histories(session, organisation_id, list(customer_ids[start:start + _CHUNK])))
    return found


def _histories(session: Session, organisation_id: str, ids: list[str]) -> dict[str, History]:
    c, cp, p, e = t.Customer, t.ContactPoint, t.Purchase, t.LedgerEvent
    reach: dict[str, dict[Channel, str]] = {}
    changed: dict[str, list[tuple[str, datetime | None]]] = {}
    for customer_id, kind, bounced_at, changed_at in session.execute(select(
            cp.customer_id, cp.kind, cp.bounced_at, cp.changed_at).where(
            cp.organisation_id == organisation_id, cp.customer_id.in_(ids))):
        changed.setdefault(customer_id, []).append((kind, changed_at))
        for channel in CHANNELS:
            if suppression.CONTACT_KIND[channel] == kind:
                reach.setdefault(customer_id, {})[channel] = ADDRESS_BOUNCED if bounced_at else REACHABLE
    purchases: dict[str, list[Purchase]] = {}
    for row in session.execute(select(p.customer_id, p.occurred_at, p.categories, p.contact_collected,
                                      p.objection_notice_at_collection).where(
            p.organisation_id == organisation_id, p.customer_id.in_(ids))):
        purchases.setdefault(row.customer_id, []).append(Purchase(
            at=row.occurred_at, categories=frozenset(row.categories),
            contact_collected=frozenset(Channel(channel) for channel in row.contact_collected),
            objection_notice_at_collection=row.objection_notice_at_collection,
        ))
    events: dict[str, list[Any]] = {}
    for customer_id, body in session.execute(select(e.customer_id, e.body).where(
            e.organisation_id == organisation_id, e.customer_id.in_(ids)).order_by(e.customer_id, e.seq)):
        events.setdefault(customer_id, []).append(ledger.event_from_body(bytes(body)))
    return {
        row.id: History(
            events=tuple(events.get(row.id, ())),
            purchases=tuple(collected.as_collected(purchases.get(row.id, ()),
                                                   collected.address_since(changed.get(row.id, ())))),
            type=RecipientType(row.type), jurisdiction=row.jurisdiction,
            registers=Registers(**{name: bool(value) for name, value in row.registers.items()}),
            reach=reach.get(row.id, {}), erased=row.erased_at is not None,
        )
        for row in session.execute(select(c.id, c.type, c.jurisdiction, c.registers, c.erased_at).where(
            c.organisation_id == organisation_id, c.id.in_(ids)))
    }


class Numbers:
    """Numbers the parts of signatures within one transaction: looked up, or added as the next."""

    def __init__(self, session: Session, organisation_id: str, *, now: datetime) -> None:
        self.session, self.organisation_id, self.now = session, organisation_id, now
        self.known: dict[tuple[str, Any], int] = {}

    def row(self, customer_id: str, channel: Channel, known: plan.Slots) -> dict[str, Any]:
        numbers: list[list[int | None]] = [
            [self.known[(kind, part)] for kind, part in zip(PARTS, _parts(view), strict=True)] for view in known.views]
        numbers += [[None] * 3] * (3 - len(numbers))
        bounds = [*known.starts[1:], known.until] + [plan.FOREVER] * 2
        return {
            "organisation_id": self.organisation_id, "customer_id": customer_id, "channel": channel.value,
            "since": known.starts[0], **dict(zip(("core", "consents", "bought"), numbers[0], strict=True)),
            "next_at": bounds[0], **dict(zip(("next_core", "next_consents", "next_bought"), numbers[1], strict=True)),
            "later_at": bounds[1],
            **dict(zip(("later_core", "later_consents", "later_bought"), numbers[2], strict=True)),
            "until": bounds[2],
        }

    def add(self, views: Iterable[View]) -> None:
        wanted = {(kind, part) for view in views for kind, part in zip(PARTS, _parts(view), strict=True)}
        missing = {key: plan.document_of(*key) for key in wanted if key not in self.known}
        if not missing:
            return
        digests = {key: plan.digest(document) for key, document in missing.items()}
        # Whoever numbers holds the organisation's lock (`lock`): numbers go out one after another.
        found = self._stored(digests)
        new = [key for key in digests if key not in found]
        if new:
            last = dict(self.session.execute(select(t.FactPart.kind, func.max(t.FactPart.number)).where(
                t.FactPart.organisation_id == self.organisation_id).group_by(t.FactPart.kind)).all())
            rows = []
            for key in new:
                last[key[0]] = found[key] = (last.get(key[0]) or 0) + 1
                rows.append({"organisation_id": self.organisation_id, "kind": key[0], "number": found[key],
                             "digest": digests[key], "facts": missing[key], "created_at": self.now})
            for start in range(0, len(rows), 1_000):
                self.session.execute(insert(t.FactPart), rows[start:start + 1_000])
        self.known.update(found)

    def _stored(self, digests: dict[tuple[str, Any], int]) -> dict[tuple[str, Any], int]:
        by_digest = {(key[0], value): key for key, value in digests.items()}
        found: dict[tuple[str, Any], int] = {}
        values = list(set(digests.values()))
        for start in range(0, len(values), 5_000):
            for kind, stored, number in self.session.execute(select(
                    t.FactPart.kind, t.FactPart.digest, t.FactPart.number).where(
                    t.FactPart.organisation_id == self.organisation_id,
                    t.FactPart.digest.in_(values[start:start + 5_000]))):
                key = by_digest.get((kind, stored))
                if key is not None:
                    found[key] = number
        return found


def _parts(view: View) -> tuple[Any, Any, Any]:
    return view.core, view.consents, view.bought


def refresh(session: Session, organisation_id: str, customer_ids: Sequence[str], *, now: datetime) -> None:
    """Rewrite these customers' rows from what is on record now (inside the caller's transaction)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    session.flush()
    lock(session, organisation_id)
    numbers = Numbers(session, organisation_id, now=now)
    store(session, numbers, projected(histories(session, organisation_id, ids), now=now))


def catch_up(app: Konsent, organisation_key: str, *, chunk: int = _CHUNK) -> int:
    """Project the customers marked stale, a chunk per transaction; how many. Previews and schedulings
    call it first, so they count every change committed before them; the worker drains the rest."""
    done = 0
    while True:
        with app.db.unit_of_work() as session:
            organisation_id = organisations.get(session, organisation_key).id
            B = t.AudienceBacklog
            waiting = select(B.customer_id).where(B.organisation_id == organisation_id)
            if session.scalar(waiting.limit(1)) is None:  # the usual case: no lock taken
                return done
            lock(session, organisation_id)  # appends wait meanwhile: nothing is marked while we project
            ids = list(session.scalars(waiting.order_by(B.customer_id).limit(chunk)))
            refresh(session, organisation_id, ids, now=app.now())
            session.execute(delete(B).where(B.organisation_id == organisation_id, B.customer_id.in_(ids)))
            done += len(ids)


def lock(session: Session, organisation_id: str) -> None:
    """One writer at a time per organisation: two transactions changing one customer must not each
    write a row that misses the other's change, and part numbers and counts go out one after
    another. The ledger's head is that lock already — every append takes it — so taking it here
    adds no second lock to wait for in another order. (SQLite lets one writer in at a time anyway.)"""
    if dialect_of(session) == "postgresql":
        session.execute(select(t.LedgerHead.seq).where(t.LedgerHead.organisation_id == organisation_id)
                        .with_for_update())


def projected(found: dict[str, History], *, now: datetime) -> list[tuple[str, Channel, plan.Slots]]:
    """Each customer's slots on each campaign channel, from `now` on."""
    return [(cid, channel, plan.slots(history, channel, now)) for cid, history in found.items() for channel in CHANNELS]


def store(session: Session, numbers: Numbers, rows: list[tuple[str, Channel, plan.Slots]]) -> None:
    numbers.add(view for _, _, known in rows for view in known.views)
    values = [numbers.row(customer_id, channel, known) for customer_id, channel, known in rows]
    if not values:
        return
    organisation_id = numbers.organisation_id
    change: Counter[tuple[str, int, int, int]] = Counter()
    ids = sorted({value["customer_id"] for value in values})
    for start in range(0, len(ids), _CHUNK):
        for channel, core, consents, bought in session.execute(select(S.channel, *_NOW).where(
                S.organisation_id == organisation_id, S.customer_id.in_(ids[start:start + _CHUNK]))):
            change[(channel, core, consents, bought)] -= 1
    for value in values:
        change[(value["channel"], value["core"], value["consents"], value["bought"])] += 1
    insert_ = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    statement = insert_(S)
    changed = [name for name in values[0] if name not in ("organisation_id", "customer_id", "channel")]
    session.execute(statement.on_conflict_do_update(
        index_elements=["organisation_id", "customer_id", "channel"],
        set_={name: statement.excluded[name] for name in changed},
    ), values)
    counts = [{"organisation_id": organisation_id, "channel": channel, "core": core, "consents": consents,
               "bought": bought, "customers": n}
              for (channel, core, consents, bought), n in sorted(change.items()) if n]
    if counts:
        counting = insert_(t.SignatureCount)
        session.execute(counting.on_conflict_do_update(
            index_elements=["organisation_id", "channel", "core", "consents", "bought"],
            set_={"customers": t.SignatureCount.customers + counting.excluded.customers},
        ), counts)


def recount(session: Session, organisation_id: str) -> None:
    """The counts anew from the rows (after a bulk load, or to repair them)."""
    session.execute(delete(t.SignatureCount).where(t.SignatureCount.organisation_id == organisation_id))
    session.execute(insert(t.SignatureCount).from_select(
        ["organisation_id", "channel", "core", "consents", "bought", "customers"],
        select(S.organisation_id, S.channel, *_NOW, func.count()).where(S.organisation_id == organisation_id)
        .group_by(S.organisation_id, S.channel, *_NOW),
    ))


def rebuild(
    session: Session, organisation_id: str, *, now: datetime, progress: Callable[[int], None] | None = None,
) -> int:
    """Project every customer of the organisation (after an upgrade, or to repair); returns how many."""
    done, last = 0, ""
    while ids := list(session.scalars(select(t.Customer.id).where(
            t.Customer.organisation_id == organisation_id, t.Customer.id > last,
    ).order_by(t.Customer.id).limit(_CHUNK))):
        refresh(session, organisation_id, ids, now=now)
        done, last = done + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    recount(session, organisation_id)
    mark_built(session, organisation_id, now=now)
    session.execute(delete(t.AudienceBacklog).where(t.AudienceBacklog.organisation_id == organisation_id))
    return done


def rebuild_all(app: Konsent, organisation_key: str) -> int:
    with app.db.unit_of_work() as session:
        return rebuild(session, organisations.get(session, organisation_key).id, now=app.now())


def mark_built(session: Session, organisation_id: str, *, now: datetime) -> None:
    """From now on every change refreshes the projection: it covers every customer."""
    if session.get(t.AudienceBuild, organisation_id) is None:
        session.add(t.AudienceBuild(organisation_id=organisation_id, built_at=now))
        session.flush()


def ensure_built(session: Session, organisation_id: str, *, now: datetime) -> bool:
    """Build the projection if the organisation has none yet; True when it was built just now."""
    if session.get(t.AudienceBuild, organisation_id) is not None:
        return False
    rebuild(session, organisation_id, now=now)
    return True


def refresh_due(session: Session, organisation_id: str, *, now: datetime, limit: int = 10_000) -> int:
    """Re-anchor rows whose next change has passed, so previews keep to the index-only path."""
    ids = list(session.scalars(select(S.customer_id).distinct().where(
        S.organisation_id == organisation_id, S.next_at <= now).limit(limit)))
    refresh(session, organisation_id, ids, now=now)
    return len(ids)


# Parts are numbered once and never change: what another transaction committed can be kept. Only
# parts this transaction wrote itself (a first build) might yet be rolled back, so those are not kept.
_PARTS: dict[tuple[str, str], dict[str, dict[int, Any]]] = {}


def stored_parts(session: Session, organisation_id: str, *, keep: bool = False) -> dict[str, dict[int, Any]]:
    """Every numbered part of the organisation: kind -> number -> part."""
    where = (str(session.get_bind().engine.url), organisation_id)
    kept = _PARTS.get(where, {kind: {} for kind in PARTS})
    found = {kind: dict(numbered) for kind, numbered in kept.items()}
    newer = [(t.FactPart.kind == kind) & (t.FactPart.number > max(numbered, default=0))
             for kind, numbered in found.items()]
    # As text: the driver's JSONB loader is slower than reading the text once here.
    for kind, number, facts in session.execute(select(
            t.FactPart.kind, t.FactPart.number, cast(t.FactPart.facts, Text)).where(
            t.FactPart.organisation_id == organisation_id, or_(*newer))):
        found[kind][number] = plan.part_from(kind, json.loads(facts))
    if keep:
        _PARTS[where] = found
    return found


# What one message reads of the parts is worked out once per process: a lens keeps its keys and
# decisions. One preview at a time uses a lens, so that its numbering stays in step.
_LENSES: OrderedDict[Hashable, tuple[Lens, threading.Lock]] = OrderedDict()
_LENSES_LOCK = threading.Lock()


@contextmanager
def lens_for(organisation: t.Organisation, message: Message) -> Iterator[Lens]:
    policy, jurisdiction = organisations.policy(organisation), Jurisdiction(organisation.jurisdiction)
    key = (organisation.id, policy, jurisdiction, message)
    with _LENSES_LOCK:
        if key not in _LENSES:
            _LENSES[key] = (Lens(message, policy, jurisdiction), threading.Lock())
        _LENSES.move_to_end(key)
        lens, lock = _LENSES[key]
        while len(_LENSES) > 64:
            _LENSES.popitem(last=False)
    with lock:
        yield lens


# --- counting customers per key ------------------------------------------------------------

@dataclass
class Groups:
    """One channel's audience at one moment: customers per key of what the message reads."""

    counts: Counter[Key] = field(default_factory=Counter)
    members: dict[Key, list[str]] = field(default_factory=dict)  # a few known customers per key
    stored: dict[Key, list[tuple[int, int, int]]] = field(default_factory=dict)  # signatures with the key
    maps: tuple[list[int], list[int], list[int]] = ([], [], [])  # part number -> key, per kind


def keyed(lens: Lens, parts: dict[str, dict[int, Any]]) -> tuple[list[int], list[int], list[int]]:
    """For each kind, a list whose n-th entry is the key of part number n (0 where there is none)."""
    read: tuple[Callable[[Any], int], ...] = (lens.core, lens.consents, lens.bought)
    maps = []
    for kind, key_of in zip(PARTS, read, strict=True):
        numbered = parts[kind]
        entries = [0] * (max(numbered, default=0) + 1)
        for number, part in numbered.items():
            entries[number] = key_of(part)
        maps.append(entries)
    return maps[0], maps[1], maps[2]


_SHIFT = 1 << 20  # part numbers stay below this: a stored signature packs into one BIGINT


def current_query(session: Session, organisation: t.Organisation, channel: str, segment: Segment,
                  maps: tuple[list[int], list[int], list[int]]) -> Select[Any]:
    """Everyone, by the signature last stored for them (slot 0): from the counts kept with the rows,
    or for a segment from the rows themselves. On PostgreSQL the counting is per key (each part
    number looked up in an array), with the smallest and largest stored signature of each key
    packed, to find examples by; on SQLite, per part numbers, looked up afterwards."""
    c = t.SignatureCount
    every = not segment.document()
    parts = (c.core, c.consents, c.bought) if every else _NOW
    counted = func.sum(c.customers) if every else func.count()
    columns: list[Any] = list(parts)
    extra: list[Any] = []
    if dialect_of(session) == "postgresql":
        # PostgreSQL counts array positions from 1, as parts are numbered.
        columns = [Grouping(bindparam(f"{kind}_keys", entries[1:], type_=ARRAY(Integer)))[column]
                   for kind, entries, column in zip(PARTS, maps, parts, strict=True)]
        packed = (cast(parts[0], BigInteger) * _SHIFT + parts[1]) * _SHIFT + parts[2]
        extra = [func.min(packed), func.max(packed)]  # two of the key's stored signatures, for examples
    if every:
        return select(*columns, counted, *extra).where(
            c.organisation_id == organisation.id, c.channel == channel, c.customers > 0).group_by(*columns)
    return _scoped(session, organisation, channel, segment, *columns, counted, *extra).group_by(*columns)


def groups(
    session: Session, organisation: t.Organisation, channel: str, segment: Segment, at: datetime, lens: Lens,
    parts: dict[str, dict[int, Any]],
) -> Groups:
    found = Groups(maps=keyed(lens, parts))
    maps = found.maps
    weighed: dict[Key, list[tuple[int, tuple[int, int, int]]]] = {}
    for row in session.execute(current_query(session, organisation, channel, segment, maps)):
        if len(row) == 4:  # SQLite: the stored signature itself
            key, signatures = _key(maps, row[:3]), [(row[3], (row[0], row[1], row[2]))]
        else:
            key, signatures = (row[0], row[1], row[2]), [(0, _unpacked(row[4])), (0, _unpacked(row[5]))]
        found.counts[key] += int(row[3])
        weighed.setdefault(key, []).extend(signatures)
    found.stored = {key: [signature for _, signature in sorted(entries, key=lambda entry: -entry[0])]
                    for key, entries in weighed.items()}
    # Few have a stored signature other than the one at `at`: those it has changed for since (one of
    # their next two, or not known), and those whose records reach past `at`. Moved to where they belong.
    later = [case((S.later_at > at, following), (S.until > at, latest), else_=null()).label(kind)
             for kind, following, latest in zip(PARTS, _NEXT, _LATER, strict=True)]
    rows = _scoped(session, organisation, channel, segment, S.customer_id.label("customer_id"),
                   *(column.label(f"stored_{column.key}") for column in _NOW), *later).where(S.next_at <= at).subquery()
    was, now = [rows.c[f"stored_{kind}"] for kind in PARTS], [rows.c[kind] for kind in PARTS]
    unknown = False
    for *numbers, count, first, last in session.execute(select(
            *was, *now, func.count(), func.min(rows.c.customer_id), func.max(rows.c.customer_id),
    ).group_by(*was, *now)):
        found.counts[_key(maps, numbers[:3])] -= count
        if numbers[3] is None:
            unknown = True
            continue
        key = _key(maps, numbers[3:])
        found.counts[key] += count
        found.members.setdefault(key, []).extend(dict.fromkeys((first, last)))
    early = session.execute(_scoped(session, organisation, channel, segment, S.customer_id, *_NOW).where(
        S.since > at)).all()
    for _, *numbers in early:
        found.counts[_key(maps, numbers)] -= 1
    ids = [customer_id for customer_id, *_ in early]
    if unknown:
        ids += session.scalars(_scoped(session, organisation, channel, segment, S.customer_id).where(
            S.next_at <= at, S.until <= at))
    for customer_id, view in _views_at(session, organisation.id, ids, Channel(channel), at).items():
        key = lens.key(view)
        found.counts[key] += 1
        found.members.setdefault(key, []).append(customer_id)
    for key in [key for key, count in found.counts.items() if count == 0]:
        del found.counts[key]
    return found


def _key(maps: tuple[list[int], list[int], list[int]], numbers: Sequence[int]) -> Key:
    return maps[0][numbers[0]], maps[1][numbers[1]], maps[2][numbers[2]]


def _views_at(
    session: Session, organisation_id: str, ids: Sequence[str], channel: Channel, at: datetime,
) -> dict[str, View]:
    """Outside what the projection knows: each customer's signature worked out from their records."""
    found = histories(session, organisation_id, ids)
    return {customer_id: plan.view_at(history, channel, at) for customer_id, history in found.items()}


def _unpacked(packed: int) -> tuple[int, int, int]:
    rest, bought = divmod(packed, _SHIFT)
    core, consents = divmod(rest, _SHIFT)
    return core, consents, bought


def examples(
    session: Session, organisation: t.Organisation, channel: str, segment: Segment, at: datetime,
    stored: dict[Key, list[tuple[int, int, int]]], *, limit: int = EXAMPLES,
) -> dict[Key, list[str]]:
    """A few customers for each key who have had one of its stored signatures since before `at`, in
    one query of a few index lookups each."""
    queries: list[Any] = []
    keys: list[Key] = []
    for key, signatures in stored.items():
        for signature in dict.fromkeys(signatures[:2]):
            queries.append(_scoped(session, organisation, channel, segment, literal(len(keys)).label("key"),
                                   S.customer_id.label("customer_id")).where(
                S.since <= at, S.next_at > at,
                *(column == number for column, number in zip(_NOW, signature, strict=True))).limit(limit).subquery())
            keys.append(key)
    found: dict[Key, list[str]] = {}
    if queries:
        every = union_all(*(select(query.c.key, query.c.customer_id) for query in queries))
        for index, customer_id in session.execute(every):
            found.setdefault(keys[index], []).append(customer_id)
    return found


def size(session: Session, organisation: t.Organisation, channel: str, segment: Segment) -> int:
    return session.scalar(_scoped(session, organisation, channel, segment, func.count())) or 0


def pages(
    session: Session, organisation: t.Organisation, channel: str, segment: Segment, at: datetime, lens: Lens, *,
    size: int = 5_000,
) -> Iterator[list[tuple[str, Key]]]:
    """Every customer of the audience with the key of their signature at `at`, a page at a time."""
    chosen = [case((S.since > at, null()), (S.next_at > at, now), (S.later_at > at, following),
                   (S.until > at, latest), else_=null())
              for now, following, latest in zip(_NOW, _NEXT, _LATER, strict=True)]
    parts = stored_parts(session, organisation.id)
    maps = keyed(lens, parts)
    last = ""
    while page := session.execute(_scoped(session, organisation, channel, segment, S.customer_id, *chosen).where(
            S.customer_id > last).order_by(S.customer_id).limit(size)).all():
        last = page[-1][0]
        if any(numbers[0] is not None and any(n >= len(m) for n, m in zip(numbers, maps, strict=True))
               for _, *numbers in page):
            maps = keyed(lens, stored_parts(session, organisation.id))  # parts numbered since we began
        unknown = [customer_id for customer_id, core, _, _ in page if core is None]
        worked_out = _views_at(session, organisation.id, unknown, Channel(channel), at)
        yield [
            (customer_id, _key(maps, numbers) if numbers[0] is not None else lens.key(worked_out[customer_id]))
            for customer_id, *numbers in page if numbers[0] is not None or customer_id in worked_out
        ]


# --- the send plan -------------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """What a campaign sends: its kind and advertised categories, on each of its channels."""

    kind: str
    channels: tuple[str, ...]
    advertised_categories: tuple[str, ...] = ()

    def message(self, channel: str) -> Message:
        # Campaign messages are sent automatically, name their sender and carry the notice:
        # the composer adds what the decision requires.
        return Message(channel=Channel(channel), kind=MessageKind(self.kind),
                       advertised_categories=frozenset(self.advertised_categories))


def preview(
    session: Session, organisation: t.Organisation, asked: Asked, segment: Segment, at: datetime, *,
    keep: bool = True,
) -> plan.SendPlan:
    """Who receives the message if it goes at `at`, and who is left out, why, with a few examples."""
    parts = stored_parts(session, organisation.id, keep=keep)
    channel_plans = []
    for channel in asked.channels:
        with lens_for(organisation, asked.message(channel)) as lens:
            found = groups(session, organisation, channel, segment, at, lens, parts)
            tally = plan.Tally(channel)
            for key, count in found.counts.items():
                tally.add(key, lens.view(key), lens.decide(key), count)
        # For each reason its largest key: the customers known already, then a few from the database.
        wanted = {code: [key for key, _ in keys.most_common(1)] for code, keys in tally.keys.items()}
        chosen = dict.fromkeys(key for keys in wanted.values() for key in keys)
        fetched = examples(session, organisation, channel, segment, at,
                           {key: found.stored[key] for key in chosen if key in found.stored})
        picked = {code: list(dict.fromkeys(cid for key in keys for cid in [*found.members.get(key, ()),
                                                                          *fetched.get(key, ())]))[:EXAMPLES]
                  for code, keys in wanted.items()}
        picked, texts = _explained(session, organisation, asked, channel, at, picked)
        channel_plans.append(tally.plan(picked, texts))
    return plan.SendPlan(at=at, kind=asked.kind, advertised_categories=asked.advertised_categories,
                         channels=tuple(channel_plans))


def _explained(
    session: Session, organisation: t.Organisation, asked: Asked, channel: str, at: datetime,
    picked: dict[str, list[str]],
) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Each reason's sentence, from its first example's own decision, with that customer's dates."""
    ids = sorted({cid for chosen in picked.values() for cid in chosen})
    found = histories(session, organisation.id, ids)
    policy, jurisdiction = organisations.policy(organisation), Jurisdiction(organisation.jurisdiction)
    message = asked.message(channel)
    codes: dict[str, tuple[str, ...]] = {}
    reasons: dict[str, dict[str, Finding]] = {}
    for cid, history in found.items():
        decision = plan.decide_customer(history, message=message, at=at, organisation=policy,
                                        jurisdiction=jurisdiction)
        if decision is None:
            codes[cid] = (plan.reach_of(history, Channel(channel)),)
        elif not decision.allowed:
            codes[cid] = decision.codes
            reasons[cid] = {reason.code: reason for reason in decision.reasons}
    examples_: dict[str, list[str]] = {}
    texts: dict[str, dict[str, str]] = {}
    for code, chosen in picked.items():
        # An example stands for its reason only if its own decision gives it (always, in one snapshot).
        examples_[code] = [cid for cid in chosen if code in codes.get(cid, ())]
        own = [reasons[cid][code] for cid in examples_[code] if code in reasons.get(cid, {})]
        if own:
            texts[code] = {lang: own[0].text(lang) for lang in ("de", "en")}
    return examples_, texts
