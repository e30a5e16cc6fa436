"""Engines and units of work, for SQLite (embedded) and PostgreSQL (production)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


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
        return create_engine(parsed, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, **options)
    _serialise_sqlite_writers(engine)
    return engine


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


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """One engine and its session factory; `unit_of_work()` is one transaction, all or nothing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT") if is_postgresql(
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
