"""Keyset pagination for every list: `?limit=50&cursor=…` → `{"items": [...], "next_cursor": …}`.

The cursor is the last item's (created_at, id), opaque to the caller; a page never skips or
repeats a row when rows are added meanwhile, and no OFFSET scan grows with the page number.
"""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from konsent.errors import InputError

T = TypeVar("T")
Row = TypeVar("Row")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1–500).")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


_NOT_OURS = "not a cursor this API gave out; start again without it"


def _pack(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _unpack(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise InputError("cursor", _NOT_OURS) from exc


def _encode(at: datetime, key: str) -> str:
    return _pack([at.isoformat(), key])


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        at, key = _unpack(cursor)
        moment = datetime.fromisoformat(at)
    except (ValueError, TypeError) as exc:
        raise InputError("cursor", _NOT_OURS) from exc
    if moment.tzinfo is None:  # the cursors given out carry their zone; the database refuses one without
        raise InputError("cursor", _NOT_OURS)
    return moment, str(key)


def paged(statement: Select[Any], created: InstrumentedAttribute[datetime], key: InstrumentedAttribute[str],
          cursor: str | None, limit: int) -> Select[Any]:
    """`statement` ordered by (created, key), after the cursor, one row more than asked (to see a next page)."""
    if cursor is not None:
        at, last = _decode(cursor)
        statement = statement.where(or_(created > at, and_(created == at, key > last)))
    return statement.order_by(created, key).limit(limit + 1)


def page(rows: Sequence[Row], limit: int, position: Callable[[Row], tuple[datetime, str]],
         item: Callable[[Row], T]) -> Page[T]:
    more = len(rows) > limit
    shown = list(rows[:limit])
    return Page[T](items=[item(r) for r in shown], next_cursor=_encode(*position(shown[-1])) if more else None)


def paged_by_number(statement: Select[Any], number: InstrumentedAttribute[int], cursor: str | None,
                    limit: int) -> Select[Any]:
    """`statement` ordered by a number that only grows (a ledger's sequence), after the cursor."""
    if cursor is not None:
        statement = statement.where(number > _decode_number(cursor))
    return statement.order_by(number).limit(limit + 1)


def page_by_number(rows: Sequence[Row], limit: int, number: Callable[[Row], int], item: Callable[[Row], T]) -> Page[T]:
    more = len(rows) > limit
    shown = list(rows[:limit])
    return Page[T](items=[item(r) for r in shown], next_cursor=_pack([number(shown[-1])]) if more else None)


def _decode_number(cursor: str) -> int:
    position = _unpack(cursor)
    # A number the database's integer column cannot hold is a forged cursor, not a server error.
    if not (isinstance(position, list) and len(position) == 1 and type(position[0]) is int
            and 0 <= position[0] < 2**31):
        raise InputError("cursor", _NOT_OURS)
    return int(position[0])
