"""Fixtures for tests that touch storage: every one runs on SQLite and on PostgreSQL.

PostgreSQL is the machine's server on 127.0.0.1:5432 (trust auth, user postgres); each test
session works in a database of its own and drops it afterwards. Without a reachable server the
PostgreSQL variants skip — except in CI, where that is a failure.
"""

import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from konsent.config import DatabaseSettings, Settings
from konsent.services import organisations
from konsent.services.context import Konsent
from konsent.storage import migrate
from konsent.storage.db import Database

POSTGRES_ADMIN = os.environ.get("KONSENT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def _postgres_database() -> Iterator[str]:
    name = f"konsent_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and cannot be reached: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database(kind: str, folder: Path | None = None) -> Iterator[Database]:
    """A migrated database of its own: SQLite in `folder`, or a PostgreSQL database dropped afterwards."""
    postgres = _postgres_database() if kind == "postgresql" else None
    if postgres is None and folder is None:
        raise ValueError("an SQLite database needs a folder")
    db = Database(next(postgres) if postgres is not None else f"sqlite:///{folder / 'konsent.db'}")
    migrate.upgrade(db.engine)
    try:
        yield db
    finally:
        db.dispose()
        if postgres is not None:
            next(postgres, None)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("sqlite")) as db:
        yield db


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))


@pytest.fixture
def app(database: Database, clock: Clock, tmp_path: Path) -> Konsent:
    settings = Settings(data_dir=tmp_path, database=DatabaseSettings(url=database.url))
    return Konsent(settings=settings, db=database, clock=clock)


@pytest.fixture
def org(app: Konsent) -> str:
    """A fresh organisation (tenant) per test: tests share a database, never data."""
    created = organisations.create(
        app, slug=f"salon-{uuid.uuid4().hex[:8]}", name="Salon Sonnenschein", jurisdiction="DE",
        similar_categories=[["haircut", "hair-care"]], sender_name="Salon Sonnenschein",
        sender_address="Hauptstraße 1, 10115 Berlin",
    )
    return created.id


@pytest.fixture(autouse=True)
def _collector_unfrozen() -> Iterator[None]:
    """A command run in-process (the worker, the server) freezes the test session's objects out of the
    collector's passes, as it should in its own process; here the next test starts unfrozen."""
    yield
    gc.unfreeze()
