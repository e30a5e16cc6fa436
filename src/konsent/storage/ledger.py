"""The ledger on disk: appending under the organisation's head lock, reading, verifying.

Appends lock the organisation's `ledger_heads` row (FOR UPDATE on PostgreSQL; SQLite queues
writers with BEGIN IMMEDIATE), so any number of processes on any number of machines extend
one linear chain per organisation.
"""

import json
import secrets
import uuid
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from konsent.domain import chain
from konsent.domain.ledger import (
    CustomerState,
    Event,
    EventType,
    apply,
    state_from_dict,
    state_to_dict,
)
from konsent.storage import tables as t


@dataclass(frozen=True, slots=True)
class Draft:
    """An event about to be appended. `evidence` is personal and kept outside the hash."""

    type: EventType
    customer: str
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] | None = None
    actor: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


def append(session: Session, organisation_id: str, drafts: Sequence[Draft], *, now: datetime) -> list[Event]:
    """Append events in order, as one link each, and bring the customers' projections along."""
    if not drafts:
        return []
    head = session.execute(
        select(t.LedgerHead).where(t.LedgerHead.organisation_id == organisation_id).with_for_update()
    ).scalar_one()
    linked = link_drafts(organisation_id, (head.seq, head.hash), drafts, now=now)
    session.execute(insert(t.LedgerEvent), linked.rows)
    session.execute(
        update(t.LedgerHead)
        .where(t.LedgerHead.organisation_id == organisation_id)
        .values(seq=linked.head[0], hash=linked.head[1])
    )
    _project(session, organisation_id, linked.events)
    return linked.events


@dataclass(frozen=True, slots=True)
class Linked:
    rows: list[dict[str, Any]]  # ledger_events rows, ready to insert
    events: list[Event]
    head: tuple[int, bytes]  # the new head: last seq and hash


def link_drafts(
    organisation_id: str, head: tuple[int, bytes], drafts: Sequence[Draft], *, now: datetime
) -> Linked:
    """The chain links for drafts behind `head`: exactly what `append` stores (bulk loaders reuse it)."""
    seq, previous = head
    rows: list[dict[str, Any]] = []
    events: list[Event] = []
    for draft in drafts:
        seq += 1
        evidence = None
        digest = None
        if draft.evidence is not None:
            # The salt keeps a guessable value (an IP address) from being found from its digest.
            salt = secrets.token_hex(16)
            evidence = {"salt": salt, "values": dict(draft.evidence)}
            digest = chain.evidence_digest(salt, evidence["values"])
        body = chain.canonical({
            "v": 1, "id": draft.id, "organisation": organisation_id, "seq": seq,
            "type": draft.type.value, "customer": draft.customer,
            "occurred_at": draft.occurred_at.isoformat(), "recorded_at": now.isoformat(),
            "data": dict(draft.data), "evidence_digest": digest, "actor": draft.actor,
        })
        digest_bytes = chain.link(previous, body)
        rows.append({
            "id": draft.id, "organisation_id": organisation_id, "seq": seq, "type": draft.type.value,
            "customer_id": draft.customer, "occurred_at": draft.occurred_at, "recorded_at": now,
            "body": body, "previous": previous, "hash": digest_bytes, "evidence": evidence,
        })
        events.append(Event(seq, draft.id, draft.type, draft.customer, draft.occurred_at, draft.data))
        previous = digest_bytes
    return Linked(rows, events, (seq, previous))


def _project(session: Session, organisation_id: str, events: Sequence[Event]) -> None:
    by_customer: dict[str, list[Event]] = {}
    for event in events:
        by_customer.setdefault(event.customer, []).append(event)
    for customer, own in by_customer.items():
        stored = session.get(t.CustomerState, (organisation_id, customer))
        state = state_from_dict(stored.state) if stored else CustomerState()
        for event in own:
            state = apply(state, event)
        document = state_to_dict(state)
        if stored is None:
            session.add(t.CustomerState(
                organisation_id=organisation_id, customer_id=customer, state=document,
                last_seq=state.last_seq,
            ))
        else:
            stored.state, stored.last_seq = document, state.last_seq


def events_of(session: Session, organisation_id: str, customer: str) -> list[Event]:
    rows = session.execute(
        select(t.LedgerEvent.body)
        .where(t.LedgerEvent.organisation_id == organisation_id, t.LedgerEvent.customer_id == customer)
        .order_by(t.LedgerEvent.seq)
    ).scalars()
    return [event_from_body(body) for body in rows]


def event_from_body(body: bytes) -> Event:
    """Events are read from the hashed body, never from the queryable copies beside it."""
    document = json.loads(body)
    return Event(
        seq=document["seq"], id=document["id"], type=EventType(document["type"]),
        customer=document["customer"], occurred_at=datetime.fromisoformat(document["occurred_at"]),
        data=document["data"],
    )


def load_state(
    session: Session, organisation_id: str, customer: str, *, until: datetime | None = None
) -> CustomerState:
    """A customer's state rebuilt from their events: the projection's source of truth."""
    state = CustomerState()
    for event in events_of(session, organisation_id, customer):
        if until is None or event.occurred_at <= until:
            state = apply(state, event)
    return state


def stored_state(session: Session, organisation_id: str, customer: str) -> dict[str, Any] | None:
    row = session.get(t.CustomerState, (organisation_id, customer))
    return row.state if row else None


# --- verification ------------------------------------------------------------------------

_COLUMN_MISMATCH = {
    "postgresql": text(
        "SELECT seq FROM ledger_events WHERE organisation_id = :org AND ("
        " (convert_from(body, 'UTF8')::jsonb ->> 'seq')::bigint <> seq"
        " OR convert_from(body, 'UTF8')::jsonb ->> 'type' <> type"
        " OR convert_from(body, 'UTF8')::jsonb ->> 'customer' <> customer_id"
        " OR convert_from(body, 'UTF8')::jsonb ->> 'id' <> id"
        " OR convert_from(body, 'UTF8')::jsonb ->> 'organisation' <> organisation_id)"
    ),
    "sqlite": text(
        "SELECT seq FROM ledger_events WHERE organisation_id = :org AND ("
        " json_extract(CAST(body AS TEXT), '$.seq') <> seq"
        " OR json_extract(CAST(body AS TEXT), '$.type') <> type"
        " OR json_extract(CAST(body AS TEXT), '$.customer') <> customer_id"
        " OR json_extract(CAST(body AS TEXT), '$.id') <> id"
        " OR json_extract(CAST(body AS TEXT), '$.organisation') <> organisation_id)"
    ),
}


@dataclass(frozen=True, slots=True)
class Verification:
    events: int
    head_seq: int
    breaks: list[chain.Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify(session: Session, organisation_id: str, *, batch: int = 20_000) -> Verification:
    """Recompute every link; on a break, name each event where and how the chain is broken."""
    head_row = session.get(t.LedgerHead, organisation_id)
    head = (head_row.seq, head_row.hash) if head_row else None
    dialect = session.get_bind().dialect.name
    mismatched = set(session.execute(_COLUMN_MISMATCH[dialect], {"org": organisation_id}).scalars())

    def stream() -> Generator[chain.ChainRow, None, None]:
        result = session.execute(
            select(t.LedgerEvent.seq, t.LedgerEvent.id, t.LedgerEvent.previous, t.LedgerEvent.body,
                   t.LedgerEvent.hash)
            .where(t.LedgerEvent.organisation_id == organisation_id)
            .order_by(t.LedgerEvent.seq)
            .execution_options(yield_per=batch)
        )
        try:
            for seq, event_id, previous, body, digest in result:
                yield chain.ChainRow(seq, event_id, bytes(previous), bytes(body), bytes(digest),
                                     seq not in mismatched)
        finally:
            result.close()

    count = 0

    def counted(rows: Iterable[chain.ChainRow]) -> Iterator[chain.ChainRow]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    if not mismatched:
        rows_in_order = stream()
        try:
            if chain.intact(counted(rows_in_order), head):
                return Verification(count, head[0] if head else 0, [])
        finally:
            rows_in_order.close()
    rows = list(stream())
    return Verification(len(rows), head[0] if head else 0, chain.find_breaks(rows, head))


def start_chain(session: Session, organisation_id: str) -> None:
    session.add(t.LedgerHead(organisation_id=organisation_id, seq=0, hash=chain.GENESIS))
