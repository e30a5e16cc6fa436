"""How fast is the audience preview of a campaign to a million customers, against a bare count?

Fills a fresh PostgreSQL database with one organisation of N customers (default 1,000,000) as a
salon chain would have them after a few years: contact points (some bounced), purchases and
bookings, consents by form, booking, paper and import (most confirmed by double opt-in), second
consents, withdrawals, objections, transactional opt-outs — a hash-chained ledger built by the same
code `ledger.append` uses, and the audience projection computed by the same code `refresh` uses,
all bulk-loaded with COPY. Then, in the same run and after VACUUM ANALYZE:

  floor    SELECT count(*) FROM customers WHERE organisation_id = … (through the same engine)
  preview  campaigns.preview(): a product ad for hair care by email, with its full breakdown —
           included by basis, warnings, every reason with its count, examples and sentence —
           first as the first preview in a process (no part numbered, no key decided yet: what
           `konsent campaign preview` costs), then again in the same process (a server)

each timed `--runs` times, interleaved (median, best and first), their ratios, the query plans
(EXPLAIN ANALYZE), and a spot check: `--check` random customers decided alone through
`facts.decide_for` must agree with the decision the preview counted them under. Also printed: the
same preview by email and SMS, and with a segment (tags and last visit: a join, not the counts).
`--profile` prints where a first preview spends its time.

Run: `.venv/bin/python bench/audience.py [--customers N] [--runs R]`. Creates and drops its own
database on postgresql://postgres@127.0.0.1:5432. Prints; never asserts.
"""

import argparse
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import psycopg
from sqlalchemy import func, select

from _postgres import fresh_database
from konsent.config import DatabaseSettings, Settings
from konsent.domain import Channel, Message, MessageKind, Purchase, RecipientType, Registers
from konsent.domain import audience as plan
from konsent.domain.ledger import Event, EventType, fold, state_to_dict
from konsent.services import audience, campaigns, facts, organisations
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft
from konsent.services.context import Konsent
from konsent.storage import ledger, migrate
from konsent.storage import tables as t
from konsent.storage.db import Database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CATEGORIES = ["haircut", "colour", "hair-care", "styling", "beard", "nails", "cosmetics", "voucher"]
POPULARITY = [40, 15, 12, 10, 6, 8, 5, 4]
SIMILAR = [["haircut", "hair-care", "styling"], ["nails", "cosmetics"], ["beard", "hair-care"]]
CHUNK = 20_000
HAIR_CARE = Message(Channel.EMAIL, MessageKind.PRODUCT_AD, advertised_categories=frozenset({"hair-care"}))


class Salon:
    """Customers as a salon chain has them after a few years."""

    def __init__(self, organisation_id: str, count: int, seed: int = 2026) -> None:
        self.org = organisation_id
        self.rng = random.Random(seed)
        self.count = count
        self.customers: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[Any, ...]] = []
        self.purchases: list[tuple[Any, ...]] = []
        self.drafts: list[ledger.Draft] = []
        self.histories: dict[str, plan.History] = {}
        self._purchases: dict[str, tuple[Purchase, ...]] = {}

    def days_ago(self, low: float, high: float) -> datetime:
        return NOW - timedelta(days=self.rng.uniform(low, high), seconds=self.rng.randrange(86_400))

    def fill(self) -> None:
        rng = self.rng
        for number in range(self.count):
            cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            jurisdiction = rng.choices([None, "AT", "CH", "DE"], [85, 8, 4, 3])[0]
            registers = {"ecg": True} if jurisdiction == "AT" and rng.random() < 0.2 else {}
            if rng.random() < 0.02:
                registers["robinson"] = True
            business = rng.random() < 0.06
            born = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.6 else None
            tags = rng.choices([[], ["stammkunde"], ["vip"], ["neu"]], [60, 25, 10, 5])[0]
            self.customers.append((
                cid, self.org, f"ext-{number}", "business" if business else "consumer", jurisdiction,
                rng.choices([None, "de", "en"], [70, 20, 10])[0], "Kundin", f"Nr. {number}", born,
                psycopg.types.json.Jsonb(registers), psycopg.types.json.Jsonb(tags), self.days_ago(0, 1500), None,
            ))
            reach: dict[Channel, str] = {}
            has_email, has_phone = rng.random() < 0.92, rng.random() < 0.6
            if has_email:
                bounced = self.days_ago(0, 300) if rng.random() < 0.015 else None
                self.contacts.append((str(uuid.uuid4()), self.org, cid, "email", f"kunde{number}@example.com",
                                      NOW, bounced))
                reach[Channel.EMAIL] = plan.ADDRESS_BOUNCED if bounced else plan.REACHABLE
            if has_phone:
                self.contacts.append((str(uuid.uuid4()), self.org, cid, "phone", f"+49151{number:08d}", NOW, None))
                reach[Channel.SMS] = plan.REACHABLE
            self._buy(cid, has_email, has_phone)
            last_visit = max((bought.at for bought in self._purchases[cid]), default=None)
            self.customers[-1] = (*self.customers[-1], last_visit)
            self._consent(cid, has_email, has_phone)
            self.histories[cid] = plan.History(
                purchases=self._purchases[cid],
                type=RecipientType.BUSINESS if business else RecipientType.CONSUMER, jurisdiction=jurisdiction,
                registers=Registers(**registers), reach=reach,
            )

    def _buy(self, cid: str, has_email: bool, has_phone: bool) -> None:
        rng = self.rng
        bought = []
        for _ in range(rng.choices([0, 1, 2, 3, 4, 6, 10], [30, 25, 15, 10, 8, 7, 5])[0]):
            at = NOW + timedelta(days=rng.uniform(0, 30)) if rng.random() < 0.015 else self.days_ago(0, 1100)
            categories = sorted(set(rng.choices(CATEGORIES, POPULARITY, k=rng.choices([1, 2], [80, 20])[0])))
            collected = [c for c, p, has in (("email", 0.65, has_email), ("sms", 0.25, has_phone))
                         if has and rng.random() < p]
            notice = rng.random() < 0.85
            self.purchases.append((str(uuid.uuid4()), self.org, cid, None, at, psycopg.types.json.Jsonb(categories),
                                   psycopg.types.json.Jsonb(collected), notice, NOW))
            bought.append(Purchase(at, frozenset(categories), frozenset(Channel(c) for c in collected), notice))
        self._purchases[cid] = tuple(bought)

    def _consent(self, cid: str, has_email: bool, has_phone: bool) -> None:
        rng = self.rng
        given: list[datetime] = []
        for channel, share, has in (("email", 0.42, has_email), ("sms", 0.15, has_phone)):
            for _ in range(2 if rng.random() < 0.05 else 1):
                if not has or rng.random() >= share:
                    continue
                at = self.days_ago(0, 1200)
                source = rng.choices(["online_form", "booking", "paper_form", "import", "api"], [55, 15, 15, 10, 5])[0]
                consent = ledger.Draft(EventType.CONSENT_GIVEN, cid, at, {
                    "channel": channel, "source": source,
                    "purpose": rng.choices(["advertising", "newsletter", "product_ad"], [80, 15, 5])[0],
                    "method": "pre_ticked" if rng.random() < 0.03 else "active",
                    "categories": ["hair-care"] if rng.random() < 0.05 else [], "text_version_id": None,
                    "text_sha256": None, "third_party": False,
                    "evidence": source == "paper_form" and rng.random() < 0.9,
                })
                self.drafts.append(consent)
                given.append(at)
                if source not in ("paper_form",) and rng.random() < 0.8:
                    confirmed = at + timedelta(minutes=rng.uniform(1, 2_880))
                    if confirmed <= NOW:
                        self.drafts.append(ledger.Draft(EventType.DOI_REQUESTED, cid, at, {"consent_id": consent.id}))
                        self.drafts.append(ledger.Draft(EventType.DOI_CONFIRMED, cid, confirmed,
                                                        {"consent_id": consent.id}))
                if rng.random() < 0.07:
                    self.drafts.append(ledger.Draft(EventType.CONSENT_WITHDRAWN, cid, at + (NOW - at) * rng.random(),
                                                    {"channel": channel, "purpose": "all", "via": "api"}))
        if rng.random() < 0.03:
            self.drafts.append(ledger.Draft(EventType.OBJECTION, cid, self.days_ago(0, 900), {
                "channel": rng.choice(["email", "all"]),
                "scope": "all" if rng.random() < 0.2 else "advertising", "via": "api"}))
        if rng.random() < 0.01:
            self.drafts.append(ledger.Draft(EventType.TRANSACTIONAL_OPT_OUT, cid, self.days_ago(0, 600),
                                            {"channel": "email"}))


def timed(label: str) -> Callable[[Callable[[], Any]], Any]:
    def run(work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        print(f"  {label}: {time.perf_counter() - start:.1f} s")
        return result
    return run


def copy(connection: psycopg.Connection[Any], table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copying:
        for row in rows:
            copying.write_row(row)


def load(app: Konsent, url: str, organisation_id: str, customers: int) -> None:
    print(f"filling {customers:,} customers …")
    salon = Salon(organisation_id, customers)
    timed("customers, contacts, purchases and events generated")(salon.fill)
    raw = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw) as connection:
        timed("customers, contact points, purchases copied")(lambda: (
            copy(connection, "customers", "id, organisation_id, external_id, type, jurisdiction, locale, first_name, "
                 "last_name, birthday, registers, tags, created_at, erased_at, last_visit_at", salon.customers),
            copy(connection, "contact_points", "id, organisation_id, customer_id, kind, value, created_at, bounced_at",
                 salon.contacts),
            copy(connection, "purchases", "id, organisation_id, customer_id, external_id, occurred_at, categories, "
                 "contact_collected, objection_notice_at_collection, created_at", salon.purchases),
        ))
        events = timed(f"{len(salon.drafts):,} ledger events chained and copied")(
            lambda: chain(connection, organisation_id, salon.drafts))
        timed("customer states copied")(lambda: copy(
            connection, "customer_states", "organisation_id, customer_id, state, last_seq",
            [(organisation_id, cid, psycopg.types.json.Jsonb(state_to_dict(fold(own))), own[-1].seq)
             for cid, own in events.items()]))
        connection.commit()
        timed("audience projection computed and copied")(
            lambda: project(app, connection, organisation_id, salon, events))
        connection.execute("INSERT INTO audience_builds (organisation_id, built_at) VALUES (%s, %s)",
                           (organisation_id, NOW))
    with psycopg.connect(raw, autocommit=True) as connection:
        timed("VACUUM ANALYZE")(lambda: connection.execute("VACUUM ANALYZE"))


def chain(
    connection: psycopg.Connection[Any], organisation_id: str, drafts: list[ledger.Draft],
) -> dict[str, list[Event]]:
    drafts.sort(key=lambda d: d.occurred_at)  # appended as they happened
    head = connection.execute("SELECT seq, hash FROM ledger_heads WHERE organisation_id = %s",
                              (organisation_id,)).fetchone()
    assert head is not None
    position: tuple[int, bytes] = (head[0], bytes(head[1]))
    events: dict[str, list[Event]] = {}
    for start in range(0, len(drafts), CHUNK):
        linked = ledger.link_drafts(organisation_id, position, drafts[start:start + CHUNK], now=NOW)
        copy(connection, "ledger_events", "id, organisation_id, seq, type, customer_id, occurred_at, recorded_at, "
             "body, previous, hash, evidence",
             [(r["id"], r["organisation_id"], r["seq"], r["type"], r["customer_id"], r["occurred_at"],
               r["recorded_at"], r["body"], r["previous"], r["hash"], None) for r in linked.rows])
        for event in linked.events:
            events.setdefault(event.customer, []).append(event)
        position = linked.head
    connection.execute("UPDATE ledger_heads SET seq = %s, hash = %s WHERE organisation_id = %s",
                       (position[0], position[1], organisation_id))
    return events


def project(app: Konsent, connection: psycopg.Connection[Any], organisation_id: str, salon: Salon,
            events: dict[str, list[Event]]) -> None:
    """The same slots and numbered parts `audience.refresh` writes, for everyone at once."""
    ids = list(salon.histories)
    with app.db.unit_of_work() as session:
        numbers = audience.Numbers(session, organisation_id, now=NOW)
        for start in range(0, len(ids), CHUNK):
            chunk = {cid: _with_events(salon.histories[cid], events.get(cid, ())) for cid in ids[start:start + CHUNK]}
            rows = audience.projected(chunk, now=NOW)
            numbers.add(view for _, _, known in rows for view in known.views)
            values = [numbers.row(cid, channel, known) for cid, channel, known in rows]
            copy(connection, "customer_signatures", ", ".join(values[0]), [tuple(v.values()) for v in values])
        parts = Counter(kind for kind, _ in numbers.known)
    connection.commit()  # the rows, before they are counted
    with app.db.unit_of_work() as session:
        audience.recount(session, organisation_id)
    print(f"  numbered parts: {dict(parts)}")


def _with_events(history: plan.History, events: Any) -> plan.History:
    return plan.History(events=tuple(events), purchases=history.purchases, type=history.type,
                        jurisdiction=history.jurisdiction, registers=history.registers, reach=history.reach)


def measure(work: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return times, result


def figures(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:7.1f} ms   best {min(times) * 1000:7.1f} ms   " \
           f"first {times[0] * 1000:7.1f} ms"


def explain(app: Konsent, statement: Any) -> None:
    with app.db.unit_of_work() as session:
        compiled = statement.compile(session.get_bind())
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {compiled.string}", compiled.params)
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--check", type=int, default=300, help="customers decided alone as a spot check")
    parser.add_argument("--admin-url", default=ADMIN)
    parser.add_argument("--profile", action="store_true", help="print where one preview spends its time")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database afterwards (its URL is printed) for --reuse and bench/ui.py")
    parser.add_argument("--reuse", metavar="URL", help="measure on a database an earlier --keep run left")
    options = parser.parse_args()

    with million(options) as (app, org):
        draft = CampaignDraft(name="Winterpflege", kind="product_ad", channels=["email"], template_key="winter",
                              advertised_categories=["hair-care"])
        by_email = campaigns.create(app, org, draft).id
        both = campaigns.create(app, org, CampaignDraft(**{**vars(draft), "channels": ["email", "sms"]})).id
        vips = campaigns.create(app, org, CampaignDraft(**{**vars(draft), "segment": Segment(
            tags=("vip", "stammkunde"), last_visit_before=NOW - timedelta(days=90))})).id
        result = compare(app, org, by_email, both, vips, options.runs)
        show(result)
        plans(app, org)
        if options.profile:
            profile(lambda: preview(app, org, both, cold=True))
        spot_check(app, org, options.check)


@contextmanager
def million(options: argparse.Namespace) -> Iterator[tuple[Konsent, str]]:
    """The benchmark organisation: built in a fresh database (dropped afterwards unless --keep),
    or the one an earlier --keep run left at --reuse."""
    with ExitStack() as stack:
        data = stack.enter_context(TemporaryDirectory())
        if options.reuse:
            url = options.reuse
        elif options.keep:
            url = kept_database(options.admin_url)
        else:
            url = stack.enter_context(fresh_database(options.admin_url))
        database = Database(url)
        stack.callback(database.dispose)
        migrate.upgrade(database.engine)
        app = Konsent(Settings(data_dir=Path(data), database=DatabaseSettings(url=url)), database, clock=lambda: NOW)
        with database.unit_of_work() as session:
            org = session.scalar(select(t.Organisation.id).where(t.Organisation.slug == "salon-kette"))
        if org is None:
            org = organisations.create(app, slug="salon-kette", name="Salon-Kette", jurisdiction="DE",
                                       similar_categories=SIMILAR, sender_name="Salon-Kette").id
            load(app, url, org, options.customers)
        if options.keep:
            print(f"\nthe database is kept: --reuse {url}")
        yield app, org


def kept_database(admin_url: str) -> str:
    name = f"konsent_bench_kept_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def floor(app: Konsent, org: str) -> int:
    with app.db.unit_of_work() as session:
        counted = select(func.count()).select_from(t.Customer).where(t.Customer.organisation_id == org)
        return session.scalar(counted) or 0


def preview(app: Konsent, org: str, campaign: str, *, cold: bool) -> plan.SendPlan:
    if cold:  # as the first preview after the process started: no part or key known yet
        audience._PARTS.clear()
        audience._LENSES.clear()
    return campaigns.preview(app, org, campaign)


def compare(app: Konsent, org: str, by_email: str, both: str, vips: str, runs: int) -> plan.SendPlan:
    print(f"\nmeasuring, {runs} runs each, interleaved")
    times: dict[str, list[float]] = {"floor": [], "cold": [], "warm": []}
    counted, result = 0, None
    for _ in range(runs):
        took, counted = measure(lambda: floor(app, org), 1)
        times["floor"] += took
        took, result = measure(lambda: preview(app, org, by_email, cold=True), 1)
        times["cold"] += took
        took, _ = measure(lambda: preview(app, org, by_email, cold=False), 1)
        times["warm"] += took
    assert result is not None
    both_times, _ = measure(lambda: preview(app, org, both, cold=False), runs)
    segment_times, segmented = measure(lambda: preview(app, org, vips, cold=False), runs)
    floor_median = statistics.median(times["floor"])
    print(f"\nfloor    SELECT count(*) of {counted:,} customers         {figures(times['floor'])}")
    print(f"preview  email, full breakdown, first in a process  {figures(times['cold'])}")
    print(f"preview  email, full breakdown, again               {figures(times['warm'])}")
    print(f"ratio    preview / floor (medians): {statistics.median(times['cold']) / floor_median:.2f} first, "
          f"{statistics.median(times['warm']) / floor_median:.2f} again   (target ≤ 3, and ≤ 1 s)")
    print(f"also     email + SMS, again                         {figures(both_times)}")
    print(f"also     email, a segment (tags, last visit), again {figures(segment_times)}"
          f"   ({segmented.channels[0].audience:,} customers)")
    return result


def show(result: plan.SendPlan) -> None:
    email = result.channels[0]
    print(f"\nthe plan: {email.included:,} of {email.audience:,} receive it by email, {email.excluded:,} left out")
    print(f"  bases: {dict(email.bases)}   warnings: {dict(email.warnings)}")
    for reason in email.reasons:
        print(f"  {reason.count:>9,}  {reason.code:<42} e.g. {', '.join(reason.examples[:2])}")
        print(f"             {reason.texts.get('en', '')}")


def plans(app: Konsent, org: str) -> None:
    print("\nquery plans")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        with audience.lens_for(organisation, HAIR_CARE) as lens:
            maps = audience.keyed(lens, audience.stored_parts(session, org))
        main_query = audience.current_query(session, organisation, "email", Segment(), maps)
    print("  preview, the main count (the rest of the preview reads a few rows by index):")
    explain(app, main_query)
    print("  floor:")
    explain(app, select(func.count()).select_from(t.Customer).where(t.Customer.organisation_id == org))


def profile(work: Callable[[], Any]) -> None:
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    profiler = cProfile.Profile()
    profiler.runcall(work)
    print("\nprofile of one preview by email and SMS (cumulative):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def spot_check(app: Konsent, org: str, count: int) -> None:
    """Customers decided alone, on their records in the database, against the key of their projected
    signature — the decision the preview counted them under."""
    with app.db.unit_of_work() as session:
        ids = list(session.scalars(select(t.Customer.id).where(t.Customer.organisation_id == org)
                                   .order_by(func.random()).limit(count)))
        organisation = organisations.get(session, org)
        with audience.lens_for(organisation, HAIR_CARE) as lens:
            maps = audience.keyed(lens, audience.stored_parts(session, org))
        rows = {row.customer_id: row for row in session.scalars(select(t.CustomerSignature).where(
            t.CustomerSignature.organisation_id == org, t.CustomerSignature.channel == "email",
            t.CustomerSignature.customer_id.in_(ids)))}
    agree: Counter[bool] = Counter()
    for cid in ids:
        row = rows[cid]
        grouped = lens.decide((maps[0][row.core], maps[1][row.consents], maps[2][row.bought]))
        if _reach(app, org, cid) != plan.REACHABLE:
            agree[grouped is None] += 1
            continue
        _, decision = facts.decide_for(app, org, cid, facts.Asked("product_ad", "email", ("hair-care",)), at=NOW)
        agree[grouped is not None and (grouped.decision, grouped.codes) == (decision.decision, decision.codes)] += 1
    print(f"\nspot check: {agree[True]} of {len(ids)} customers decided alone agree with the preview "
          f"({agree[False]} disagree)")


def _reach(app: Konsent, org: str, cid: str) -> str:
    with app.db.unit_of_work() as session:
        point = session.scalar(select(t.ContactPoint).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.customer_id == cid, t.ContactPoint.kind == "email"))
    if point is None:
        return plan.NO_ADDRESS
    return plan.ADDRESS_BOUNCED if point.bounced_at else plan.REACHABLE


if __name__ == "__main__":
    main()
