"""POST /decide about a stored customer, on the host system's hot path.

It asks the engine exactly what `facts.decide_for` asks (`facts.scenario_of` builds the question),
but reads what that needs — the API key, the organisation's policy, the customer, their ledger and
their purchases — in one statement built once, instead of six in two transactions.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Dialect, Select, and_, bindparam, null, select, type_coerce, union_all

from konsent.domain import Channel, Scenario
from konsent.domain.ledger import fold
from konsent.services import api_keys, collected, facts, suppression
from konsent.services.api_keys import Caller
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql


def question_for(app: Konsent, key: str, customer_id: str, asked: facts.Asked, *,
                 at: datetime | None = None) -> tuple[Caller | None, Scenario | None]:
    """The caller the presented `key` stands for (None: wrong or revoked) and the question about the
    customer with konsent id `customer_id` (None: not in the caller's organisation)."""
    prefix = api_keys.prefix_of(key)
    if prefix is None:
        return None, None
    now = app.now()
    # Core, not the ORM: on this path a session's bookkeeping would cost more than the query. One
    # statement reads nearly everything, so it needs no transaction around it (the key's rare
    # last-used stamp is a write of its own, and so is the address read below).
    with app.db.one_statement() as connection:
        rows = _on_record(connection, {"prefix": prefix, "customer": customer_id})
        caller = api_keys.admitted(connection, rows[0] if rows else None, key, now=now)
        if caller is None or rows[0].customer_id is None:
            return caller, None
        channel = Channel(asked.channel)
        # Only where a sale collected this channel's address can it matter when that address came
        # (collected.as_collected): a second, small read, and only for those customers.
        since: dict[Channel, datetime] = {}
        if any(row.occurred_at is not None and channel.value in row.contact_collected for row in rows):
            changed = connection.execute(_ADDRESS_CHANGED, {
                "organisation": rows[0].organisation_id, "customer": customer_id,
                "kind": suppression.CONTACT_KIND[channel]}).scalar()
            since = {channel: changed} if changed is not None else {}
    first, at = rows[0], at or now
    organisation = _Organisation(first.organisation_jurisdiction, first.similar_categories, first.reading)
    state = fold((ledger.event_from_body(bytes(row.body)) for row in rows if row.body is not None), until=at)
    purchases = [facts.purchase_fact(row) for row in rows if row.occurred_at is not None]
    # The row itself is the customer: it has their type, jurisdiction and registers under those names.
    return caller, facts.scenario_of(organisation, first, state, collected.as_collected(purchases, since), asked, at)


class _Organisation(NamedTuple):
    jurisdiction: str
    similar_categories: list[Any]
    reading: str


def _on_record(connection: Connection, parameters: dict[str, str]) -> Sequence[Any]:
    if not on_postgresql(connection):
        return connection.execute(_ON_RECORD, parameters).all()
    # psycopg itself reads jsonb, timestamptz and bytea as SQLAlchemy's types would hand them on, so
    # the statement, compiled once, runs on the driver: SQLAlchemy's execution and result machinery
    # cost a decide more than everything else in it together (bench/api.py). Prepared on the server.
    cursor = connection.connection.driver_connection.cursor(row_factory=namedtuple_row)  # type: ignore[union-attr]
    rows: list[Any] = cursor.execute(_compiled(connection.dialect), parameters, prepare=True).fetchall()
    return rows


@cache
def _compiled(dialect: Dialect) -> str:
    return str(_ON_RECORD.compile(dialect=dialect))


def _key_and_customer(*details: Any) -> Select[Any]:
    """The key, its organisation and the customer (None where not found), with `details` columns."""
    return (
        select(*api_keys.KEY_COLUMNS, t.Organisation.jurisdiction.label("organisation_jurisdiction"),
               t.Organisation.similar_categories, t.Organisation.reading, t.Customer.id.label("customer_id"),
               t.Customer.type, t.Customer.jurisdiction, t.Customer.registers, *details)
        .select_from(t.ApiKey)
        .join(t.Organisation, t.Organisation.id == t.ApiKey.organisation_id)
        .outerjoin(t.Customer, and_(t.Customer.organisation_id == t.ApiKey.organisation_id,
                                    t.Customer.id == bindparam("customer")))
        .where(t.ApiKey.prefix == bindparam("prefix"))
    )


_ADDRESS_CHANGED = select(t.ContactPoint.changed_at).where(
    t.ContactPoint.organisation_id == bindparam("organisation"), t.ContactPoint.customer_id == bindparam("customer"),
    t.ContactPoint.kind == bindparam("kind"))


def _nothing(column: Any) -> Any:
    # A typed NULL: the first branch of a UNION gives the result its column types.
    return type_coerce(null(), column.type).label(column.key)


_E, _P = t.LedgerEvent, t.Purchase
_BOUGHT = (_P.occurred_at, _P.categories, _P.contact_collected, _P.objection_notice_at_collection)
# Everything in one round trip: a row per ledger event of the customer in chain order (at least one,
# which carries the key and the customer), and a row per purchase.
_ON_RECORD = union_all(
    _key_and_customer(_E.seq, _E.body, *map(_nothing, _BOUGHT))
    .outerjoin(_E, and_(_E.organisation_id == t.Customer.organisation_id, _E.customer_id == t.Customer.id)),
    _key_and_customer(_nothing(_E.seq), _nothing(_E.body), *_BOUGHT)
    .join(_P, and_(_P.organisation_id == t.Customer.organisation_id, _P.customer_id == t.Customer.id)),
).order_by("seq")
