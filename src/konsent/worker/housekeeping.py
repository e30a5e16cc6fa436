"""The worker's chores beside the outbox, every few seconds: deliver due webhooks, schedule the
automations that run on time (birthdays, win-back), record expired double opt-ins, and move the
audience projection past changes that came due.

Each step is on its own: one that fails is logged (its kind of error, never a value — values are
customers' data) and the others still run, now and on the next round. Every step is safe with
any number of workers doing the same at the same moment: webhooks are claimed with leases, DOI
expiries lock their rows, automations queue each message under a dedupe key (the outbox's unique
key makes a second scheduler's insert a no-op), the projection takes the ledger head's lock.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from konsent.services import audience, automations, campaigns, doi, webhook_delivery
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else

log = logging.getLogger("konsent.worker.housekeeping")
WEBHOOK_ROUNDS = 10  # batches per round at most: a backlog must not hold up the other chores
DEFAULT_AT = time(9, 0)  # nobody gets a win-back at midnight


@dataclass
class Housekeeping:
    app: Konsent
    owner: str
    every: float = 30.0  # seconds between rounds
    organisations: Sequence[str] | None = None  # only these (tests; a worker of a large tenant's own)
    rounds: int = field(default=0, init=False)

    async def run(self, stop: asyncio.Event) -> None:
        """A round now and then every `every` seconds, until `stop` is set."""
        while not stop.is_set():
            await self.round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every)

    async def round(self) -> dict[str, int | None]:
        """Every step once; what each did (None: it failed, and was logged)."""
        steps: dict[str, Callable[[], Awaitable[int]]] = {
            "doi_expiry": lambda: asyncio.to_thread(doi.expire_overdue, self.app),
            "automations": lambda: asyncio.to_thread(run_automations, self.app, self.organisations),
            "audience": lambda: asyncio.to_thread(refresh_audiences, self.app, self.organisations),
            "campaigns": lambda: asyncio.to_thread(campaigns.settle_progress, self.app),
            "webhooks": self.deliver_webhooks,  # last: it announces what the others recorded
        }
        done: dict[str, int | None] = {}
        for name, step in steps.items():
            try:
                done[name] = await step()
            except Exception as exc:  # one chore failing must not stop the others, nor the worker
                log.warning("housekeeping: %s failed (%s)", name, type(exc).__name__)
                done[name] = None
        self.rounds += 1
        return done

    async def deliver_webhooks(self) -> int:
        delivered = webhook_delivery.Delivered()
        async with webhook_delivery.client() as http:
            for _ in range(WEBHOOK_ROUNDS):
                batch = await webhook_delivery.deliver_due(self.app, owner=self.owner, http=http,
                                                           organisations=self.organisations)
                delivered.add(batch)
                if batch.claimed < webhook_delivery.BATCH:
                    break
        return delivered.claimed


# --- automations on time: at most once per organisation and local day ---------------------------

def run_automations(app: Konsent, organisations: Sequence[str] | None = None) -> int:
    """Run the timed automations of each organisation whose day has come (its latest `at`, 09:00 by
    default) and which no worker has run today; returns how many organisations ran."""
    now = app.now()
    ran = 0
    for organisation_id, zone_name, ats in _timed(app, organisations):
        try:
            zone = ZoneInfo(zone_name)
        except (ValueError, KeyError):
            log.warning("housekeeping: organisation %s has an unknown time zone", organisation_id)
            continue
        local = now.astimezone(zone)
        if local.time() < max(ats):
            continue
        day_ends = _next_midnight(local)
        if _ran_today(app, organisation_id, day_ends):
            continue
        results = automations.run(app, organisation_key=organisation_id)
        for result in results:
            if result.error:  # the owner's setting, not customer data
                log.warning("housekeeping: automation %s of %s: %s", result.automation, organisation_id, result.error)
        if not any(result.error for result in results):
            _mark_ran(app, organisation_id, day_ends)  # a failed run is tried again on the next round
        ran += 1
    return ran


def _timed(app: Konsent, only: Sequence[str] | None) -> list[tuple[str, str, list[time]]]:
    query = select(t.Organisation.id, t.Organisation.timezone, t.Automation.settings).join(
        t.Automation, t.Automation.organisation_id == t.Organisation.id,
    ).where(t.Automation.enabled.is_(True), t.Automation.trigger.in_(automations.TIMED))
    if only is not None:
        query = query.where(t.Organisation.id.in_(only))
    found: dict[str, tuple[str, list[time]]] = {}
    with app.db.unit_of_work() as session:
        for organisation_id, zone, settings in session.execute(query.order_by(t.Organisation.id)):
            try:
                at = automations.local_time(settings["at"]) if "at" in (settings or {}) else DEFAULT_AT
            except ValueError:
                at = DEFAULT_AT
            found.setdefault(organisation_id, (zone, []))[1].append(at)
    return [(organisation_id, zone, ats) for organisation_id, (zone, ats) in found.items()]


def _next_midnight(local: datetime) -> int:
    tomorrow = (local + timedelta(days=1)).date()
    return int(datetime.combine(tomorrow, time(), tzinfo=local.tzinfo).astimezone(UTC).timestamp())


# The mark is a row in the shared `rate_counters` table, so that every worker on every machine sees
# it. Its window is the end of the local day, not the start: the table's pruning drops windows that
# lie in the past, and this mark must last until the day is over.
def _key(organisation_id: str) -> str:
    return f"automations:{organisation_id}"


def _ran_today(app: Konsent, organisation_id: str, day_ends: int) -> bool:
    with app.db.unit_of_work() as session:
        return session.get(t.RateCounter, (_key(organisation_id), day_ends)) is not None


def _mark_ran(app: Konsent, organisation_id: str, day_ends: int) -> None:
    with app.db.unit_of_work() as session:
        session.execute(insert_or_else(session, t.RateCounter)
                        .values(key=_key(organisation_id), window=day_ends, hits=1)
                        .on_conflict_do_nothing(index_elements=["key", "window"]))


# --- the audience projection -------------------------------------------------------------------

def refresh_audiences(app: Konsent, organisations: Sequence[str] | None = None) -> int:
    """Project the customers appends marked stale, and re-anchor the rows whose next change has passed,
    per organisation that has a projection."""
    query = select(t.AudienceBuild.organisation_id).order_by(t.AudienceBuild.organisation_id)
    if organisations is not None:
        query = query.where(t.AudienceBuild.organisation_id.in_(organisations))
    with app.db.unit_of_work() as session:
        built = list(session.scalars(query))
    refreshed = 0
    for organisation_id in built:
        try:
            refreshed += audience.catch_up(app, organisation_id)  # what appends marked stale
            with app.db.unit_of_work() as session:
                refreshed += audience.refresh_due(session, organisation_id, now=app.now())
        except Exception as exc:  # one organisation's failure must not keep the others' previews stale
            log.warning("housekeeping: audience of %s failed (%s)", organisation_id, type(exc).__name__)
    return refreshed
