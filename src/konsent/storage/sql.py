"""Small query-building helpers that read the same on SQLite and PostgreSQL."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, String, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def on_postgresql(bound: Session | Connection | Engine) -> bool:
    """PostgreSQL, or else SQLite: the two databases konsent runs on."""
    return (bound.get_bind() if isinstance(bound, Session) else bound).dialect.name == "postgresql"


def insert_or_else(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say what to do ON CONFLICT: both databases can, each in its own dialect's class."""
    return postgresql.insert(table) if on_postgresql(session) else sqlite.insert(table)


def among(column: Any, values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL as `= ANY(array)`, one parameter: the statement's text no
    longer grows with the number of values, so it is compiled and prepared once — an IN list of
    200 ids cost more to render and parse than the query took to run."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]
