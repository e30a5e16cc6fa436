"""How fast does the ledger append and verify on PostgreSQL?

(a) Appends per second through `ledger.append`, each consent carrying evidence (IP, user agent,
    page), spread over many customers: single-event transactions (one per unit of work, as a
    sign-up form records a consent) by one writer and by several writers on the same
    organisation, and batched ones (many events per `append`, as an import does). Afterwards
    the chain must verify, the count and seqs be exact and every projection equal a rebuild.
(b) Seconds for the real `ledger.verify` over a 1,000,000-event chain in the database, next to
    the floor measured in the same run: the same SHA-256 links over the same bytes, in memory.
    The chain is linked by the code `append` uses and bulk-loaded with COPY.

Run: `.venv/bin/python bench/ledger.py [--events N]`. It creates a fresh database on the server
(default postgresql://postgres@127.0.0.1:5432) and drops it afterwards. Prints; never asserts.
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import func, select, text

from _postgres import fresh_database
from konsent.domain import chain
from konsent.domain.ledger import CustomerState, apply, state_to_dict
from konsent.domain.ledger import EventType as E
from konsent.storage import ledger, migrate
from konsent.storage import tables as t
from konsent.storage.db import Database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Figure:
    what: str
    value: str
    target: str
    limit: str


# --- the data ----------------------------------------------------------------------------

class Life:
    """A plausible stream of events: mostly consents with evidence, then withdrawals,
    objections, transactional opt-outs and complaints, over `customers` people."""

    def __init__(self, customers: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.customers = [str(uuid.UUID(int=self.rng.getrandbits(128))) for _ in range(customers)]
        self.at = NOW - timedelta(days=365)

    def draft(self) -> ledger.Draft:
        rng, customer = self.rng, self.rng.choice(self.customers)
        self.at += timedelta(seconds=1)
        roll = rng.random()
        if roll < 0.6:
            return ledger.Draft(
                E.CONSENT_GIVEN, customer, self.at,
                {"channel": rng.choice(["email", "sms", "phone"]), "purpose": "advertising",
                 "source": "online_form", "method": "active", "categories": ["haircut"],
                 "text_version_id": None, "text_sha256": None, "third_party": False, "evidence": False},
                evidence={"ip": f"192.0.2.{rng.randint(1, 254)}", "user_agent": "Mozilla/5.0 (X11; Linux)",
                          "page_url": "https://salon.example/newsletter"},
            )
        if roll < 0.7:
            return ledger.Draft(E.CONSENT_WITHDRAWN, customer, self.at,
                                {"channel": "email", "purpose": "all", "via": "unsubscribe"})
        if roll < 0.8:
            return ledger.Draft(E.OBJECTION, customer, self.at,
                                {"channel": "all", "scope": "advertising", "via": "api"})
        if roll < 0.95:
            kind = rng.choice([E.TRANSACTIONAL_OPT_OUT, E.TRANSACTIONAL_OPT_IN])
            return ledger.Draft(kind, customer, self.at, {"channel": "sms"})
        return ledger.Draft(E.COMPLAINT, customer, self.at, {"channel": "all", "asked_to_stop": False})


def new_organisation(db: Database) -> str:
    organisation_id = str(uuid.uuid4())
    with db.unit_of_work() as session:
        session.add(t.Organisation(id=organisation_id, slug=f"bench-{organisation_id[:8]}", name="Bench",
                                   jurisdiction="DE", secret="0" * 64, similar_categories=[], created_at=NOW))
        session.flush()
        ledger.start_chain(session, organisation_id)
    return organisation_id


# --- (a) appends -------------------------------------------------------------------------

def append_all(url: str, organisation_id: str, drafts: list[ledger.Draft], batch: int,
               start: Any = None) -> float:
    """Seconds for one writer to append `drafts`, `batch` per unit of work."""
    db = Database(url)
    try:
        if start is not None:
            start.wait()
        began = time.perf_counter()
        for first in range(0, len(drafts), batch):
            with db.unit_of_work() as session:
                ledger.append(session, organisation_id, drafts[first:first + batch], now=NOW)
        return time.perf_counter() - began
    finally:
        db.dispose()


def writer(url: str, organisation_id: str, drafts: list[ledger.Draft], start: Any, seconds: Any) -> None:
    seconds.put(append_all(url, organisation_id, drafts, 1, start))


def appends_at_once(url: str, organisation_ids: list[str], lives: list[Life], each: int) -> float:
    """Events per second when every life appends its own single-event transactions at once, each
    in a process of its own, to the organisation beside it."""
    spawn = multiprocessing.get_context("spawn")
    start, seconds = spawn.Barrier(len(lives) + 1), spawn.Queue()
    writers = [spawn.Process(target=writer, args=(url, organisation_id, [life.draft() for _ in range(each)],
                                                  start, seconds))
               for organisation_id, life in zip(organisation_ids, lives, strict=True)]
    for process in writers:
        process.start()
    start.wait()
    began = time.perf_counter()
    for process in writers:
        process.join()
    elapsed = time.perf_counter() - began
    if any(process.exitcode for process in writers):
        raise RuntimeError("a writer failed")
    return len(lives) * each / elapsed


def proof_of_appends(db: Database, organisation_id: str, expected: int) -> str:
    """The chain verifies, every event is there once, and every projection equals its rebuild."""
    with db.unit_of_work() as session:
        verified = ledger.verify(session, organisation_id)
        count, low, high = session.execute(
            select(func.count(), func.min(t.LedgerEvent.seq), func.max(t.LedgerEvent.seq))
            .where(t.LedgerEvent.organisation_id == organisation_id)
        ).one()
        evidenced = session.scalar(text(
            "SELECT count(*) FROM ledger_events WHERE organisation_id = :org AND jsonb_typeof(evidence) = 'object'"
        ), {"org": organisation_id})
        rebuilt: dict[str, CustomerState] = {}
        bodies = session.scalars(select(t.LedgerEvent.body).where(t.LedgerEvent.organisation_id == organisation_id)
                                 .order_by(t.LedgerEvent.seq))
        for event in map(ledger.event_from_body, bodies):  # load_state for every customer, in one pass
            rebuilt[event.customer] = apply(rebuilt.get(event.customer, CustomerState()), event)
        stored: dict[str, Any] = dict(session.execute(select(t.CustomerState.customer_id, t.CustomerState.state)
                                      .where(t.CustomerState.organisation_id == organisation_id)).all())
    differing = sum(stored.get(customer) != state_to_dict(state) for customer, state in rebuilt.items())
    whole = verified.ok and count == expected and (low, high) == (1, expected) and len(stored) == len(rebuilt)
    return (f"{'chain verifies' if whole else 'CHAIN BROKEN'}: {count:,} events, seq {low}–{high}, "
            f"{evidenced:,} with evidence; {len(rebuilt):,} projections, {differing} differ from a rebuild")


# --- (b) verify --------------------------------------------------------------------------

COLUMNS = ("id", "organisation_id", "seq", "type", "customer_id", "occurred_at", "recorded_at", "body",
           "previous", "hash", "evidence")


def fill(url: str, organisation_id: str, events: int, customers: int) -> list[bytes]:
    """A long chain, linked by `ledger.link_drafts` as `append` links it, loaded with COPY."""
    life, head = Life(customers, seed=7), (0, chain.GENESIS)
    bodies: list[bytes] = []
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY ledger_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for first in range(0, events, 10_000):
                drafts = [life.draft() for _ in range(min(10_000, events - first))]
                linked = ledger.link_drafts(organisation_id, head, drafts, now=NOW)
                for row in linked.rows:
                    copy.write_row([json.dumps(row[c]) if c == "evidence" else row[c] for c in COLUMNS])
                bodies.extend(row["body"] for row in linked.rows)
                head = linked.head
        cursor.execute("UPDATE ledger_heads SET seq = %s, hash = %s WHERE organisation_id = %s",
                       (head[0], head[1], organisation_id))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE ledger_events")  # as autovacuum would have, in a ledger this old
    return bodies


def floor(bodies: list[bytes]) -> float:
    """The same links over the same bytes, already in memory, as fast as Python hashes them."""
    sha256, previous = hashlib.sha256, chain.GENESIS
    began = time.perf_counter()
    for body in bodies:
        previous = sha256(previous + body).digest()
    return time.perf_counter() - began


def backend_cpu(pid: int) -> float | None:
    """CPU seconds the PostgreSQL backend has used (only when the server runs on this machine)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


@dataclass
class Run:
    seconds: float
    python_cpu: float
    server_cpu: float | None
    result: ledger.Verification


def verify_once(db: Database, organisation_id: str) -> Run:
    with db.unit_of_work() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        server, python, began = backend_cpu(pid), time.process_time(), time.perf_counter()
        result = ledger.verify(session, organisation_id)
        seconds, python = time.perf_counter() - began, time.process_time() - python
        after = backend_cpu(pid)
    return Run(seconds, python, after - server if after is not None and server is not None else None, result)


# --- the report ----------------------------------------------------------------------------

def server_facts(url: str) -> tuple[str, float]:
    with psycopg.connect(url, autocommit=True) as connection:
        def show(name: str) -> str:
            row = connection.execute(f"SHOW {name}").fetchone()
            return str(row[0]) if row else "?"

        facts = (f"PostgreSQL {show('server_version')}, synchronous_commit={show('synchronous_commit')}, "
                 f"fsync={show('fsync')}, shared_buffers={show('shared_buffers')}")
        connection.execute("CREATE TABLE bench_commit (n integer)")
        began = time.perf_counter()
        for n in range(1_000):
            connection.execute("INSERT INTO bench_commit VALUES (%s)", (n,))
        commit = (time.perf_counter() - began) / 1_000
        connection.execute("DROP TABLE bench_commit")
    return facts, commit


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def table(figures: list[Figure]) -> str:
    widths = [max(len(getattr(f, name)) for f in figures) for name in ("what", "value", "target")]
    head = Figure("figure", "measured", "target", "what limits it")
    lines = []
    for index, f in enumerate([head, *figures]):
        lines.append(f"{f.what:<{widths[0]}}  {f.value:>{widths[1]}}  {f.target:<{widths[2]}}  {f.limit}")
        if index == 0:
            lines.append("-" * (sum(widths) + 6 + len(head.limit) + 30))
    return "\n".join(lines)


def bench_appends(url: str, db: Database, args: argparse.Namespace, commit: float) -> list[Figure]:
    organisation_id = new_organisation(db)
    lives = [Life(args.customers, seed=n) for n in range(args.writers)]
    each = args.single // args.writers
    one = args.single / append_all(url, organisation_id, [lives[0].draft() for _ in range(args.single)], 1)
    print(f"(a) single-event appends, 1 writer:                    {one:>9,.0f}/s ({1e3 / one:.2f} ms each)")
    shared = appends_at_once(url, [organisation_id] * args.writers, lives, each)
    print(f"    single-event appends, {args.writers} writers, one organisation: {shared:>9,.0f}/s")
    print(f"    {proof_of_appends(db, organisation_id, args.single + each * args.writers)}")
    tenants = [new_organisation(db) for _ in range(args.writers)]
    apart = appends_at_once(url, tenants, lives, each)
    print(f"    single-event appends, {args.writers} writers, one org each:    {apart:>9,.0f}/s")
    organisation_id = new_organisation(db)
    life = Life(args.customers, seed=99)
    batched = args.batched / append_all(url, organisation_id, [life.draft() for _ in range(args.batched)], args.batch)
    print(f"    batched appends, {args.batch} events per append:         {batched:>9,.0f}/s")
    print(f"    {proof_of_appends(db, organisation_id, args.batched)}\n")
    return [
        Figure("single-event appends, 1 writer", f"{one:,.0f}/s", "≥ 1,000/s",
               "a transaction per event: 4 round trips (pool ping; BEGIN, head lock and states; the write; "
               f"COMMIT), a durable commit ({commit * 1e3:.2f} ms), client CPU"),
        Figure(f"  {args.writers} writers, one organisation", f"{shared:,.0f}/s", "≥ 1,000/s",
               "its head lock, held from reading the head to the commit; 2 cores for writers and server"),
        Figure(f"  {args.writers} writers, one organisation each", f"{apart:,.0f}/s", "≥ 1,000/s",
               "2 cores for writers and server"),
        Figure(f"batched appends ({args.batch}/append)", f"{batched:,.0f}/s", "≥ 5,000/s",
               "client CPU: linking, canonical JSON, folding and encoding the projections"),
    ]


def bench_verify(url: str, db: Database, args: argparse.Namespace) -> list[Figure]:
    organisation_id = new_organisation(db)
    load, bodies = timed(lambda: fill(url, organisation_id, args.events, args.customers))
    print(f"(b) filled a {len(bodies):,}-event chain by COPY in {load:.0f} s "
          f"(bodies {sum(map(len, bodies)) / len(bodies):.0f} bytes on average)")
    runs, floors = [], []
    for _ in range(args.rounds):  # side by side, so that both meet the same weather on this machine
        floors.append(floor(bodies))
        runs.append(verify_once(db, organisation_id))
    best, fastest = min(runs, key=lambda r: r.seconds), min(floors)
    verdict = "ok" if best.result.ok else "BROKEN"
    print(f"    ledger.verify: {', '.join(f'{r.seconds:.2f}' for r in runs)} s ({verdict}, "
          f"{best.result.events:,} events, head at {best.result.head_seq:,})")
    print(f"    floor:         {', '.join(f'{f:.2f}' for f in floors)} s")
    if best.server_cpu is not None:
        print(f"    its best run: Python {best.python_cpu:.2f} s CPU, PostgreSQL backend {best.server_cpu:.2f} s CPU")
    ratio = best.seconds / fastest
    print(f"    verify = {ratio:.2f} × floor (best of each; medians {statistics.median(r.seconds for r in runs):.2f} s "
          f"and {statistics.median(floors):.2f} s)\n")
    return [
        Figure(f"verify of {len(bodies):,} events", f"{best.seconds:.2f} s", "",
               "two cores, both busy: the server reads and sends ~0.6 GB, Python hashes and compares"),
        Figure("floor: the same links in memory", f"{fastest:.2f} s", "", "one core hashing"),
        Figure("verify / floor", f"{ratio:.2f} ×", "≤ 3 ×", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="length of the chain to verify")
    parser.add_argument("--single", type=int, default=5_000, help="single-event transactions per writer run")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers (processes) on one organisation")
    parser.add_argument("--batched", type=int, default=100_000, help="events to append in batches")
    parser.add_argument("--batch", type=int, default=500, help="events per batched append")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5, help="verify runs, each next to a floor run")
    parser.add_argument("--admin-url", default=ADMIN, help="a database of the server to create the bench's own from")
    args = parser.parse_args()

    with fresh_database(args.admin_url) as url:
        db = Database(url)
        try:
            migrate.upgrade(db.engine)
            facts, commit = server_facts(url)
            print(f"{facts}\nthis machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
                  f"(other work here skews every figure); one durable one-row commit: {commit * 1e3:.2f} ms\n")
            figures = bench_appends(url, db, args, commit) + bench_verify(url, db, args)
            print(table(figures))
            print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
