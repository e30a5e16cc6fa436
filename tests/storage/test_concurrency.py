"""Many writers, one chain: threads and processes append to one organisation's ledger at once,
and a verifier reading meanwhile never sees a broken chain.

Then the verifier's fast path, which big ledgers depend on: it accepts every chain `append`
writes and never waves through a queryable copy edited behind the chain's back. Last, one unit
of work appending many events keeps every projection equal to its rebuild.
"""

import multiprocessing
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from konsent.domain.ledger import EventType, state_to_dict
from konsent.services import organisations
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.storage.db import Database

THREADS, PROCESSES, APPENDS = 8, 4, 50
CUSTOMERS = [str(uuid.UUID(int=n)) for n in range(1, 7)]  # shared by every writer: projections contend too
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def life_of(writer, n):
    """The n-th event a writer records: consents, withdrawals, objections and opt-outs in turn."""
    customer, at = CUSTOMERS[n % len(CUSTOMERS)], NOW + timedelta(seconds=n)
    kind, data = [
        (EventType.CONSENT_GIVEN, {"channel": "email", "purpose": "advertising", "source": "online_form"}),
        (EventType.CONSENT_WITHDRAWN, {"channel": "email", "purpose": "all"}),
        (EventType.OBJECTION, {"channel": "sms", "scope": "advertising"}),
        (EventType.TRANSACTIONAL_OPT_OUT, {"channel": "sms"}),
        (EventType.TRANSACTIONAL_OPT_IN, {"channel": "sms"}),
    ][n % 5]
    return ledger.Draft(kind, customer, at, {**data, "writer": writer, "n": n},
                        evidence={"ip": "192.0.2.1"} if kind is EventType.CONSENT_GIVEN else None)


def write(url, organisation_id, writer, start=None):
    """One writer: its own engine (as another process or machine would have), one event per transaction."""
    db = Database(url)
    try:
        if start is not None:
            start.wait(timeout=120)
        for n in range(APPENDS):
            with db.unit_of_work() as session:
                ledger.append(session, organisation_id, [life_of(writer, n)], now=NOW)
    finally:
        db.dispose()


def writers_at_once(url, organisation_id, *, threads, processes):
    """Writers in threads of this process and in processes of their own, all released at once."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(threads + processes)
    children = [spawn.Process(target=write, args=(url, organisation_id, f"process-{n}", start))
                for n in range(processes)]
    failures = []

    def in_thread(writer):
        try:
            write(url, organisation_id, writer, start)
        except BaseException as exc:
            failures.append(exc)
            start.abort()

    workers = [threading.Thread(target=in_thread, args=(f"thread-{n}",)) for n in range(threads)]
    for worker in [*children, *workers]:
        worker.start()
    for thread in workers:
        thread.join()
    for child in children:
        child.join(timeout=300)
    assert failures == []
    assert [child.exitcode for child in children] == [0] * processes


def test_threads_and_processes_extend_one_unbroken_chain(app, org):
    writers_at_once(app.db.url, org, threads=THREADS, processes=PROCESSES)
    total = (THREADS + PROCESSES) * APPENDS
    with app.db.unit_of_work() as session:
        verified = ledger.verify(session, org)
        seqs = list(session.scalars(select(t.LedgerEvent.seq).where(t.LedgerEvent.organisation_id == org)
                                    .order_by(t.LedgerEvent.seq)))
        head = session.get(t.LedgerHead, org)
        stored = {c: ledger.stored_state(session, org, c) for c in CUSTOMERS}
        rebuilt = {c: state_to_dict(ledger.load_state(session, org, c)) for c in CUSTOMERS}
    assert (verified.ok, verified.events, verified.head_seq) == (True, total, total)
    assert seqs == list(range(1, total + 1))
    assert head.seq == total
    assert stored == rebuilt


def test_every_writer_lands_every_event_once(app, org):
    writers_at_once(app.db.url, org, threads=2, processes=2)
    with app.db.unit_of_work() as session:
        bodies = session.scalars(select(t.LedgerEvent.body).where(t.LedgerEvent.organisation_id == org))
        landed = sorted((e.data["writer"], e.data["n"]) for e in map(ledger.event_from_body, bodies))
    writers = [f"thread-{n}" for n in range(2)] + [f"process-{n}" for n in range(2)]
    assert landed == sorted((w, n) for w in writers for n in range(APPENDS))


def test_a_verifier_reading_while_writers_append_sees_a_whole_chain(app, org):
    done = threading.Event()
    seen = []

    def verify_until_done():
        while not done.wait(0.005):  # a breath between reads lets SQLite's queued writers in
            with app.db.unit_of_work() as session:
                seen.append(ledger.verify(session, org))

    verifier = threading.Thread(target=verify_until_done)
    verifier.start()
    try:
        writers_at_once(app.db.url, org, threads=4, processes=0)
    finally:
        done.set()
        verifier.join()
    assert seen  # how many reads land between the writers' commits is up to the scheduler
    assert [v.breaks for v in seen if not v.ok] == []
    assert [v.events for v in seen] == sorted(v.events for v in seen)


def test_the_other_organisations_chains_stay_apart(app, org):
    other = organisations.create(app, slug=f"shop-{uuid.uuid4().hex[:8]}", name="Shop", jurisdiction="AT").id
    threads = [threading.Thread(target=write, args=(app.db.url, o, f"w-{o}")) for o in (org, other, org)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.db.unit_of_work() as session:
        assert (ledger.verify(session, org).events, ledger.verify(session, other).events) == (2 * APPENDS, APPENDS)


# --- the verifier's fast path ------------------------------------------------------------

def record(app, org, drafts):
    with app.db.unit_of_work() as session:
        return ledger.append(session, org, drafts, now=app.now())


def odd_but_honest_events(app, org):
    """Everything `append` may write that a careless reading of the body would trip over."""
    customer = str(uuid.uuid4())
    berlin = datetime(2026, 3, 29, 3, 30, 0, 123456, tzinfo=UTC).astimezone()
    record(app, org, [
        ledger.Draft(EventType.CONSENT_GIVEN, customer, app.now(),
                     {"channel": "email", "purpose": "advertising", "source": "manual_staff",
                      "nested": {"a": 1, "id": "x", "customer": "y", "organisation": "z"}},
                     evidence={"staff_actor": 'Frau "Schmidt"\\Nord'}, actor='Frau "Schmidt", Filiale\\Nord'),
        ledger.Draft(EventType.OBJECTION, customer, berlin, {"channel": "all", "scope": "advertising",
                                                             "note": ',"id":"fake","occurred_at":"'}),
    ])
    record(app, org, [ledger.Draft(EventType.COMPLAINT, customer, app.now(), {"channel": "all"}, actor="ünïcödé")])
    return customer


def fast(app, org):
    with app.db.unit_of_work() as session:
        return ledger._walk(session, org, 2)  # batches of two: every boundary between batches is crossed


def verify(app, org):
    with app.db.unit_of_work() as session:
        return ledger.verify(session, org)


def test_the_fast_path_accepts_every_chain_append_writes(app, org):
    odd_but_honest_events(app, org)
    assert fast(app, org) == ledger.Verification(3, 3, [])


def test_the_fast_path_accepts_a_chain_without_events(app, org):
    assert fast(app, org) == ledger.Verification(0, 0, [])


def test_the_fast_path_walks_without_chunked_rows_too(app, org, monkeypatch):
    monkeypatch.setattr(ledger, "_CHUNKED", False)  # psycopg before 3.2 or libpq before 17
    odd_but_honest_events(app, org)
    assert fast(app, org) == ledger.Verification(3, 3, [])


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # the planner's settings
def test_the_fast_path_leaves_the_transactions_settings_as_it_found_them(app, org):
    odd_but_honest_events(app, org)
    with app.db.unit_of_work() as session:
        ledger.verify(session, org)
        assert session.scalar(text("SHOW enable_sort")) == "on"


def first_event(app, org):
    with app.db.unit_of_work() as session:
        return session.scalars(select(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org)
                               .order_by(t.LedgerEvent.seq)).first()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("customer_id", str(uuid.uuid4())),
        ("customer_id", 'x","data":{},"customer":"y'),  # JSON inside a copy
        ("type", "objection.received"),
        ("type", 'x","v":1},"type":"consent.given'),
        ("id", str(uuid.uuid4())),
    ],
)
def test_a_copy_edited_behind_the_chains_back_is_named(app, org, column, value):
    odd_but_honest_events(app, org)
    target = first_event(app, org)
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == target.id).values({column: value}))
    assert fast(app, org) is None
    assert [(b.seq, b.problem) for b in verify(app, org).breaks] == [(1, "edited")]


def test_a_chain_moved_to_another_organisation_is_caught(app, org):
    odd_but_honest_events(app, org)
    other = organisations.create(app, slug=f"shop-{uuid.uuid4().hex[:8]}", name="Shop", jurisdiction="AT").id
    with app.db.unit_of_work() as session:
        head = session.get(t.LedgerHead, org)
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org).values(organisation_id=other))
        session.execute(update(t.LedgerHead).where(t.LedgerHead.organisation_id == other)
                        .values(seq=head.seq, hash=head.hash))
    assert fast(app, other) is None
    assert not verify(app, other).ok


def test_a_stale_head_is_caught(app, org):
    odd_but_honest_events(app, org)
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerHead).where(t.LedgerHead.organisation_id == org).values(seq=2))
    assert fast(app, org) is None
    assert not verify(app, org).ok


def test_a_chain_emptied_behind_its_head_is_caught(app, org):
    odd_but_honest_events(app, org)
    with app.db.unit_of_work() as session:
        session.execute(delete(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org))
        assert session.scalar(select(func.count()).select_from(t.LedgerEvent)
                              .where(t.LedgerEvent.organisation_id == org)) == 0
    assert fast(app, org) is None
    assert [b.problem for b in verify(app, org).breaks] == ["deleted"]


# --- one unit of work, many events -------------------------------------------------------

def test_a_batch_brings_every_projection_along(app, org):
    with app.db.unit_of_work() as session:
        ledger.append(session, org, [life_of("import", n) for n in range(200)], now=NOW)
        ledger.append(session, org, [life_of("import", n) for n in range(200, 203)], now=NOW)
    with app.db.unit_of_work() as session:
        stored = {c: ledger.stored_state(session, org, c) for c in CUSTOMERS}
        rebuilt = {c: state_to_dict(ledger.load_state(session, org, c)) for c in CUSTOMERS}
        assert ledger.verify(session, org).events == 203
    assert stored == rebuilt


def test_an_append_is_seen_by_the_unit_of_work_that_made_it(app, org):
    with app.db.unit_of_work() as session:
        ledger.append(session, org, [life_of("desk", 0)], now=NOW)
        head, state = session.get(t.LedgerHead, org), session.get(t.CustomerState, (org, CUSTOMERS[0]))
        before = (head.seq, state.last_seq)
        ledger.append(session, org, [life_of("desk", 6)], now=NOW)  # the same customer again
        after = (session.get(t.LedgerHead, org).seq, session.get(t.CustomerState, (org, CUSTOMERS[0])).last_seq)
    assert (before, after) == ((1, 1), (2, 2))
