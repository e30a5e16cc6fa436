"""Migrations upgrade an empty database of either kind, and the tables match them exactly."""

from konsent.storage import migrate


def test_an_empty_database_upgrades_and_autogenerate_finds_no_drift(database):
    migrate.upgrade(database.engine)  # a second upgrade is a no-op
    assert migrate.drift(database.engine) == []
