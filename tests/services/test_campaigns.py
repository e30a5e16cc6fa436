"""Campaigns: the preview counts and explains exactly what deciding each customer alone would say;
scheduling queues exactly the allowed recipients, once; pause, resume, cancel and test sends."""

import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from konsent.domain.ledger import EventType
from konsent.errors import Conflict, InputError
from konsent.services import audience, campaigns, consents, customers, facts, organisations, outbox, rights, templates
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.worker import housekeeping

CATEGORIES = ("haircut", "hair-care", "colour", "voucher")


# --- builders ------------------------------------------------------------------------------

def draft(**fields) -> CampaignDraft:
    values = {"name": "Winter care", "kind": "product_ad", "channels": ["email", "sms"], "template_key": "winter",
              "advertised_categories": ["hair-care"], **fields}
    return CampaignDraft(**values)


def winter_templates(app, org) -> None:
    templates.save(app, org, key="winter", channel="email", locale="de", subject="Winterpflege für {{ first_name }}",
                   body_text="Hallo {{ first_name }}, unsere Winterpflege ist da.",
                   body_html="<html><body><p>Hallo {{ first_name }}</p></body></html>")
    templates.save(app, org, key="winter", channel="sms", locale="de", body_text="Winterpflege ist da!")


def add(app, org, number: int, **fields) -> str:
    fields.setdefault("email", f"kundin{number}@example.com")
    return customers.add(app, org, NewCustomer(**fields)).id


def subscribe(app, org, customer: str, channel: str = "email", *, days_ago: float = 30) -> str:
    """A consent on a signed form: proven without double opt-in."""
    return consents.give(app, org, customer, ConsentDeclaration(
        channel=channel, source="paper_form", evidence={"document_hash": "ab" * 32},
        occurred_at=app.now() - timedelta(days=days_ago)))


def project(app, org) -> None:
    """Bring the projection up to date, as the ledger and purchase hooks do once wired in."""
    with app.db.unit_of_work() as session:
        audience.rebuild(session, org, now=app.now())


def reasons(channel_plan) -> dict[str, int]:
    return {reason.code: reason.count for reason in channel_plan.reasons}


# --- the preview, told as a story ------------------------------------------------------------

def test_the_preview_says_who_receives_it_and_why_the_others_do_not(app, org):
    winter_templates(app, org)
    anna = add(app, org, 1, first_name="Anna")
    subscribe(app, org, anna)
    ben = add(app, org, 2)
    customers.record_purchase(app, org, ben, occurred_at=app.now() - timedelta(days=20), categories=["haircut"],
                              contact_collected=["email"], objection_notice_at_collection=True)
    clara = add(app, org, 3)
    subscribe(app, org, clara)
    consents.object_to(app, org, clara, channel="email")
    add(app, org, 4, email=None, phone="+4915123450004")
    project(app, org)
    campaign = campaigns.create(app, org, draft(channels=["email"]))

    email, = campaigns.preview(app, org, campaign.id).channels

    assert (email.audience, email.included, email.excluded) == (4, 2, 2)
    assert email.bases == {"consent": 1, "existing_customer": 1}
    assert reasons(email) == {"objection": 1, "no_address": 1}
    objection = next(r for r in email.reasons if r.code == "objection")
    assert objection.examples == (clara,)
    # The sentence is Clara's own, with the day she objected — not a stand-in's.
    assert objection.texts["en"] == f"The customer objected to advertising by email on {app.now().date().isoformat()}."
    assert objection.texts["de"].startswith("Die Person hat am")


def test_a_withdrawal_and_a_new_customer_show_in_the_next_preview_without_a_rebuild(app, org, clock):
    winter_templates(app, org)
    anna = add(app, org, 1)
    subscribe(app, org, anna)
    campaign = campaigns.create(app, org, draft(channels=["email"]))
    assert campaigns.preview(app, org, campaign.id).channels[0].included == 1  # the first preview builds

    clock.advance(days=1)
    consents.withdraw(app, org, anna, channel="email")  # the ledger append moves the projection along
    bea = add(app, org, 2)
    subscribe(app, org, bea)

    email, = campaigns.preview(app, org, campaign.id).channels
    assert (email.audience, email.included) == (2, 1)  # Bea is in; Anna is out, and says why
    assert "consent_withdrawn" in reasons(email)


def test_the_preview_decides_for_the_moment_of_sending(app, org, clock):
    winter_templates(app, org)
    anna = add(app, org, 1)
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="online_form"))  # unconfirmed
    project(app, org)
    campaign = campaigns.create(app, org, draft(channels=["email"], kind="newsletter", advertised_categories=[]))

    soon = campaigns.preview(app, org, campaign.id, at=app.now() + timedelta(days=2)).channels[0]
    later = campaigns.preview(app, org, campaign.id, at=app.now() + timedelta(days=9)).channels[0]
    assert reasons(soon) == reasons(later) == {
        "unconfirmed_consent": 1, "existing_customer_no_sale": 1, "existing_customer_no_categories": 1}

    doi = campaigns.create(app, org, draft(channels=["email"], kind="consent_request", advertised_categories=[]))
    assert campaigns.preview(app, org, doi.id).channels[0].excluded == 1


def test_another_organisations_customers_are_never_counted(app, org):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other", jurisdiction="DE").id
    for number in range(3):
        subscribe(app, other, add(app, other, number))
    subscribe(app, org, add(app, org, 9))
    project(app, org)
    project(app, other)
    campaign = campaigns.create(app, org, draft(channels=["email"]))
    assert campaigns.preview(app, org, campaign.id).channels[0].audience == 1


# --- the preview equals deciding every customer alone, on random data --------------------------

def random_customers(app, org, clock, rng: random.Random, count: int, *, hooked: bool = False) -> list[str]:
    """Customers with a few years of life: consents (some confirmed, some not), withdrawals,
    objections, purchases and future bookings, opt-outs, a bounce and an erasure. `hooked`: the
    projection follows each change at once, as the ledger and purchase hooks make it."""
    ids, phones = [], {}

    def changed(customer: str) -> None:
        if hooked:
            with app.db.unit_of_work() as session:
                audience.refresh(session, org, [customer], now=app.now())

    for number in range(count):
        email = f"kunde{number}@example.com" if rng.random() < 0.85 else None
        phone = f"+4915123{450000 + number}" if rng.random() < 0.7 or email is None else None
        ids.append(customers.add(app, org, NewCustomer(
            email=email, phone=phone, type=rng.choice(["consumer"] * 5 + ["business"]),
            jurisdiction=rng.choice([None, None, "DE", "AT", "CH"]), locale=rng.choice([None, "de", "en"]),
            tags=rng.sample(["vip", "stammkunde", "neu"], rng.randint(0, 2)),
            birthday=date(1980 + number % 30, rng.randint(1, 12), 1) if rng.random() < 0.7 else None,
            registers={"ecg": True} if rng.random() < 0.15 else {},
        )).id)
        phones[ids[-1]] = (email is not None, phone is not None)
        changed(ids[-1])
    for _ in range(count * 4):
        clock.advance(hours=rng.uniform(1, 24 * 12))
        customer = rng.choice(ids)
        has_email, has_phone = phones[customer]
        channels = (["email"] if has_email else []) + (["sms", "phone"] if has_phone else [])
        roll = rng.random()
        if roll < 0.4:
            source = rng.choice(["online_form", "online_form", "paper_form", "import", "booking"])
            consent_id = consents.give(app, org, customer, ConsentDeclaration(
                channel=rng.choice(channels), source=source,
                purpose=rng.choice(["advertising"] * 4 + ["newsletter", "product_ad"]),
                method=rng.choice(["active"] * 8 + ["pre_ticked"]),
                categories=rng.choice([[], [], ["hair-care"], ["colour"]]),
                evidence={"document_hash": "ab" * 32} if source == "paper_form" and rng.random() < 0.8 else {},
                occurred_at=app.now() - timedelta(days=rng.choice([0, 0, 2, 6, 40, 400, 720, 729, 760]))))
            if rng.random() < 0.5:
                with app.db.unit_of_work() as session:  # the confirmation, as the DOI flow records it
                    ledger.append(session, org, [ledger.Draft(
                        EventType.DOI_CONFIRMED, customer, app.now(), {"consent_id": consent_id})], now=app.now())
        elif roll < 0.65:
            customers.record_purchase(
                app, org, customer, occurred_at=app.now() + timedelta(days=rng.choice([-300, -30, -1, 0, 2, 5])),
                categories=rng.sample(CATEGORIES, rng.randint(0, 2)),
                contact_collected=rng.sample(["email", "sms"], rng.randint(0, 2)),
                objection_notice_at_collection=rng.random() < 0.7)
        elif roll < 0.75:
            consents.withdraw(app, org, customer, channel=rng.choice(["all", *channels]))
        elif roll < 0.85:
            consents.object_to(app, org, customer, channel=rng.choice(["all", *channels]),
                               scope=rng.choice(["advertising", "advertising", "all"]))
        elif roll < 0.9:
            consents.set_transactional(app, org, customer, channel=rng.choice(channels), enabled=False)
        changed(customer)
    for number, customer in enumerate(rng.sample(ids, 4)):  # fresh sign-ups, some proven on paper
        has_email, _ = phones[customer]
        consents.give(app, org, customer, ConsentDeclaration(
            channel="email" if has_email else "sms", source="paper_form" if number % 2 else "online_form",
            evidence={"document_hash": "cd" * 32}, occurred_at=app.now() - timedelta(days=1)))
        changed(customer)
    with app.db.unit_of_work() as session:
        session.execute(update(t.ContactPoint).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.customer_id == ids[0]).values(bounced_at=app.now()))
    rights.erase(app, org, ids[1], actor="staff:mia")
    changed(ids[0])
    changed(ids[1])
    return ids


def reachable(app, org, customer: str, channel: str) -> str:
    with app.db.unit_of_work() as session:
        row = session.get(t.Customer, customer)
        if row.erased_at is not None:
            return "customer_erased"
        kind = "email" if channel == "email" else "phone"
        point = session.scalar(select(t.ContactPoint).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.customer_id == customer, t.ContactPoint.kind == kind))
        if point is None:
            return "no_address"
        return "address_bounced" if point.bounced_at else "reachable"


def alone(app, org, ids, asked: audience.Asked, at: datetime) -> dict[str, dict[str, object]]:
    """What deciding every customer on their own says, counted as a preview counts."""
    expected = {}
    for channel in asked.channels:
        counts = {"included": 0, "excluded": 0, "bases": Counter(), "warnings": Counter(), "reasons": Counter(),
                  "allowed": {}}
        codes = {}
        for customer in ids:
            reach = reachable(app, org, customer, channel)
            if reach != "reachable":
                counts["excluded"] += 1
                counts["reasons"][reach] += 1
                codes[customer] = (reach,)
                continue
            _, decision = facts.decide_for(app, org, customer, facts.Asked(
                kind=asked.kind, channel=channel, advertised_categories=asked.advertised_categories), at=at)
            codes[customer] = decision.codes
            if decision.allowed:
                counts["allowed"][customer] = (decision.basis.value, [w.code for w in decision.warnings])
                counts["included"] += 1
                counts["bases"][decision.basis.value] += 1
                counts["warnings"].update(w.code for w in decision.warnings)
            else:
                counts["excluded"] += 1
                counts["reasons"].update(decision.codes)
        expected[channel] = {**counts, "codes": codes}
    return expected


def assert_same(preview, expected) -> None:
    for channel in preview.channels:
        wanted = expected[channel.channel]
        assert (channel.included, channel.excluded) == (wanted["included"], wanted["excluded"])
        assert dict(channel.bases) == dict(wanted["bases"])
        assert dict(channel.warnings) == dict(wanted["warnings"])
        assert reasons(channel) == dict(wanted["reasons"])
        for reason in channel.reasons:
            assert reason.examples, reason.code
            assert all(reason.code in wanted["codes"][example] for example in reason.examples)
            assert reason.texts["en"]
            assert reason.texts["de"]


_BACKLOG_SEEN: dict[str, list[str]] = {}


def backlog(app, org, *, before=False):
    """The customers marked stale; `before`: as the last look without it found them."""
    if before:
        return _BACKLOG_SEEN[org]
    with app.db.unit_of_work() as session:
        found = list(session.scalars(select(t.AudienceBacklog.customer_id).where(
            t.AudienceBacklog.organisation_id == org).order_by(t.AudienceBacklog.customer_id)))
    _BACKLOG_SEEN[org] = found
    return found


def test_a_consent_is_counted_by_the_very_next_preview_and_the_worker_drains_the_rest(app, org):
    anna = customers.add(app, org, NewCustomer(email="anna@example.com", first_name="Anna")).id
    newsletter = campaigns.create(app, org, draft(kind="newsletter", channels=["email"], advertised_categories=[]))
    assert campaigns.preview(app, org, newsletter.id).channels[0].included == 0
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="paper_form", purpose="newsletter",
                                                     evidence={"document_hash": "ab" * 32}))
    assert backlog(app, org) == [anna]
    assert campaigns.preview(app, org, newsletter.id).channels[0].included == 1
    assert backlog(app, org) == []

    consents.withdraw(app, org, anna, channel="email")
    assert backlog(app, org) == [anna]
    assert housekeeping.refresh_audiences(app, [org]) >= 1
    assert backlog(app, org) == []
    projected = signatures(app, org)
    project(app, org)
    assert signatures(app, org) == projected  # the worker wrote what a rebuild writes
    assert campaigns.preview(app, org, newsletter.id).channels[0].included == 0


def signatures(app, org):
    with app.db.unit_of_work() as session:
        return [(row.customer_id, row.channel, row.core, row.consents, row.bought) for row in session.scalars(
            select(t.CustomerSignature).where(t.CustomerSignature.organisation_id == org)
            .order_by(t.CustomerSignature.customer_id, t.CustomerSignature.channel))]


def counts(app, org):
    with app.db.unit_of_work() as session:
        return {(c.channel, c.core, c.consents, c.bought): c.customers for c in session.scalars(
            select(t.SignatureCount).where(t.SignatureCount.organisation_id == org)) if c.customers}


@pytest.mark.parametrize(("seed", "hooked"), [(7, True), (2026, False)])
def test_on_random_customers_the_preview_equals_deciding_each_alone(app, org, clock, seed, hooked):
    """Hooked: the projection followed every change when it happened; else it is built afterwards.
    Either way the previews below lie days and years ahead of when it was last written."""
    project(app, org)
    ids = random_customers(app, org, clock, random.Random(seed), count=36, hooked=hooked)
    if hooked:
        assert backlog(app, org)  # the appends marked their customers stale; purchases projected theirs
        assert audience.catch_up(app, org, chunk=7) == len(backlog(app, org, before=True))
        assert backlog(app, org) == []
        kept = counts(app, org)
        with app.db.unit_of_work() as session:
            audience.recount(session, org)
        assert kept == counts(app, org)  # the counts kept with each change equal a count anew of the rows
    else:
        project(app, org)
    asked = audience.Asked("product_ad", ("email", "sms"), ("hair-care",))
    campaign = campaigns.create(app, org, draft(kind=asked.kind, advertised_categories=["hair-care"]))
    for ahead in (timedelta(0), timedelta(days=3), timedelta(days=8), timedelta(days=400), timedelta(days=800)):
        at = app.now() + ahead
        assert_same(campaigns.preview(app, org, campaign.id, at=at), alone(app, org, ids, asked, at))

    newsletter = audience.Asked("newsletter", ("email", "sms"))
    campaign = campaigns.create(app, org, draft(kind="newsletter", advertised_categories=[]))
    assert_same(campaigns.preview(app, org, campaign.id), alone(app, org, ids, newsletter, app.now()))


def test_a_segment_picks_its_customers_and_decides_them_as_alone(app, org, clock):
    rng = random.Random(11)
    ids = random_customers(app, org, clock, rng, count=30)
    project(app, org)
    now = app.now()
    segment = Segment(tags=("vip", "neu"), locales=("de",), last_visit_before=now - timedelta(days=10))
    campaign = campaigns.create(app, org, draft(segment=segment))
    with app.db.unit_of_work() as session:
        rows = {c.id: c for c in session.scalars(select(t.Customer).where(t.Customer.organisation_id == org))}
        visits = Counter()
        latest: dict[str, datetime] = {}
        for p in session.scalars(select(t.Purchase).where(t.Purchase.organisation_id == org)):
            latest[p.customer_id] = max(latest.get(p.customer_id, p.occurred_at), p.occurred_at)
            visits[p.customer_id] += 1
    chosen = [cid for cid in ids if set(rows[cid].tags) & {"vip", "neu"} and (rows[cid].locale or "de") == "de"
              and cid in latest and latest[cid] < segment.last_visit_before]
    assert chosen  # the seed makes some
    asked = audience.Asked("product_ad", ("email", "sms"), ("hair-care",))
    preview = campaigns.preview(app, org, campaign.id)
    assert [c.audience for c in preview.channels] == [len(chosen)] * 2
    assert_same(preview, alone(app, org, chosen, asked, now))

    lately = Segment(last_visit_after=now - timedelta(days=60))
    recent = [cid for cid in ids if cid in latest and latest[cid] > lately.last_visit_after]
    assert recent
    assert len(recent) < len(ids)
    preview = campaigns.preview(app, org, campaigns.create(app, org, draft(segment=lately)).id)
    assert [c.audience for c in preview.channels] == [len(recent)] * 2
    assert_same(preview, alone(app, org, recent, asked, now))

    by_month = campaigns.create(app, org, draft(segment=Segment(birthday_month=3, bought=("colour",))))
    with app.db.unit_of_work() as session:
        bought_colour = {p.customer_id for p in session.scalars(select(t.Purchase).where(
            t.Purchase.organisation_id == org)) if "colour" in p.categories}
    born_in_march = [cid for cid in ids if rows[cid].birthday and rows[cid].birthday.month == 3
                     and cid in bought_colour]
    assert campaigns.preview(app, org, by_month.id).channels[0].audience == len(born_in_march)


# --- drafting ----------------------------------------------------------------------------------

def test_two_amendments_at_the_same_moment_both_take_effect(app, org):
    campaign = campaigns.create(app, org, draft(name="Herbst", channels=["email"]))
    first_holds_the_draft = threading.Event()

    def rename(amended: CampaignDraft) -> None:
        amended.name = "Herbstpflege"
        first_holds_the_draft.set()
        time.sleep(0.3)  # the other amendment arrives meanwhile

    def add_sms(amended: CampaignDraft) -> None:
        amended.channels = [*amended.channels, "sms"]

    with ThreadPoolExecutor(2) as pool:
        renamed = pool.submit(campaigns.amend, app, org, campaign.id, rename)
        assert first_holds_the_draft.wait(10)
        widened = pool.submit(campaigns.amend, app, org, campaign.id, add_sms)
        renamed.result(), widened.result()
    shown = campaigns.show(app, org, campaign.id)
    assert (shown.name, list(shown.channels)) == ("Herbstpflege", ["email", "sms"])


def test_a_draft_goes_out_at_the_organisations_local_time(app, org):
    campaign = campaigns.create(app, org, draft(send_at=datetime(2026, 12, 1, 9, 0)))
    assert campaign.scheduled_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Berlin is UTC+1 in winter
    assert campaign.local_time == "2026-12-01 09:00 CET"
    assert campaign.status == "draft"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "order_confirmation"}, "kind"),
        ({"channels": ["post"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"name": "Winter\r\nBcc: x"}, "name"),
        ({"send_at": datetime(2020, 1, 1, 9, 0)}, "send_at"),
        ({"segment": Segment(birthday_month=13)}, "segment.birthday_month"),
        ({"segment": Segment(locales=("fr",))}, "segment.locales"),
    ],
)
def test_a_bad_draft_names_the_field(app, org, fields, field):
    with pytest.raises(InputError) as error:
        campaigns.create(app, org, draft(**fields))
    assert error.value.field == field


def test_only_a_draft_can_be_changed(app, org):
    winter_templates(app, org)
    campaign = campaigns.create(app, org, draft())
    changed = campaigns.update(app, org, campaign.id, draft(name="Frühjahr", channels=["sms"]))
    assert (changed.name, changed.channels) == ("Frühjahr", ("sms",))
    campaigns.schedule(app, org, campaign.id)
    with pytest.raises(Conflict):
        campaigns.update(app, org, campaign.id, draft())


# --- scheduling and what follows ------------------------------------------------------------------

def queued_rows(app, org, campaign_id):
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.OutboxItem).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.campaign_id == campaign_id)))


@pytest.mark.parametrize("ahead", [timedelta(days=2), timedelta(days=400), timedelta(days=800)])
def test_scheduling_queues_exactly_the_allowed_recipients_once_with_their_decision(app, org, clock, ahead):
    winter_templates(app, org)
    ids = random_customers(app, org, clock, random.Random(5), count=24)
    project(app, org)  # as of now: the later campaigns go out after some signatures have changed
    campaign = campaigns.create(app, org, draft(send_at=(app.now() + ahead).replace(tzinfo=None)))
    at = campaign.scheduled_at

    seen = []
    scheduled = campaigns.schedule(app, org, campaign.id, progress=lambda done, total: seen.append((done, total)))

    expected = alone(app, org, ids, audience.Asked("product_ad", ("email", "sms"), ("hair-care",)), at)
    allowed = {(customer, channel): why for channel, wanted in expected.items()
               for customer, why in wanted["allowed"].items()}
    rows = queued_rows(app, org, campaign.id)
    assert {(row.customer_id, row.channel): (row.decision["basis"], [w["code"] for w in row.decision["warnings"]])
            for row in rows} == allowed
    assert scheduled.queued == len(rows) == len(allowed)
    assert sum(done for done, _ in seen) == scheduled.considered == 2 * len(ids)
    row = rows[0]
    assert row.dedupe_key == f"campaign:{campaign.id}:{row.customer_id}:{row.channel}"
    assert (row.status, row.next_attempt_at, row.kind) == ("queued", at, "product_ad")
    assert row.decision["decision"] == "allow"
    assert row.decision["basis"] in ("consent", "existing_customer")
    assert "text" not in row.decision["reasons"][0]  # a stand-in's dates never reach the proof
    assert campaigns.status(app, org, campaign.id).counts["queued"] == len(rows)
    with pytest.raises(Conflict):
        campaigns.schedule(app, org, campaign.id)


def test_pause_holds_resume_releases_and_cancel_withholds_what_waits(app, org, clock):
    winter_templates(app, org)
    for number in range(3):
        subscribe(app, org, add(app, org, number))
    project(app, org)
    campaign = campaigns.create(app, org, draft(channels=["email"], send_at=datetime(2026, 12, 1, 9, 0)))
    campaigns.schedule(app, org, campaign.id)

    paused = campaigns.pause(app, org, campaign.id)
    assert paused.campaign.status == "paused"
    assert {row.next_attempt_at for row in queued_rows(app, org, campaign.id)} == {campaigns.PARKED}
    with pytest.raises(Conflict):
        campaigns.pause(app, org, campaign.id)

    resumed = campaigns.resume(app, org, campaign.id)
    assert resumed.campaign.status == "scheduled"
    assert {row.next_attempt_at for row in queued_rows(app, org, campaign.id)} == {campaign.scheduled_at}

    with app.db.unit_of_work() as session:  # one message already went out
        first = session.scalars(select(t.OutboxItem).where(t.OutboxItem.campaign_id == campaign.id)).first()
        first.status = outbox.SENT
    cancelled = campaigns.cancel(app, org, campaign.id)
    assert cancelled.campaign.status == "cancelled"
    assert (cancelled.counts["sent"], cancelled.counts["withheld"], cancelled.counts["queued"]) == (1, 2, 0)
    with pytest.raises(Conflict):
        campaigns.resume(app, org, campaign.id)


def test_a_campaign_without_its_template_is_not_queued(app, org):
    subscribe(app, org, add(app, org, 1))
    project(app, org)
    campaign = campaigns.create(app, org, draft(template_key="nowhere"))
    with pytest.raises(Exception, match="template not found"):
        campaigns.schedule(app, org, campaign.id)
    assert queued_rows(app, org, campaign.id) == []
    assert campaigns.show(app, org, campaign.id).status == "draft"


def test_a_test_send_reaches_staff_as_a_customer_would_see_it_and_touches_no_customer(app, org):
    winter_templates(app, org)
    subscribe(app, org, add(app, org, 1))
    campaign = campaigns.create(app, org, draft())

    sent = campaigns.send_test(app, org, campaign.id, ["Mia@Salon.example", "+49 151 23456789"])

    assert [(s.channel, s.to, s.status) for s in sent] == [
        ("email", "mia@salon.example", "sent"), ("sms", "+4915123456789", "sent")]
    mail = message_from_bytes((app.settings.data_dir / "outbox" / sent[0].transport_id).read_bytes(),
                               policy=policy.default)
    assert mail["Subject"] == "[Test] Winterpflege für Anna"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "widersprechen" in mail.get_body(("plain",)).get_content()
    assert queued_rows(app, org, campaign.id) == []
    with app.db.unit_of_work() as session:
        assert session.scalars(select(t.Message).where(t.Message.organisation_id == org)).all() == []
    with pytest.raises(InputError, match="to"):
        campaigns.send_test(app, org, campaign.id, ["not an address"])


# --- on the command line ---------------------------------------------------------------------------

def test_an_owner_drafts_previews_schedules_and_cancels_on_the_command_line(app, org, monkeypatch):
    from typer.testing import CliRunner  # noqa: PLC0415

    from konsent.cli import app as cli  # noqa: PLC0415
    from konsent.cli import campaign as commands  # noqa: PLC0415

    monkeypatch.setattr(commands, "app_from_env", lambda: app)  # the commands' own app, on this test's clock
    winter_templates(app, org)
    subscribe(app, org, add(app, org, 1), days_ago=3)
    add(app, org, 2)
    runner = CliRunner()

    def konsent(*args: str) -> str:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    created = json.loads(konsent("campaign", "create", "Winterpflege", "--org", org, "--kind", "product_ad",
                                 "--channel", "email", "--template", "winter", "--category", "hair-care", "--json"))
    previewed = json.loads(konsent("campaign", "preview", created["id"], "--org", org, "--json"))
    assert (previewed["included"], previewed["excluded"]) == (1, 1)
    assert "never consented" in konsent("campaign", "preview", created["id"], "--org", org)
    scheduled = json.loads(konsent("campaign", "schedule", created["id"], "--org", org, "--json"))
    assert scheduled["queued"] == 1
    assert json.loads(konsent("campaign", "status", created["id"], "--org", org, "--json"))["messages"]["queued"] == 1
    assert "sent" in konsent("campaign", "test-send", created["id"], "--org", org, "--to", "mia@salon.example")
    cancelled = json.loads(konsent("campaign", "cancel", created["id"], "--org", org, "--json"))
    assert (cancelled["status"], cancelled["messages"]["withheld"]) == ("cancelled", 1)
    refused = runner.invoke(cli, ["campaign", "resume", created["id"], "--org", org])
    assert refused.exit_code == 2
    assert "cancelled" in refused.stderr
