"""The pool on PostgreSQL: a connection that died while it lay idle is replaced before use, and a
connection back from work moments ago is used without a ping (the hot API read pays no extra round trip)."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from konsent.storage import db as storage
from tests.conftest import migrated_database


@pytest.fixture
def postgres() -> Iterator[storage.Database]:
    with migrated_database("postgresql") as database:
        yield database


def _backend(database: storage.Database) -> int:
    with database.one_statement() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _counting_pings(database: storage.Database, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pinged: list[object] = []
    ping = database.engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        pinged.append(connection)
        return ping(connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    return pinged


def test_a_connection_that_died_idle_is_replaced(postgres: storage.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _backend(postgres)
    other = storage.Database(postgres.url)
    with other.one_statement() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    other.dispose()
    pinged = _counting_pings(postgres, monkeypatch)
    monkeypatch.setattr(storage, "IDLE_BEFORE_PING", 0.0)  # as if it had lain idle long enough
    assert _backend(postgres) != first  # no error: the ping found it dead, and the pool connected afresh
    assert len(pinged) == 1


def test_a_connection_back_from_work_moments_ago_is_used_without_a_ping(
        postgres: storage.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _backend(postgres)
    pinged = _counting_pings(postgres, monkeypatch)
    assert [_backend(postgres) for _ in range(3)] == [first] * 3
    assert pinged == []
    monkeypatch.setattr(storage, "IDLE_BEFORE_PING", 0.0)
    assert _backend(postgres) == first
    assert len(pinged) == 1


def test_moments_come_back_in_utc_whatever_the_servers_time_zone(postgres: storage.Database) -> None:
    database = postgres.engine.url.database
    with postgres.one_statement() as connection:
        connection.execute(text(f"ALTER DATABASE \"{database}\" SET TimeZone = 'Europe/Berlin'"))
    fresh = storage.Database(postgres.url)
    try:
        with fresh.one_statement() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            moment = driver.execute("SELECT timestamptz '2026-11-20 23:30:00+00'").fetchone()
        assert moment is not None
        assert (moment[0].isoformat(), moment[0].date().isoformat()) == ("2026-11-20T23:30:00+00:00", "2026-11-20")
    finally:
        fresh.dispose()
