"""The worker's housekeeping: each round delivers webhooks, runs the automations on time (at most
once per organisation and local day, safely with several workers at once), records expired DOI
requests and moves the audience projection — and one failing chore does not stop the others."""

import asyncio
import logging
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from typer.testing import CliRunner

from konsent.cli import app as cli
from konsent.cli import worker as worker_command
from konsent.services import automations, consents, customers, doi, outbox, webhooks
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.worker import housekeeping, runner
from konsent.worker.housekeeping import Housekeeping
from tests.webhook_receiver import receiver

BERLIN = ZoneInfo("Europe/Berlin")
PAPER = {"document_hash": "ab" * 32}


def born_today(app, org, name: str, *, days: int = 0, consent: bool = True) -> str:
    today = (app.now().astimezone(BERLIN) + timedelta(days=days)).date()
    customer_id = customers.add(app, org, NewCustomer(
        email=f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.com", first_name=name,
        birthday=today.replace(year=1990))).id
    if consent:
        consents.give(app, org, customer_id, ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER))
    return customer_id


def greetings(app, org) -> list[t.OutboxItem]:
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.OutboxItem).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.kind == "birthday_greeting")))


def chores(app, org) -> Housekeeping:
    return Housekeeping(app, "test-worker", organisations=[org])


def test_one_round_runs_every_chore(app, org, clock):
    consents.give(app, org, customers.add(app, org, NewCustomer(email="signup@example.com")).id,
                  ConsentDeclaration(channel="email", source="online_form"))
    requested = doi.request(app, org, "signup@example.com", channel="email")
    clock.advance(days=8)  # the request ran out unconfirmed
    automations.enable(app, org, "birthday_greeting")
    anna = born_today(app, org, "Anna")
    with receiver() as hook:
        webhooks.create(app, org, url=hook.url, events=["consent.changed"])
        done = asyncio.run(chores(app, org).round())
        announced = [r.document["type"] for r in hook.received]
    assert done["doi_expiry"] >= 1
    assert done["automations"] == 1
    assert done["audience"] is not None
    assert done["webhooks"] == 1
    assert announced == ["doi.expired"]
    with app.db.unit_of_work() as session:
        assert session.get_one(t.DoiRequest, requested.request_id).expired_at == clock()
    assert [g.customer_id for g in greetings(app, org)] == [anna]


def test_a_failing_chore_is_logged_without_its_message_and_the_others_still_run(app, org, caplog, monkeypatch):
    def broken(_app):
        raise RuntimeError("anna@example.com could not be expired")  # an error text may carry personal data

    monkeypatch.setattr(doi, "expire_overdue", broken)
    automations.enable(app, org, "birthday_greeting")
    born_today(app, org, "Anna")
    with caplog.at_level(logging.WARNING, logger="konsent.worker.housekeeping"):
        done = asyncio.run(chores(app, org).round())
    assert done["doi_expiry"] is None
    assert done["automations"] == 1
    assert "housekeeping: doi_expiry failed (RuntimeError)" in caplog.text
    assert "anna@example.com" not in caplog.text


def test_automations_on_time_run_at_most_once_per_organisation_and_local_day(app, org, clock):
    automations.enable(app, org, "birthday_greeting")
    born_today(app, org, "Anna")
    assert housekeeping.run_automations(app, [org]) == 1
    born_today(app, org, "Ben")  # added after today's run: greeted from tomorrow's run on, not today
    assert housekeeping.run_automations(app, [org]) == 0
    assert len(greetings(app, org)) == 1
    born_today(app, org, "Carla", days=1)
    clock.advance(days=1)
    assert housekeeping.run_automations(app, [org]) == 1
    assert len(greetings(app, org)) == 2  # Carla's birthday is today now


def test_automations_wait_for_the_latest_set_hour_of_the_organisations_day(app, org, clock):
    clock.current = clock().replace(hour=5)  # 06:00 in Berlin
    automations.enable(app, org, "birthday_greeting", settings={"at": "07:30"})
    automations.enable(app, org, "winback")  # no hour of its own: 09:00
    born_today(app, org, "Anna")
    assert housekeeping.run_automations(app, [org]) == 0
    clock.advance(hours=2)  # 08:00: the greeting's hour has come, the win-back's not
    assert housekeeping.run_automations(app, [org]) == 0
    clock.advance(hours=1)
    assert housekeeping.run_automations(app, [org]) == 1
    assert len(greetings(app, org)) == 1


def test_several_workers_running_the_automations_at_once_queue_each_greeting_once(app, org):
    automations.enable(app, org, "birthday_greeting")
    born = {born_today(app, org, f"Kind{n}") for n in range(6)}
    born.add(born_today(app, org, "Ohne", consent=False))  # withheld, and also only once
    start = threading.Barrier(4)
    ran: list[int] = []

    def work(direct: bool) -> None:
        start.wait()
        # Two go through the daily mark, two straight to `automations.run`, as a second worker whose
        # mark check came before the first's mark would: the outbox's dedupe keys hold either way.
        if direct:
            automations.run(app, organisation_key=org)
        else:
            ran.append(housekeeping.run_automations(app, [org]))

    threads = [threading.Thread(target=work, args=(n % 2 == 0,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rows = greetings(app, org)
    assert sorted(r.customer_id for r in rows) == sorted(born)
    assert sorted(r.status for r in rows) == sorted([outbox.QUEUED] * 6 + [outbox.WITHHELD])
    assert housekeeping.run_automations(app, [org]) == 0  # today is done


def test_the_worker_once_runs_the_chores_sends_and_announces_what_it_sent(app, org):
    automations.enable(app, org, "birthday_greeting")
    anna = born_today(app, org, "Anna")
    with receiver() as hook:
        webhooks.create(app, org, url=hook.url, events=["message.sent"])
        stats = asyncio.run(runner.run(app, once=True, organisations=[org], housekeeping=chores(app, org)))
        [announced] = [r.document for r in hook.received]
    assert stats.sent == 1
    assert (announced["event"], announced["customer_id"], announced["kind"]) == ("message.sent", anna,
                                                                                  "birthday_greeting")
    assert list((Path(app.settings.data_dir) / "outbox").glob("*.eml"))


def test_the_worker_command_keeps_house_unless_it_serves_chosen_organisations_only(app, org, monkeypatch):
    monkeypatch.setattr(worker_command, "app_from_env", lambda: app)  # this test's database and clock
    with receiver() as hook:
        webhooks.create(app, org, url=hook.url)
        consents.give(app, org, customers.add(app, org, NewCustomer(email="anna@example.com")).id,
                      ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER))
        plain = CliRunner().invoke(cli, ["worker", "--once", "--org", org, "--json"])
        assert plain.exit_code == 0, plain.output
        assert hook.received == []  # a worker of its own for some organisations leaves the chores to the others
        asked = CliRunner().invoke(cli, ["worker", "--once", "--org", org, "--housekeeping", "--json"])
        assert asked.exit_code == 0, asked.output
        assert [r.document["type"] for r in hook.received] == ["consent.given"]
