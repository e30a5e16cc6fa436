"""Claiming: every due row goes to exactly one worker, however many claim at the same moment."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from konsent.services import outbox
from konsent.storage import tables as t
from konsent.worker import claim


def queue(app, org, count: int) -> None:
    entries = [outbox.Entry(customer_id=f"c-{n}", channel="email", kind="newsletter", dedupe_key=f"k-{n}",
                            template_key="autumn", decision={"decision": "allow"},
                            send_after=app.now() - timedelta(seconds=n))
               for n in range(count)]
    with app.db.unit_of_work() as session:
        outbox.enqueue(session, org, entries, now=app.now())


def take(app, org, owner: str, limit: int) -> list[claim.Claimed]:
    with app.db.unit_of_work() as session:
        return claim.claim(session, owner, now=app.now(), lease=timedelta(minutes=2), limit=limit, organisations=[org])


def test_the_longest_waiting_rows_are_claimed_first(app, org):
    queue(app, org, 5)
    assert [r.customer_id for r in take(app, org, "a", 2)] == ["c-4", "c-3"]
    assert [r.customer_id for r in take(app, org, "b", 10)] == ["c-2", "c-1", "c-0"]
    assert take(app, org, "c", 10) == []


def test_workers_claiming_at_the_same_moment_never_share_a_row(app, org, database):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time in: there is no moment two workers claim together")
    queue(app, org, 400)
    start = Barrier(8)

    def worker(number: int) -> list[str]:
        taken: list[str] = []
        start.wait()
        while rows := take(app, org, f"worker-{number}", 25):
            taken += [r.id for r in rows]
        return taken

    with ThreadPoolExecutor(8) as pool:
        shares = list(pool.map(worker, range(8)))
    every = [row_id for share in shares for row_id in share]
    assert len(every) == len(set(every)) == 400
    assert sum(1 for share in shares if share) > 1  # they really did work side by side


def test_other_organisations_rows_are_left_to_their_workers(app, org):
    queue(app, org, 3)
    with app.db.unit_of_work() as session:
        assert claim.claim(session, "x", now=app.now(), lease=timedelta(minutes=2), limit=10,
                           organisations=["no-such-organisation"]) == []
    assert len(take(app, org, "y", 10)) == 3


def test_a_lease_is_renewed_only_for_rows_still_held(app, org, clock):
    queue(app, org, 2)
    mine, theirs = take(app, org, "a", 2)
    with app.db.unit_of_work() as session:
        session.get(t.OutboxItem, theirs.id).lease_owner = "b"  # taken over after a long pause
    later = clock() + timedelta(minutes=10)
    with app.db.unit_of_work() as session:
        assert claim.renew(session, "a", [mine.id, theirs.id], until=later) == 1
    with app.db.unit_of_work() as session:
        assert session.get(t.OutboxItem, mine.id).lease_expires_at == later
        assert session.get(t.OutboxItem, theirs.id).lease_expires_at < later


def test_outcomes_are_written_by_key_however_stale_the_statistics(app, org, database):
    """The planner's figures date from the last ANALYZE, often taken while every row was queued: then
    it believes no row is in flight, and an outcome statement that also filtered on the status walked
    the whole in-flight part of the due index (dead entries included) for every flush."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the statement and its plan are PostgreSQL's")
    queue(app, org, 2000)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE outbox")
    rows = take(app, org, "a", 2000)
    ids = [r.id for r in rows[:200]]
    with app.db.unit_of_work() as session:
        plan = "\n".join(session.scalars(text("EXPLAIN " + claim._FINISH.text), {
            "ids": ids, "statuses": [outbox.SENT] * len(ids), "errors": [None] * len(ids),
            "retries": [None] * len(ids), "owner": "a", "now": app.now()}))
        session.rollback()
    assert "ix_outbox_due" not in plan, plan
    with app.db.unit_of_work() as session:
        written = claim.finish(session, "a", [claim.Finished(i, outbox.SENT, None, None) for i in ids],
                               now=app.now())
    assert written == set(ids)
    with app.db.unit_of_work() as session:
        assert claim.finish(session, "b", [claim.Finished(r.id, outbox.SENT, None, None) for r in rows[200:210]],
                            now=app.now()) == set()  # held by a: not b's to write


def test_a_row_is_leased_exactly_while_it_is_in_flight(app, org):
    """Outcomes are written by the lease alone (above), so no writer may leave a lease on a row out of
    flight, nor a row in flight without one: the database refuses both."""
    queue(app, org, 2)
    taken = take(app, org, "a", 1)[0].id
    with app.db.unit_of_work() as session:
        (waiting,) = session.scalars(select(t.OutboxItem.id).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.status == outbox.QUEUED))
    for row_id, values in ((waiting, {"lease_owner": "a"}), (waiting, {"status": outbox.IN_FLIGHT}),
                           (taken, {"lease_owner": None}), (taken, {"status": outbox.SENT})):
        with pytest.raises(IntegrityError), app.db.unit_of_work() as session:
            session.execute(update(t.OutboxItem).where(t.OutboxItem.id == row_id).values(**values))
    with app.db.unit_of_work() as session:
        assert claim.release(session, "a", [taken], now=app.now()) == 1  # the worker's own ways out keep it
