"""Faults with real worker processes on PostgreSQL, counted at a real SMTP server: a busy server, a
server that drops connections, a worker killed mid-batch, a withdrawal while the campaign runs.
Every allowed recipient gets the message exactly once (a killed worker may cause as many
duplicates as it had messages in flight), a withdrawn recipient gets nothing after withdrawing,
and nothing is lost."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from konsent.config import DatabaseSettings, Settings
from konsent.services import consents, organisations, outbox
from konsent.services.context import Konsent, system_clock
from konsent.storage import migrate
from konsent.storage import tables as t
from konsent.storage.db import Database
from tests.conftest import migrated_database
from tests.worker.audience import autumn_template, consenting, customer, schedule
from tests.worker.mailserver import MailServer, mail_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Database]:
    with migrated_database("postgresql") as db:
        yield db


@pytest.fixture
def live(postgres: Database, tmp_path: Path) -> Konsent:
    """The real clock: the workers are other processes and read it too."""
    return Konsent(settings=Settings(data_dir=tmp_path, database=DatabaseSettings(url=postgres.url)), db=postgres,
                   clock=system_clock)


@pytest.fixture
def org(live: Konsent) -> str:
    return organisations.create(
        live, slug=f"salon-{uuid.uuid4().hex[:8]}", name="Salon Sonnenschein", jurisdiction="DE",
        sender_name="Salon Sonnenschein", sender_address="Hauptstraße 1, 10115 Berlin").id


def campaign(live: Konsent, org: str, allowed: int, *, last: str | None = None) -> dict[str, str]:
    """`allowed` customers with consent and two without; name -> outbox id. `last` is queued last."""
    autumn_template(live, org)
    people = {f"p{n:03d}": consenting(live, org, f"p{n:03d}") for n in range(allowed)}
    people |= {"nein1": customer(live, org, "nein1"), "nein2": customer(live, org, "nein2")}
    early = {name: customer_id for name, customer_id in people.items() if name != last}
    queued = schedule(live, org, early, send_after=live.now() - timedelta(seconds=60), campaign="autumn")
    if last is not None:
        queued |= schedule(live, org, {last: people[last]}, campaign="autumn")
    return queued


def worker(live: Konsent, org: str, server: MailServer, *options: str, **settings: object) -> subprocess.Popen[str]:
    env = {**os.environ, "KONSENT__DATABASE__URL": live.settings.database_url,
           "KONSENT__DATA_DIR": str(live.settings.data_dir), "KONSENT__SMTP__HOST": "127.0.0.1",
           "KONSENT__SMTP__PORT": str(server.port), "KONSENT__SMTP__SECURITY": "none",
           "KONSENT__SMTP__TIMEOUT": "10", "KONSENT__DISPATCH__IDLE_SECONDS": "0.1",
           **{f"KONSENT__DISPATCH__{name.upper()}": str(value) for name, value in settings.items()}}
    return subprocess.Popen([sys.executable, "-m", "konsent", "worker", "--org", org, "--json", *options],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


def wait_until(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def statuses(live: Konsent, org: str) -> dict[str, str]:
    with live.db.unit_of_work() as session:
        return dict(session.execute(select(t.OutboxItem.id, t.OutboxItem.status)
                                    .where(t.OutboxItem.organisation_id == org)).all())


def all_final(live: Konsent, org: str) -> bool:
    return set(statuses(live, org).values()) <= set(outbox.FINAL)


def leases_expired(live: Konsent, org: str) -> bool:
    with live.db.unit_of_work() as session:
        return not session.scalar(select(func.count()).select_from(t.OutboxItem).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.status == outbox.IN_FLIGHT,
            t.OutboxItem.lease_expires_at > live.now()))


def expected(queued: dict[str, str], *, but: tuple[str, ...] = ()) -> dict[str, int]:
    return {f"{name}@example.com": 1 for name in queued if name.startswith("p") and name not in but}


def test_a_server_busy_for_a_while_gets_every_message_once_after_retries(live, org):
    queued = campaign(live, org, 12)
    with mail_server(busy_for=5) as server:
        process = worker(live, org, server, "--concurrency", "4", retry_base_seconds=0.2, retry_max_seconds=0.5)
        wait_until(lambda: all_final(live, org), "every row to be sent or withheld")
        process.send_signal(signal.SIGTERM)
        summary = finished(process)
    assert server.busy_answers == 5
    assert server.counts() == expected(queued)
    assert summary["sent"] == 12
    assert summary["awaiting_retry"] == 5  # each 421 counted once as a retry, then sent


def test_a_server_that_drops_the_connection_after_every_three_messages_gets_every_message_once(live, org):
    queued = campaign(live, org, 20)
    with mail_server(drop_every=3) as server:
        summary = finished(worker(live, org, server, "--once", "--concurrency", "4"))
    assert server.counts() == expected(queued)
    assert (summary["sent"], summary["withheld"], summary["failed"]) == (20, 2, 0)
    assert server.connections >= 20 // 3


def test_a_killed_worker_loses_its_rows_to_another_which_finishes_the_campaign(live, org):
    queued = campaign(live, org, 60)
    with mail_server() as server:
        first = worker(live, org, server, "--once", "--concurrency", "4", "--batch", "20", lease_seconds=1,
                       email_per_second=40)
        wait_until(lambda: len(server.received) >= 15, "the first worker to be under way")
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)  # reaps it and closes its pipes
        wait_until(lambda: leases_expired(live, org), "the dead worker's leases to run out")
        second = finished(worker(live, org, server, "--once", "--concurrency", "4"))
    counts = server.counts()
    duplicates = sum(count - 1 for count in counts.values())
    print(f"\nkilled worker: {duplicates} duplicate(s) of {len(server.received)} delivered")
    assert set(counts) == set(expected(queued))  # nothing lost
    assert duplicates <= 4  # at most one per connection of the killed worker
    assert set(statuses(live, org).values()) == {outbox.SENT, outbox.WITHHELD}
    assert second["sent"] >= 60 - len(server.received) + duplicates


def test_a_recipient_who_withdraws_while_the_campaign_runs_gets_nothing_after_withdrawing(live, org):
    queued = campaign(live, org, 30, last="p029")
    with live.db.unit_of_work() as session:
        late = session.get(t.OutboxItem, queued["p029"])
        assert late is not None
        customer_id = late.customer_id
    withdrawn_after: list[int] = []

    def withdraw_at_the_fifth(message: object) -> None:
        if len(server.received) == 4 and not withdrawn_after:
            consents.withdraw(live, org, customer_id, channel="email")
            withdrawn_after.append(len(server.received) + 1)

    with mail_server() as server:
        server.on_message = withdraw_at_the_fifth
        finished(worker(live, org, server, "--once", "--concurrency", "2", "--batch", "10", email_per_second=30))
    assert withdrawn_after == [5]
    assert server.counts() == expected(queued, but=("p029",))
    assert statuses(live, org)[queued["p029"]] == outbox.WITHHELD


def test_the_command_works_on_sqlite_too(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'konsent.db'}")
    migrate.upgrade(db.engine)
    live = Konsent(settings=Settings(data_dir=tmp_path, database=DatabaseSettings(url=db.url)), db=db,
                   clock=system_clock)
    try:
        organisation = organisations.create(live, slug="salon-sqlite", name="Salon", jurisdiction="DE").id
        queued = campaign(live, organisation, 5)
        with mail_server() as server:
            summary = finished(worker(live, organisation, server, "--once"))
        assert server.counts() == expected(queued)
        assert (summary["sent"], summary["withheld"], summary["claimed"]) == (5, 2, 7)
    finally:
        db.dispose()
