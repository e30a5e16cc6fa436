"""`konsent worker`: deliver the outbox — until stopped, or with --once until nothing is due — and
keep house beside it (webhooks, automations on time, DOI expiry, the audience projection)."""

import asyncio
import logging
import signal
import sys
import time
from typing import Annotated

import typer

from konsent import aio
from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.services.context import Konsent
from konsent.worker import runner
from konsent.worker.housekeeping import Housekeeping
from konsent.worker.loop import Stats, owner_name


class ProgressLine:
    """One line on stderr, rewritten at most a few times a second: a bar when the total is known."""

    def __init__(self, total: int | None, *, every: float = 0.25) -> None:
        self.total = total
        self.every = every
        self.shown = 0.0
        self.live = sys.stderr.isatty()

    def __call__(self, stats: Stats, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.shown < self.every:
            return
        self.shown = now
        line = self.text(stats)
        if self.live:
            sys.stderr.write("\r\x1b[2K" + line + ("\n" if final else ""))
        elif final:
            sys.stderr.write(line + "\n")  # a log file gets the summary, not a stream of carriage returns
        sys.stderr.flush()

    def text(self, stats: Stats) -> str:
        done = stats.done
        rate = f"{stats.per_second(stats.sent):,.0f}/s sent, {stats.per_second(done):,.0f}/s done"
        counts = (f"sent {stats.sent:,} · withheld {stats.withheld:,} · failed {stats.failed:,}"
                  f" · retry later {stats.retrying:,}")
        if stats.taken_over:
            counts += f" · taken over {stats.taken_over:,}"
        if self.total:
            filled = min(20, round(20 * done / self.total))
            return f"[{'#' * filled}{'.' * (20 - filled)}] {done:,}/{self.total:,}  {counts}  ({rate})"
        return f"{counts}  ({rate})"


def _summary(stats: Stats) -> dict[str, object]:
    seconds = time.monotonic() - stats.started
    return {"claimed": stats.claimed, "sent": stats.sent, "withheld": stats.withheld, "failed": stats.failed,
            "awaiting_retry": stats.retrying, "taken_over": stats.taken_over, "seconds": round(seconds, 3),
            "sent_per_second": round(stats.per_second(stats.sent), 1)}


async def _work(app: Konsent, once: bool, batch: int | None, concurrency: int | None,
                only: list[str] | None, progress: ProgressLine, chores: Housekeeping | None) -> Stats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)  # finish what is in flight, give the rest back
    return await runner.run(app, once=once, batch=batch, concurrency=concurrency, organisations=only,
                            progress=progress, stop=stop, housekeeping=chores)


@friendly
def worker(
    once: Annotated[bool, typer.Option("--once", help="Stop when nothing is due instead of waiting for more.")] = False,
    batch: Annotated[int | None, typer.Option(min=1, max=10_000, help="Outbox rows claimed at a time.")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, max=1_000, help="Messages in flight at once.")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", help="Only this organisation's messages; repeatable.")]
    = None,
    housekeeping: Annotated[bool | None, typer.Option(
        "--housekeeping/--no-housekeeping",
        help="Also deliver webhooks, run birthday and win-back automations, expire DOI requests and keep the "
             "audience projection current. Default: on, unless --org is given.")] = None,
    every: Annotated[float, typer.Option("--housekeeping-every", min=1, help="Seconds between housekeeping rounds.")]
    = 30.0,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Send what the outbox holds: decide each message again, send it, record what happened."""
    logging.basicConfig(level=logging.WARNING, format="konsent: %(message)s")
    app = app_from_env()
    only = runner.organisation_ids(app, org) if org else None
    progress = ProgressLine(runner.due_now(app, only) if once else None)
    chores = Housekeeping(app, owner_name(), every=every, organisations=only) if (
        housekeeping if housekeeping is not None else not org) else None
    aio.settle()
    stats = aio.run(_work(app, once, batch, concurrency, only, progress, chores))
    progress(stats, final=True)
    emit(_summary(stats), as_json, lambda s: (
        f"sent {s['sent']:,}, withheld {s['withheld']:,}, failed {s['failed']:,}, "
        f"awaiting retry {s['awaiting_retry']:,} in {s['seconds']:.1f} s ({s['sent_per_second']:,.0f} sent/s)"))


def register(root: typer.Typer) -> None:
    root.command("worker")(worker)
