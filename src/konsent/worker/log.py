"""Writing the message log, a flush of rows at a time.

On PostgreSQL new rows go in by COPY: a many-row INSERT costs either the server a statement per row
(pipelined executemany) or the client a huge statement to compile, and COPY neither — it is what
keeps the log from being the slowest part of sending. A row an earlier attempt wrote is updated.
"""

from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from konsent.storage import tables as t
from konsent.storage.sql import on_postgresql

COLUMNS = tuple(c.name for c in t.Message.__table__.columns)
_DOCUMENTS = ("decision", "states")
_UPDATED = ("status", "decision", "sent_at", "transport_id", "error", "states", "to_address", "subject", "body_text",
            "body_html", "template_id")


def write(session: Session, new: list[dict[str, Any]], again: list[dict[str, Any]]) -> None:
    """`new`: messages not logged before; `again`: messages an earlier attempt logged."""
    if on_postgresql(session):
        if new:
            _copy(session, new)
        _upsert(session, again, postgresql.insert)
    else:
        _upsert(session, new + again, sqlite.insert)


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None  # a live transaction's connection
    with raw.cursor() as cursor, cursor.copy(f"COPY messages ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Jsonb(row[c]) if c in _DOCUMENTS else row.get(c) for c in COLUMNS])


def _upsert(session: Session, rows: list[dict[str, Any]], insert: Any) -> None:
    if rows:
        statement = insert(t.Message)
        session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={c: statement.excluded[c] for c in _UPDATED}), rows)
