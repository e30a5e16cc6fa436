"""Migrations upgrade an empty database of either kind, and the tables match them exactly; a migration
that fills a new column from old rows fills it right."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from konsent.config import DatabaseSettings, Settings
from konsent.services import customers, organisations
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import migrate
from konsent.storage import tables as t
from konsent.storage.db import Database
from tests.conftest import migrated_database


def test_an_empty_database_upgrades_and_autogenerate_finds_no_drift(database):
    migrate.upgrade(database.engine)  # a second upgrade is a no-op
    assert migrate.drift(database.engine) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own: these tests move it down and up again."""
    with migrated_database(request.param, tmp_path) as db:
        yield db


def _move(db: Database, revision: str, *, down: bool = False) -> None:
    with db.engine.begin() as connection:
        config = migrate._config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_last_visit_is_filled_in_from_the_purchases_recorded_before_it_existed(fresh_database, tmp_path):
    app = Konsent(settings=Settings(data_dir=tmp_path, database=DatabaseSettings(url=fresh_database.url)),
                  db=fresh_database, clock=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    org = organisations.create(app, slug="salon", name="Salon", jurisdiction="DE").id
    anna = customers.add(app, org, NewCustomer(email="anna@example.com")).id
    ben = customers.add(app, org, NewCustomer(email="ben@example.com")).id
    for day in (3, 17, 9):
        customers.record_purchase(app, org, anna, occurred_at=datetime(2026, 5, day, 10, tzinfo=UTC),
                                  categories=["haircut"], contact_collected=[], objection_notice_at_collection=False)

    _move(fresh_database, "0006", down=True)
    _move(fresh_database, "head")

    with fresh_database.unit_of_work() as session:
        visits = dict(session.execute(select(t.Customer.id, t.Customer.last_visit_at)).all())
    assert visits == {anna: datetime(2026, 5, 17, 10, tzinfo=UTC), ben: None}
    assert migrate.drift(fresh_database.engine) == []


def test_the_send_path_migration_moves_both_ways(fresh_database):
    def state() -> tuple[list[str], bool]:
        indexes = {i["name"] for i in inspect(fresh_database.engine).get_indexes("outbox")}
        if fresh_database.engine.dialect.name != "postgresql":
            return [], "ix_outbox_organisation_id" in indexes
        with fresh_database.engine.connect() as connection:
            options = connection.exec_driver_sql("SELECT reloptions FROM pg_class WHERE relname = 'messages'").scalar()
        return list(options or []), "ix_outbox_organisation_id" in indexes

    whole = ["toast_tuple_target=8160"] if fresh_database.engine.dialect.name == "postgresql" else []
    assert state() == (whole, False)
    _move(fresh_database, "0010", down=True)
    assert state() == ([], True)
    _move(fresh_database, "head")
    assert state() == (whole, False)
    assert migrate.drift(fresh_database.engine) == []


def test_the_lease_rule_moves_both_ways(fresh_database):
    def rules() -> set[str]:
        return {c["name"] for c in inspect(fresh_database.engine).get_check_constraints("outbox")}

    assert rules() == {"ck_outbox_leased_in_flight"}
    _move(fresh_database, "0011", down=True)
    assert rules() == set()
    _move(fresh_database, "head")
    assert rules() == {"ck_outbox_leased_in_flight"}
    assert migrate.drift(fresh_database.engine) == []
