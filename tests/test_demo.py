"""The demo organisation: seeded once (a second run changes nothing), its campaign preview explains
who is reached and why the others are left out, its logins work — and only in development."""

import json
import os
import stat
import uuid

from sqlalchemy import select
from typer.testing import CliRunner

from konsent import demo
from konsent.cli import app as cli
from konsent.config import DatabaseSettings, Settings
from konsent.services import api_keys, staff
from konsent.storage import tables as t

LEFT_OUT_FOR_THE_LAW = {"objection", "consent_withdrawn", "unconfirmed_consent",
                        "existing_customer_no_notice_at_collection", "existing_customer_not_similar"}


def everything_of(app, organisation_id: str) -> dict[str, list[str]]:
    """Every row of every table that belongs to the organisation, as text."""
    found = {}
    with app.db.unit_of_work() as session:
        for table in t.Base.metadata.sorted_tables:
            if "organisation_id" in table.c:
                rows = session.execute(select(table).where(table.c.organisation_id == organisation_id))
                found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


def test_seeding_twice_changes_nothing_the_second_time_and_the_printed_logins_work(app):
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    first = demo.seed(app, slug=slug)
    before = everything_of(app, first.organisation_id)
    mails = sorted(os.listdir(app.settings.data_dir / "outbox"))
    second = demo.seed(app, slug=slug)
    assert (first.seeded, second.seeded) == (True, False)
    assert everything_of(app, first.organisation_id) == before
    the_printed_logins_work(app, second)
    assert sorted(os.listdir(app.settings.data_dir / "outbox")) == mails
    assert (second.api_key, second.staff_password) == (first.api_key, first.staff_password)
    assert len(before["customers"]) == 40


def the_printed_logins_work(app, seeded: demo.Demo) -> None:
    caller = api_keys.authenticate(app, seeded.api_key)
    assert caller is not None
    assert caller.organisation_id == seeded.organisation_id
    assert caller.may("write")
    assert seeded.staff_password is not None
    owner = staff.authenticate(app, seeded.staff_email, seeded.staff_password, client="192.0.2.1")
    assert (owner.role, owner.organisation_id) == ("owner", seeded.organisation_id)
    kept = app.settings.data_dir / demo.CREDENTIALS  # for the owner of the data directory only
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert json.loads(kept.read_text()) == {"staff_email": seeded.staff_email,
                                             "staff_password": seeded.staff_password, "api_key": seeded.api_key}


def test_the_campaign_preview_reaches_some_and_says_why_it_leaves_out_the_others(app):
    seeded = demo.seed(app, slug=f"demo-{uuid.uuid4().hex[:8]}")
    assert seeded.reached > 0
    assert seeded.left_out > 0
    assert len(seeded.reasons) >= 3
    assert set(seeded.reasons) >= LEFT_OUT_FOR_THE_LAW
    with app.db.unit_of_work() as session:
        campaign = session.scalars(select(t.Campaign).where(t.Campaign.organisation_id == seeded.organisation_id)).one()
        assert (campaign.name, campaign.status) == ("Herbst-Pflegeserie", "draft")
        triggers = set(session.scalars(select(t.Automation.trigger).where(
            t.Automation.organisation_id == seeded.organisation_id)))
        texts = set(session.execute(select(t.ConsentText.key, t.ConsentText.locale).where(
            t.ConsentText.organisation_id == seeded.organisation_id)).all())
        erased = session.scalars(select(t.Customer.id).where(
            t.Customer.organisation_id == seeded.organisation_id, t.Customer.erased_at.is_not(None))).all()
    assert triggers == {"booking_confirmation", "appointment_reminder", "birthday_greeting"}
    assert {("newsletter", "de"), ("newsletter", "en"), ("sms", "de")} <= texts
    assert len(erased) == 1


def test_the_demo_is_seeded_only_in_development_on_the_embedded_database(tmp_path):
    assert demo.refusal(Settings(data_dir=tmp_path)) is None
    assert "development only" in (demo.refusal(Settings(
        data_dir=tmp_path, environment="production", security={"secret_key": "x" * 40})) or "")
    assert "embedded SQLite" in (demo.refusal(Settings(
        data_dir=tmp_path, database=DatabaseSettings(url="postgresql://postgres@127.0.0.1/konsent"))) or "")


def test_the_command_refuses_another_database_or_skips_it_when_asked(tmp_path):
    env = {"KONSENT__DATA_DIR": str(tmp_path), "KONSENT__DATABASE__URL": "postgresql://postgres@127.0.0.1/nothing"}
    refused = CliRunner().invoke(cli, ["demo"], env=env)
    assert refused.exit_code == 2
    assert "only seeded on the embedded SQLite database" in refused.output
    skipped = CliRunner().invoke(cli, ["demo", "--or-skip"], env=env)
    assert skipped.exit_code == 0
    assert "no demo organisation seeded" in skipped.output
    assert not (tmp_path / "konsent.db").exists()
