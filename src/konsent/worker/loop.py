"""The worker: claim due rows, decide and render them, send them over many connections, record.

    claim (one transaction per batch) ──> snapshot + decide + render, a chunk at a time
        ──> queue ──> N senders, each: rate limit, transport, wait for its outcome to be committed
        ──> recorder: the outcomes that arrived meanwhile, in one transaction (group commit)

A sender starts its next message only once the previous one's outcome is committed: a worker
killed at any moment leaves at most one delivered-but-unrecorded message per connection, and
those are what another worker may send again after taking the rows over. The queue is short, so
a decision is at most a chunk or two old when its message leaves. Database work runs in threads;
the event loop keeps the connections busy meanwhile.
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from konsent.config import DispatchSettings
from konsent.errors import KonsentError
from konsent.services import dispatch, outbox
from konsent.services.context import Konsent
from konsent.transports import Transport, TransportError
from konsent.worker import claim, snapshot
from konsent.worker.claim import Claimed
from konsent.worker.ratelimit import Limit

log = logging.getLogger("konsent.worker")


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    claimed: int = 0
    sent: int = 0
    withheld: int = 0
    failed: int = 0
    retrying: int = 0
    taken_over: int = 0  # outcomes not written: the lease ran out and another worker has the row
    # CPU seconds of this process per step (thread CPU for database steps): where a worker's time goes.
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("claim", "snapshot", "decide_render", "record"), 0.0))

    @property
    def done(self) -> int:
        return self.sent + self.withheld + self.failed + self.retrying

    def per_second(self, count: int) -> float:
        return count / max(time.monotonic() - self.started, 1e-9)

    def count(self, status: str) -> None:
        name = {outbox.SENT: "sent", outbox.WITHHELD: "withheld", outbox.FAILED: "failed",
                outbox.AWAITING_RETRY: "retrying"}[status]
        setattr(self, name, getattr(self, name) + 1)


def owner_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    flush_retries = 5  # a database that fails this often in a row stops the worker
    flush_pause = 0.2  # seconds before the first retry; doubling

    def __init__(
        self, app: Konsent, transports: Mapping[str, Transport], *, batch: int | None = None,
        concurrency: int | None = None, limits: Mapping[str, Limit] | None = None,
        progress: Callable[[Stats], None] | None = None, rng: random.Random | None = None,
        owner: str | None = None, organisations: Sequence[str] | None = None,
    ) -> None:
        self.app = app
        self.policy: DispatchSettings = app.settings.dispatch
        self.transports = transports
        self.batch = batch or self.policy.batch
        self.concurrency = concurrency or self.policy.concurrency
        # Read, decided and rendered together; at most a chunk waits ready, so decisions stay fresh.
        self.chunk = min(self.batch, max(200, 2 * self.concurrency))
        self.limits = dict(limits or {})
        self.progress = progress
        self.rng = rng or random.Random()
        self.owner = owner or owner_name()
        self.organisations = list(organisations) if organisations is not None else None
        self.stats = Stats()
        self.holding: set[str] = set()  # claimed rows not yet recorded or released
        self._pending: list[tuple[dispatch.Outcome, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._closing = False

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> Stats:
        """Work until stopped — or, with `once`, until nothing is due."""
        stop = stop or asyncio.Event()
        queue: asyncio.Queue[dispatch.Ready | None] = asyncio.Queue(maxsize=self.chunk)
        recorder = asyncio.create_task(self._record_continuously())
        renewer = asyncio.create_task(self._renew_leases())
        try:
            # If any of them fails (the database, say), the group cancels the others.
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(self._send(queue, stop))
                group.create_task(self._feed(queue, once=once, stop=stop))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        finally:
            await self._close(recorder, renewer, queue)
        return self.stats

    async def _feed(self, queue: "asyncio.Queue[dispatch.Ready | None]", *, once: bool, stop: asyncio.Event) -> None:
        await self._produce(queue, once=once, stop=stop)
        for _ in range(self.concurrency):
            await queue.put(None)  # one for each sender: done

    async def _produce(self, queue: "asyncio.Queue[dispatch.Ready | None]", *, once: bool,
                       stop: asyncio.Event) -> None:
        while not stop.is_set():
            rows = await asyncio.to_thread(self._claim)
            self.holding.update(r.id for r in rows)
            self.stats.claimed += len(rows)
            if not rows:
                if once:
                    return
                await _wait(stop, self.policy.idle_seconds)
                continue
            for start in range(0, len(rows), self.chunk):
                if stop.is_set():
                    await self._give_back([r.id for r in rows[start:]])
                    return
                await self._prepare(rows[start:start + self.chunk], queue)

    async def _prepare(self, rows: list[Claimed], queue: "asyncio.Queue[dispatch.Ready | None]") -> None:
        # Read just before use, so the decision is as fresh as the queue is short.
        seen = await asyncio.to_thread(self._snapshot, rows)
        for number, row in enumerate(rows, 1):
            began = time.thread_time()
            try:
                result = dispatch.prepare(seen, row, settings=self.app.settings)
            except Exception as exc:  # a bug must not stop the outbox: this row fails, the rest goes on
                log.error("preparing outbox row %s failed (%s)", row.id, type(exc).__name__)
                result = dispatch.broken(row, seen.at, exc)
            self.stats.cpu["decide_render"] += time.thread_time() - began
            if isinstance(result, dispatch.Outcome):
                self._add(result, wait=False)
            else:
                await queue.put(result)
            if number % 16 == 0:
                await asyncio.sleep(0)  # let replies in while a long chunk renders

    async def _send(self, queue: "asyncio.Queue[dispatch.Ready | None]", stop: asyncio.Event) -> None:
        while (ready := await queue.get()) is not None:
            if stop.is_set():
                await self._give_back([ready.row.id])
                continue
            limit = self.limits.get(ready.row.channel)
            if limit is not None:
                await limit.acquire()
            answer = await self._deliver(ready)
            outcome = dispatch.settle(ready, answer, at=self.app.now(), policy=self.policy, rng=self.rng)
            await self._add(outcome, wait=True)

    async def _deliver(self, ready: dispatch.Ready) -> str | TransportError:
        transport = self.transports.get(ready.row.channel)
        if transport is None:
            return TransportError(f"{ready.row.channel}: no transport is configured", permanent=False)
        try:
            return await transport.send(ready.message)
        except TransportError as exc:
            return exc
        except KonsentError as exc:  # the transport refused the message itself (say, not an E.164 number)
            return TransportError(f"{ready.row.channel}: {exc}", permanent=True)
        except Exception as exc:  # unforeseen: tried again later, up to the last attempt
            log.error("sending outbox row %s failed (%s)", ready.row.id, type(exc).__name__)
            return TransportError(f"{ready.row.channel}: internal error ({type(exc).__name__})", permanent=False)

    def _add(self, outcome: dispatch.Outcome, *, wait: bool) -> "asyncio.Future[None]":
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        self._wakeup.set()
        if not wait:
            done.add_done_callback(_quiet)
        return done

    async def _record_continuously(self) -> None:
        """Group commit: whatever outcomes arrived during one write go into the next."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            taken, self._pending = self._pending, []
            if not taken:
                if self._closing:
                    return
                continue
            try:
                written = await self._write([o for o, _ in taken])
            except Exception as exc:
                for _, done in taken:
                    if not done.done():
                        done.set_exception(exc)
                raise
            for outcome in written:
                self.stats.count(outcome.status)
            self.stats.taken_over += len(taken) - len(written)
            self.holding.difference_update(o.row.id for o, _ in taken)
            for _, done in taken:
                if not done.done():
                    done.set_result(None)
            if self.progress is not None:
                self.progress(self.stats)
            self._wakeup.set()  # look again: more may have come in while writing

    async def _write(self, outcomes: list[dispatch.Outcome]) -> list[dispatch.Outcome]:
        for attempt in range(1, self.flush_retries + 1):
            try:
                return await asyncio.to_thread(self._record, outcomes)
            except Exception as exc:
                if attempt == self.flush_retries:
                    raise
                # The type only: a database error's text may carry a statement, never its values.
                log.warning("recording %d outcomes failed (%s, attempt %d); trying again", len(outcomes),
                            type(exc).__name__, attempt)
                await asyncio.sleep(self.flush_pause * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _renew_leases(self) -> None:
        every = self.policy.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            if self.holding:
                await asyncio.to_thread(self._renew, sorted(self.holding))

    async def _close(self, recorder: asyncio.Task[None], renewer: asyncio.Task[None],
                     queue: "asyncio.Queue[dispatch.Ready | None]") -> None:
        renewer.cancel()
        self._closing = True
        self._wakeup.set()
        failure: BaseException | None = None
        try:
            await recorder
        except Exception as exc:
            failure = exc
        leftovers = sorted(self.holding | {item.row.id for item in _drain(queue)})
        if leftovers and failure is None:
            await self._give_back(leftovers)
        for transport in self.transports.values():
            closing = getattr(transport, "aclose", None)
            if closing is not None:
                await closing()
        if failure is not None:
            raise failure  # the database failed: the rows stay leased and come back after the lease

    async def _give_back(self, ids: list[str]) -> None:
        await asyncio.to_thread(self._release, ids)
        self.holding.difference_update(ids)

    # --- database work, run in threads -------------------------------------------------------

    def _claim(self) -> list[Claimed]:
        now, began = self.app.now(), time.thread_time()
        with self.app.db.unit_of_work() as session:
            claimed = claim.claim(session, self.owner, now=now, lease=timedelta(seconds=self.policy.lease_seconds),
                                  limit=self.batch, organisations=self.organisations)
        self.stats.cpu["claim"] += time.thread_time() - began
        return claimed

    def _snapshot(self, rows: list[Claimed]) -> snapshot.Snapshot:
        began = time.thread_time()
        with self.app.db.unit_of_work() as session:
            seen = snapshot.load(session, rows, at=self.app.now())
        self.stats.cpu["snapshot"] += time.thread_time() - began
        return seen

    def _record(self, outcomes: list[dispatch.Outcome]) -> list[dispatch.Outcome]:
        began = time.thread_time()
        with self.app.db.unit_of_work() as session:
            written = dispatch.record(session, self.owner, outcomes, now=self.app.now())
        self.stats.cpu["record"] += time.thread_time() - began
        return written

    def _renew(self, ids: list[str]) -> None:
        until = self.app.now() + timedelta(seconds=self.policy.lease_seconds)
        with self.app.db.unit_of_work() as session:
            claim.renew(session, self.owner, ids, until=until)

    def _release(self, ids: list[str]) -> None:
        with self.app.db.unit_of_work() as session:
            claim.release(session, self.owner, ids, now=self.app.now())


def _drain(queue: "asyncio.Queue[dispatch.Ready | None]") -> list[dispatch.Ready]:
    items = []
    while not queue.empty():
        item = queue.get_nowait()
        if item is not None:
            items.append(item)
    return items


def _quiet(done: "asyncio.Future[None]") -> None:
    if not done.cancelled():
        done.exception()  # retrieved: a withheld row's failed write is reported by the recorder


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
