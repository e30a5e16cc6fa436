"""How fast does konsent send a campaign, next to the wire's limit on this machine?

100,000 recipients on PostgreSQL (most with a proven consent, some existing customers under the
§7 (3) UWG privilege), queued with `outbox.enqueue`, then sent by `konsent worker --once`
processes to Postfix's `smtp-sink` on localhost. Every message is decided again at send time,
personalised (name in subject and body, its own signed unsubscribe link and RFC 8058 headers) and
logged with its decision. In the same run Postfix's `smtp-source` sends as many messages of the
same size to the same sink, over as many connections and over fewer, before and after: its best run
is the physical limit. Prints both rates and their ratio (target: konsent ≥ 0.5 × smtp-source), the
CPU each part used per message (workers, PostgreSQL, the sink), checks that the sink counted every
message once and the log holds every decision; then, for scale, sends copies of konsent's rendered
messages through its SMTP client alone, and again logging each (the least a sender that logs can do,
with none of the outbox's or the decision's work). With --profile it shows where a worker's time goes,
and PostgreSQL's, step by step.

Run: `.venv/bin/python bench/send.py [--recipients N] [--workers P] [--concurrency C] [--profile]`.
Installs Postfix with apt-get when smtp-sink is missing (Debian, as root); Postfix's own mail
server is not started. Creates a fresh database on the server and drops it afterwards.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import event, func, select

from _postgres import fresh_database
from konsent import aio
from konsent.config import DatabaseSettings, Settings, SmtpSettings
from konsent.domain import (
    Channel,
    Consent,
    ConsentSource,
    Jurisdiction,
    Message,
    MessageKind,
    Organisation,
    Purchase,
    Purpose,
    Recipient,
    Scenario,
    decide,
)
from konsent.domain.ledger import EventType, fold, state_to_dict
from konsent.services import campaigns, dispatch, organisations, outbox, templates
from konsent.services.context import Konsent
from konsent.storage import ledger, migrate
from konsent.storage import tables as t
from konsent.storage.db import Database
from konsent.transports.smtp import SmtpPool, wire
from konsent.worker import claim, log, snapshot
from konsent.worker.loop import Worker

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SENDER = "Salon Sonnenschein <news@salon.example>"
ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC).replace(microsecond=0)
FIRST_NAMES = ["Anna", "Jürgen", "Lena", "Mehmet", "Sophie", "Lukas", "Zoë", "Tobias", "Marie", "Paul"]
SUBJECT = "Herbst bei uns, {{ first_name }}: Pflege für Ihr Haar"
TEXT = """Hallo {{ first_name }},

der Herbst ist da, und mit ihm unsere Pflegeserie für trockenes Haar. Bis Ende des Monats
bekommen Sie 15 % auf alle Produkte der Serie, im Salon und im Shop.

Wir freuen uns auf Sie!
Ihr Team vom Salon Sonnenschein
"""
HTML = """<html><body>
<p>Hallo {{ first_name }},</p>
<p>der Herbst ist da, und mit ihm unsere <b>Pflegeserie für trockenes Haar</b>. Bis Ende des Monats
bekommen Sie 15&nbsp;% auf alle Produkte der Serie, im Salon und im Shop.</p>
<p>Wir freuen uns auf Sie!<br>Ihr Team vom Salon Sonnenschein</p>
</body></html>
"""


# --- Postfix's smtp-sink and smtp-source ---------------------------------------------------

def ensure_postfix() -> None:
    if shutil.which("smtp-sink") and shutil.which("smtp-source"):
        return
    if os.geteuid() != 0:
        sys.exit("bench/send.py: smtp-sink is missing; install Debian's postfix package (or run as root)")
    print("installing postfix (for smtp-sink and smtp-source) with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postfix"], check=True, env=env)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sink() -> Iterator[tuple[int, Path]]:
    """smtp-sink on a free port, counting every completed DATA into a file."""
    port, counter = free_port(), Path(f"/tmp/konsent-sink-{uuid.uuid4().hex[:8]}.out")
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with counter.open("wb") as out:
        process = subprocess.Popen(["smtp-sink", "-c", *user, f"127.0.0.1:{port}", "1024"], stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port, counter
    finally:
        process.terminate()
        process.wait()
        counter.unlink(missing_ok=True)


def sink_settings(port: int) -> SmtpSettings:
    """konsent's SMTP settings for the sink on `port`."""
    return SmtpSettings(host="127.0.0.1", port=port, security="none", sender=SENDER)


def sink_count(counter: Path) -> int:
    """smtp-sink -c rewrites a line `sess=… quit=… mesg=N` as it goes: the last N is the total so far."""
    found = re.findall(rb"mesg=(\d+)", counter.read_bytes())
    return int(found[-1]) if found else 0


def smtp_source(port: int, messages: int, sessions: int, size: int) -> float:
    """Seconds for smtp-source to send `messages` of about `size` bytes over `sessions` kept-open connections."""
    began = time.perf_counter()
    subprocess.run(["smtp-source", "-d", "-s", str(sessions), "-m", str(messages), "-l", str(size),
                    "-f", "bench@konsent.example", "-t", "sink@konsent.example", f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


# --- the audience ----------------------------------------------------------------------------

def copy(cursor: psycopg.Cursor[Any], table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as writer:
        for row in rows:
            writer.write_row(row)


def audience(app: Konsent, organisation_id: str, count: int, privileged: float, rng: random.Random) -> list[str]:
    """`count` customers who may get the offer: a proven consent each, or (a share `privileged`) a
    haircut a month ago with the email address taken and the objection notice shown. COPY, linked
    by the ledger's own code; returns the customers' ids."""
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]
    people, contacts, purchases, drafts = [], [], [], []
    for number, customer_id in enumerate(ids):
        locale = "en" if number % 10 == 9 else "de"
        people.append((customer_id, organisation_id, "consumer", locale, FIRST_NAMES[number % len(FIRST_NAMES)],
                       f"Kunde{number}", Jsonb({}), Jsonb([]), NOW - timedelta(days=400)))
        contacts.append((str(uuid.uuid4()), organisation_id, customer_id, "email", f"kunde{number}@example.com",
                         NOW - timedelta(days=400)))
        if rng.random() < privileged:
            purchases.append((str(uuid.uuid4()), organisation_id, customer_id, NOW - timedelta(days=30),
                              Jsonb(["haircut"]), Jsonb(["email"]), True, NOW - timedelta(days=30)))
        else:
            drafts.append(ledger.Draft(EventType.CONSENT_GIVEN, customer_id, NOW - timedelta(days=rng.randint(2, 300)),
                                       {"channel": "email", "purpose": "advertising", "source": "paper_form",
                                        "method": "active", "categories": [], "text_version_id": None,
                                        "text_sha256": None, "third_party": False, "evidence": True}))
    drafts.sort(key=lambda d: d.occurred_at)
    with app.db.unit_of_work() as session:
        head = session.get(t.LedgerHead, organisation_id)
        assert head is not None
        linked = ledger.link_drafts(organisation_id, (head.seq, head.hash), drafts, now=NOW)
    columns = ("id", "organisation_id", "seq", "type", "customer_id", "occurred_at", "recorded_at", "body",
               "previous", "hash")
    states = [(organisation_id, e.customer, Jsonb(state_to_dict(fold([e]))), e.seq) for e in linked.events]
    with psycopg.connect(app.settings.database_url) as connection, connection.cursor() as cursor:
        copy(cursor, "customers", ("id", "organisation_id", "type", "locale", "first_name", "last_name", "registers",
                                   "tags", "created_at"), people)
        copy(cursor, "contact_points", ("id", "organisation_id", "customer_id", "kind", "value", "created_at"),
             contacts)
        copy(cursor, "purchases", ("id", "organisation_id", "customer_id", "occurred_at", "categories",
                                   "contact_collected", "objection_notice_at_collection", "created_at"), purchases)
        copy(cursor, "ledger_events", columns, [tuple(row[c] for c in columns) for row in linked.rows])
        copy(cursor, "customer_states", ("organisation_id", "customer_id", "state", "last_seq"), states)
        cursor.execute("UPDATE ledger_heads SET seq = %s, hash = %s WHERE organisation_id = %s",
                       (linked.head[0], linked.head[1], organisation_id))
    return ids


def scheduled_decision(privileged: bool) -> dict[str, Any]:
    """The decision a scheduler stores with the row (the worker decides again, from the database)."""
    recipient = Recipient(
        purchases=(Purchase(at=NOW - timedelta(days=30), categories=frozenset({"haircut"}),
                            contact_collected=frozenset({Channel.EMAIL}), objection_notice_at_collection=True),)
        if privileged else (),
        consents=() if privileged else (Consent(channel=Channel.EMAIL, given_at=NOW - timedelta(days=30),
                                                purpose=Purpose.ADVERTISING, source=ConsentSource.PAPER_FORM,
                                                evidence=True),))
    scenario = Scenario(jurisdiction=Jurisdiction.DE, at=NOW, recipient=recipient,
                        message=Message(channel=Channel.EMAIL, kind=MessageKind.PRODUCT_AD,
                                        advertised_categories=frozenset({"hair-care"})),
                        organisation=Organisation(similar_categories=(frozenset({"haircut", "hair-care"}),)))
    decision = decide(scenario)
    assert decision.allowed, decision.codes
    return campaigns.snapshot(decision, NOW)  # as a campaign stores it with each row


def campaign(app: Konsent, organisation_id: str, ids: list[str], privileged: set[str]) -> None:
    decisions = {True: scheduled_decision(True), False: scheduled_decision(False)}
    key = uuid.uuid4().hex[:8]
    entries = [outbox.Entry(customer_id=c, channel="email", kind="product_ad", dedupe_key=f"campaign:{key}:{c}",
                            template_key="autumn", decision=decisions[c in privileged], send_after=NOW,
                            advertised_categories=("hair-care",), campaign_id=None)
               for c in ids]
    with app.db.unit_of_work() as session:
        outbox.enqueue(session, organisation_id, entries, now=NOW)


def organisation(app: Konsent) -> str:
    created = organisations.create(
        app, slug=f"salon-{uuid.uuid4().hex[:8]}", name="Salon Sonnenschein", jurisdiction="DE",
        similar_categories=[["haircut", "hair-care"]], sender_name="Salon Sonnenschein",
        sender_address="Hauptstraße 1, 10115 Berlin")
    for locale in ("de", "en"):
        templates.save(app, created.id, key="autumn", channel="email", locale=locale, subject=SUBJECT,
                       body_text=TEXT, body_html=HTML)
    return created.id


def prepared(app: Konsent, url: str, organisation_id: str, count: int, rng: random.Random) -> None:
    began = time.perf_counter()
    ids = audience(app, organisation_id, count, privileged=0.15, rng=rng)
    with app.db.unit_of_work() as session:
        privileged = set(session.scalars(select(t.Purchase.customer_id).where(
            t.Purchase.organisation_id == organisation_id)))
    campaign(app, organisation_id, ids, privileged)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    print(f"queued {count:,} recipients ({len(privileged):,} under the existing-customer privilege) "
          f"in {time.perf_counter() - began:.0f} s")


def sample_messages(app: Konsent, organisation_id: str) -> list[dispatch.Ready]:
    """Messages decided and rendered as the worker does it, each with its message-log row (claimed and
    given back, so nothing is sent)."""
    with app.db.unit_of_work() as session:
        rows = claim.claim(session, "sizer", now=app.now(), lease=timedelta(seconds=1), limit=200,
                           organisations=[organisation_id])
        seen = snapshot.load(session, rows, at=app.now())
        ready = [r for r in (dispatch.prepare(seen, row, settings=app.settings) for row in rows)
                 if isinstance(r, dispatch.Ready)]
        claim.release(session, "sizer", [r.id for r in rows], now=app.now())
    return ready


def copies(samples: list[dispatch.Ready], count: int) -> list[dispatch.Ready]:
    """`count` copies of the samples, each with its own id and address (and log row to match)."""
    made, first = [], uuid.uuid4().int >> 64 << 64  # ids of their own, however often this runs
    for n in range(first, first + count):
        sample = samples[n % len(samples)]
        message = replace(sample.message, id=str(uuid.UUID(int=n, version=4)), to=f"floor{n}@example.com")
        made.append(replace(sample, message=message, log={**sample.log, "id": message.id, "outbox_id": None,
                                                          "to_address": message.to}))
    return made


def wire_only(port: int, samples: list[dispatch.Ready], count: int, connections: int) -> tuple[float, float]:
    """konsent's own SMTP client alone: `count` messages already rendered (copies of the samples) sent
    by `connections` senders through one `SmtpPool` in this process — no database, no decision, no
    rendering. Returns messages per second and CPU µs per message (MIME and quoted-printable included,
    as the worker builds them for each message)."""
    messages = [r.message for r in copies(samples, count)]
    pool = SmtpPool(sink_settings(port), size=connections)

    async def send_all() -> None:
        waiting = iter(messages)

        async def sender() -> None:
            for message in waiting:
                await pool.send(message)

        await asyncio.gather(*(sender() for _ in range(connections)))
        await pool.aclose()

    cpu, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    aio.run(send_all())
    seconds, after = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return count / seconds, used * 1e6 / count


def wire_and_log(app: Konsent, port: int, samples: list[dispatch.Ready], count: int,
                 connections: int) -> tuple[float, float, float, float]:
    """The least any sender that logs what it sent can do: konsent's SMTP client as in `wire_only`,
    and each message's log row (the worker's, whole) committed before its connection takes the next
    message, many rows a COPY, as the worker's recorder does. No claim, no outcome on an outbox row,
    no decision, no rendering. Returns messages per second, and CPU µs per message of this process,
    of PostgreSQL and of the whole machine (the sink and the kernel included)."""
    ready = copies(samples, count)
    pool = SmtpPool(sink_settings(port), size=connections)
    pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []

    def commit(rows: list[dict[str, Any]]) -> None:
        with app.db.unit_of_work() as session:
            log.write(session, rows, [])

    async def send_all() -> None:
        wakeup, finished = asyncio.Event(), False

        async def recorder() -> None:
            while True:
                await wakeup.wait()
                wakeup.clear()
                taken = pending[:]
                del pending[:]
                if not taken:
                    if finished:
                        return
                    continue
                await asyncio.to_thread(commit, [row for row, _ in taken])
                for _, done in taken:
                    done.set_result(None)
                wakeup.set()

        waiting = iter(ready)

        async def sender() -> None:
            for item in waiting:
                answer = await pool.send(item.message)
                outcome = dispatch.settle(item, answer, at=app.now(), policy=app.settings.dispatch)
                done = asyncio.get_running_loop().create_future()
                pending.append((dispatch.message_row(outcome), done))
                wakeup.set()
                await done

        async def senders() -> None:
            nonlocal finished
            await asyncio.gather(*(sender() for _ in range(connections)))
            finished = True
            wakeup.set()

        async with asyncio.TaskGroup() as group:  # a failed write ends the run instead of leaving senders waiting
            group.create_task(recorder())
            group.create_task(senders())
        await pool.aclose()

    cpu, busy, began = resource.getrusage(resource.RUSAGE_SELF), busy_cpu(), time.perf_counter()
    with CpuWatch("postgres") as postgres:
        aio.run(send_all())
    seconds, after, busy = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF), busy_cpu() - busy
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return count / seconds, used * 1e6 / count, postgres.seconds * 1e6 / count, busy * 1e6 / count


# --- konsent's run --------------------------------------------------------------------------

def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (every process, and the kernel's networking)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_by_process(name: str) -> dict[str, float]:
    found: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, _, rest = text.partition(" (")[2].partition(") ")
        if command == name:
            fields = rest.split()
            found[stat.parent.name] = (int(fields[11]) + int(fields[12])) / tick
    return found


def cpu_of(name: str) -> float:
    """CPU seconds used so far by every process with this command name that is still running."""
    return sum(_cpu_by_process(name).values())


class CpuWatch:
    """CPU seconds of every process named `name` over a stretch of time, counting those that end in
    it too (a worker's PostgreSQL backends exit with the worker): sampled ten times a second."""

    def __init__(self, name: str) -> None:
        self.name, self.first = name, _cpu_by_process(name)
        self.last: dict[str, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "CpuWatch":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
        self.last.update(_cpu_by_process(self.name))

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            self.last.update(_cpu_by_process(self.name))

    @property
    def seconds(self) -> float:
        return sum(used - self.first.get(pid, 0.0) for pid, used in self.last.items())


def konsent_run(url: str, organisation_id: str, port: int, workers: int, concurrency: int,
                batch: int) -> tuple[float, list[dict[str, Any]], float]:
    env = {**os.environ, "KONSENT__DATABASE__URL": url, "KONSENT__SMTP__HOST": "127.0.0.1",
           "KONSENT__SMTP__PORT": str(port), "KONSENT__SMTP__SECURITY": "none",
           "KONSENT__SMTP__SENDER": SENDER,
           "KONSENT__SERVER__PUBLIC_URL": "https://konsent.salon.example", "KONSENT__DATA_DIR": "/tmp/konsent-bench"}
    command = [sys.executable, "-m", "konsent", "worker", "--once", "--json", "--org", organisation_id,
               "--concurrency", str(concurrency), "--batch", str(batch)]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(workers)]
    summaries = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed: {err.strip()[-2000:]}")
        summaries.append(json.loads(out))
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, summaries, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def proof(app: Konsent, organisation_id: str, count: int) -> str:
    """Every row sent once, every message logged with its decision, rule pack and template version."""
    with app.db.unit_of_work() as session:
        by_status = dict(session.execute(select(t.OutboxItem.status, func.count()).where(
            t.OutboxItem.organisation_id == organisation_id).group_by(t.OutboxItem.status)).all())
        logged = session.scalar(select(func.count()).select_from(t.Message).where(
            t.Message.organisation_id == organisation_id, t.Message.status == "sent",
            t.Message.template_id.is_not(None), t.Message.decision["rule_pack"].as_string().is_not(None),
            t.Message.to_address.is_not(None)))
        addresses = session.scalar(select(func.count(func.distinct(t.Message.to_address))).where(
            t.Message.organisation_id == organisation_id))
    whole = by_status == {"sent": count} and logged == count and addresses == count
    return (f"{'ok' if whole else 'INCOMPLETE'}: outbox {by_status}, {logged:,} messages logged with decision, "
            f"rule pack and template version, to {addresses:,} distinct addresses")


def on_cpu(pid: int) -> float:
    """Seconds a process has run on a CPU, to the nanosecond (the scheduler's own count)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


class BackendSteps:
    """PostgreSQL's CPU by the worker's step that caused it: the backend of each pooled connection is
    read when a step takes the connection and again when it gives it back. Whatever PostgreSQL does
    outside those stretches (the WAL writer, the checkpointer, autovacuum) is what is left over."""

    def __init__(self, engine: Any) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.current = threading.local()
        event.listen(engine, "checkout", self._taken)
        event.listen(engine, "checkin", self._given_back)

    def _taken(self, connection: Any, record: Any, _proxy: Any) -> None:
        pid = connection.info.backend_pid
        record.info["cpu_at_checkout"] = (pid, on_cpu(pid))

    def _given_back(self, connection: Any, record: Any) -> None:
        taken = record.info.pop("cpu_at_checkout", None)
        if connection is not None and taken is not None:
            pid, before = taken
            self.seconds[getattr(self.current, "step", "other")] += on_cpu(pid) - before

    def worker(self, *args: Any, **kwargs: Any) -> Worker:
        steps = self

        class Labelled(Worker):
            def _claim(self) -> list[claim.Claimed]:
                steps.current.step = "claim"
                return super()._claim()

            def _snapshot(self, rows: list[claim.Claimed]) -> snapshot.Snapshot:
                steps.current.step = "snapshot"
                return super()._snapshot(rows)

            def _record(self, outcomes: list[dispatch.Outcome]) -> list[dispatch.Outcome]:
                steps.current.step = "record"
                return super()._record(outcomes)

            def _renew(self, ids: list[str]) -> None:
                steps.current.step = "other"
                super()._renew(ids)

            def _release(self, ids: list[str]) -> None:
                steps.current.step = "other"
                super()._release(ids)

        return Labelled(*args, **kwargs)


def profile(app: Konsent, organisation_id: str, port: int, concurrency: int, batch: int) -> int:
    """One worker in this process: CPU per message by step, in the worker and in PostgreSQL, then
    cProfile of the event loop (database steps run in threads, which cProfile does not see; their
    CPU is in the first table)."""
    app.settings.smtp = sink_settings(port)
    backends = BackendSteps(app.db.engine)
    half = backends.worker(app, {"email": SmtpPool(app.settings.smtp, size=concurrency)}, concurrency=concurrency,
                           batch=batch, organisations=[organisation_id])
    own, sinking, began = resource.getrusage(resource.RUSAGE_SELF), cpu_of("smtp-sink"), time.perf_counter()
    with CpuWatch("postgres") as postgres:
        stats = aio.run(half.run(once=True))
    after = resource.getrusage(resource.RUSAGE_SELF)
    seconds = time.perf_counter() - began
    total = (after.ru_utime - own.ru_utime) + (after.ru_stime - own.ru_stime)
    per = 1e6 / max(stats.sent, 1)
    print(f"\none worker in this process: {stats.sent:,} sent in {seconds:.1f} s ({stats.sent / seconds:,.0f}/s); "
          "CPU per message:")
    print(f"  {'':<28} {'worker':>7} {'PostgreSQL':>11}")
    for step, cpu in stats.cpu.items():
        print(f"  {step:<28} {cpu * per:5.0f} µs {backends.seconds.get(step, 0.0) * per:8.0f} µs")
    rest = total - sum(stats.cpu.values())
    print(f"  {'SMTP client and event loop':<28} {rest * per:5.0f} µs")
    print(f"  {'lease renewals, give-backs':<28} {'':>8} {backends.seconds.get('other', 0.0) * per:8.0f} µs")
    background = postgres.seconds - sum(backends.seconds.values())
    print(f"  {'PostgreSQL beside the steps':<28} {'':>8} {background * per:8.0f} µs  (the WAL writer, the "
          "checkpointer, autovacuum)")
    print(f"  {'= in all':<28} {total * per:5.0f} µs {postgres.seconds * per:8.0f} µs")
    print(f"  {'smtp-sink':<28} {(cpu_of('smtp-sink') - sinking) * per:5.0f} µs")
    return stats.sent


def cprofile(app: Konsent, organisation_id: str, port: int, concurrency: int, batch: int) -> None:

    worker = Worker(app, {"email": SmtpPool(app.settings.smtp, size=concurrency)}, concurrency=concurrency,
                    batch=batch, organisations=[organisation_id])
    profiler = cProfile.Profile()
    profiler.enable()
    stats = aio.run(worker.run(once=True))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(f"\ncProfile of the event loop ({stats.sent:,} sent, slowed by the profiler), by own time:")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def for_scale(app: Konsent, port: int, samples: list[dispatch.Ready], count: int, connections: int,
              limit: float) -> None:
    floor, client = wire_only(port, samples, count, connections)
    print(f"\nfor scale, konsent's SMTP client alone (messages already rendered, no database, one process, "
          f"{connections} connections): {floor:,.0f} msg/s = {floor / limit:.2f} × smtp-source, "
          f"{client:.0f} µs CPU per message in the client")
    logged, own, postgres, machine = wire_and_log(app, port, samples, count, connections)
    print(f"the same client, each message's log row committed before the connection's next message (no claim, "
          f"no outcome, no decision, no rendering): {logged:,.0f} msg/s = {logged / limit:.2f} × smtp-source; "
          f"CPU per message: this process {own:.0f} µs, PostgreSQL {postgres:.0f} µs, the whole machine "
          f"{machine:.0f} µs")
    budget = (os.cpu_count() or 1) * 1e6 / (limit / 2)
    print(f"at 0.5 × smtp-source the machine has {budget:.0f} µs of CPU per message for everything: the sink, "
          f"the kernel, PostgreSQL and the workers; sending and logging alone took {machine:.0f} µs "
          f"({machine / budget:.1f} × that)")


def server_facts(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as connection:
        def show(name: str) -> str:
            row = connection.execute(f"SHOW {name}").fetchone()
            return str(row[0]) if row else "?"

        return (f"PostgreSQL {show('server_version')}, synchronous_commit={show('synchronous_commit')}, "
                f"fsync={show('fsync')}, shared_buffers={show('shared_buffers')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=128, help="SMTP connections per worker (smtp-sink "
                        "takes about 500 at once here: 2 × 256 failed to connect)")
    parser.add_argument("--batch", type=int, default=500, help="outbox rows claimed at a time")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, profile one in-process worker sending N more messages")
    args = parser.parse_args()
    ensure_postfix()
    rng = random.Random(4)
    print(f"{os.cpu_count()} CPUs; {args.workers} worker process(es) × {args.concurrency} connections, "
          f"batches of {args.batch}")
    with fresh_database(ADMIN) as url, sink() as (port, counter):
        db = Database(url)
        migrate.upgrade(db.engine)
        app = Konsent(settings=Settings(database=DatabaseSettings(url=url)), db=db, clock=lambda: datetime.now(UTC))
        print(server_facts(url))
        organisation_id = organisation(app)
        prepared(app, url, organisation_id, args.recipients, rng)
        samples = sample_messages(app, organisation_id)
        size = sum(len(wire(r.message)) for r in samples) // max(1, len(samples))
        sessions = args.workers * args.concurrency
        print(f"messages are {size:,} bytes on the wire on average")

        # The limit is smtp-source at its best: over konsent's number of connections, and over fewer
        # (here it was faster over 128 than over 256), before and after konsent's run.
        tried = sorted({sessions, 64, 128} - {s for s in (64, 128) if s > sessions})
        before = {n: smtp_source(port, args.recipients, n, size) for n in tried}
        counted, busy, sinking = sink_count(counter), busy_cpu(), cpu_of("smtp-sink")
        with CpuWatch("postgres") as postgres:
            seconds, summaries, cpu = konsent_run(url, organisation_id, port, args.workers, args.concurrency,
                                                  args.batch)
        delivered = sink_count(counter) - counted
        busy, sinking = busy_cpu() - busy, cpu_of("smtp-sink") - sinking
        after = {n: smtp_source(port, args.recipients, n, size) for n in tried}
        best = min(tried, key=lambda n: min(before[n], after[n]))
        limit = args.recipients / min(before[best], after[best])
        sent = sum(int(s["sent"]) for s in summaries)
        rate = sent / seconds
        runs = "; ".join(f"{n} connections {before[n]:.1f} s and {after[n]:.1f} s" for n in tried)
        print(f"\nsmtp-source: {args.recipients:,} messages of {size:,} bytes: {runs} → {limit:,.0f} msg/s "
              f"(the best run, over {best} connections)")
        print(f"konsent:     {sent:,} sent by {args.workers} worker(s) in {seconds:.1f} s → {rate:,.0f} msg/s "
              f"(workers' own figures: {', '.join(str(s['sent_per_second']) for s in summaries)} msg/s; "
              f"{cpu:.0f} s CPU in the workers)")
        print(f"             the sink counted {delivered:,} messages")
        per = 1e6 / max(sent, 1)
        print(f"             CPU per message: workers {cpu * per:.0f} µs (start-up included), PostgreSQL "
              f"{postgres.seconds * per:.0f} µs, smtp-sink {sinking * per:.0f} µs, everything else (the kernel's "
              f"networking, other load) {(busy - cpu - sinking - postgres.seconds) * per:.0f} µs; "
              f"{os.cpu_count()} CPUs × {seconds:.1f} s = {(os.cpu_count() or 1) * seconds * per:.0f} µs per message")
        print(f"             {proof(app, organisation_id, args.recipients)}")
        print(f"\nkonsent / smtp-source = {rate / limit:.2f}  (target ≥ 0.5)")
        for_scale(app, port, samples, min(args.recipients, 50_000), args.concurrency, limit)
        if args.profile:
            other = organisation(app)
            prepared(app, url, other, args.profile, rng)
            profile(app, other, port, args.concurrency, args.batch)
            again = organisation(app)
            prepared(app, url, again, args.profile // 2, rng)
            cprofile(app, again, port, args.concurrency, args.batch)
        db.dispose()


if __name__ == "__main__":
    main()
