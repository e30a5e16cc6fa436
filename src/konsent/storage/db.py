"""Engines and units of work, for SQLite (embedded) and PostgreSQL (production)."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from konsent.storage.sql import on_postgresql


class _NoResultRows(logging.Filter):
    """SQLAlchemy logs every fetched row at DEBUG: customers' addresses. Statements may pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NoResultRows())


def make_engine(url: str, **options: Any) -> Engine:
    # Statement parameters are customers' addresses and IPs: keep them out of logs and errors.
    options.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if "options" not in parsed.query:
            # Moments come back in UTC whatever the server's TimeZone, also where a hot path reads
            # them through the driver without SQLAlchemy's UTCDateTime (a day is named in UTC).
            options["connect_args"] = {"options": "-c TimeZone=UTC", **options.get("connect_args", {})}
        engine = create_engine(parsed, **options)
        _ping_after_idling(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, **options)
    _serialise_sqlite_writers(engine)
    return engine


IDLE_BEFORE_PING = 10.0  # seconds


def _ping_after_idling(engine: Engine) -> None:
    # A pooled connection may have died while it lay idle (a server restart, a firewall's idle
    # timeout): ping it before use. SQLAlchemy's pool_pre_ping does that on every checkout, a round
    # trip as costly as the hot API read it precedes; a connection back from work moments ago is
    # alive, and should a query still meet a dead one, SQLAlchemy invalidates the whole pool.
    @event.listens_for(engine, "checkin")
    def on_checkin(_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")  # None: connected just now
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(connection)
        except Exception as error:  # any failure: the pool connects afresh
            raise exc.DisconnectionError("the pooled connection did not answer a ping") from error


def _serialise_sqlite_writers(engine: Engine) -> None:
    # pysqlite's deferred transactions let two writers read the same ledger head and then fail
    # to upgrade their locks; BEGIN IMMEDIATE makes SQLite queue them instead.
    @event.listens_for(engine, "connect")
    def on_connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory; `unit_of_work()` is one transaction, all or nothing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT") if on_postgresql(
            self.engine) else None

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def one_statement(self) -> Iterator[Connection]:
        """A connection for work that is one statement at a time and needs no transaction around it
        (a read, and at most a one-row write that stands alone). On PostgreSQL it runs in autocommit,
        sparing a hot path the BEGIN and COMMIT round trips; SQLite's writers queue in a transaction."""
        if self._autocommit is None:
            with self.engine.begin() as connection:
                yield connection
        else:
            with self._autocommit.connect() as connection:
                yield connection

    def dispose(self) -> None:
        self.engine.dispose()
