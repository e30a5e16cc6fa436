"""Automations: the host posts bookings and orders, konsent confirms, reminds and greets — each message
decided by the engine when scheduled, each event taken once, time moved by hand."""

import asyncio
import json
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from konsent.config import SmtpSettings
from konsent.errors import Conflict, InputError, NotFound
from konsent.messages.compose import Sender, compose
from konsent.services import automations, consents, customers, host_events, organisations, outbox, templates
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.transports.smtp import SmtpPool
from konsent.worker.loop import Worker
from tests.transports.smtp_server import smtp_server, text_of

BERLIN = ZoneInfo("Europe/Berlin")
PAPER = {"document_hash": "ab" * 32}  # a signed paper form: valid consent without double opt-in


def add(app, org, name, *, email=True, phone=False, birthday=None, consent=False):
    view = customers.add(app, org, NewCustomer(
        email=f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.com" if email else None,
        phone=f"+49151{uuid.uuid4().int % 10**8:08d}" if phone else None,
        first_name=name, external_id=f"host-{name.lower()}", birthday=birthday))
    if consent:
        consents.give(app, org, view.id, ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER))
    return view.id


def book(app, org, customer, starts_at, *, key="evt-1", type="booking.created", booking_id="b-1", **payload):
    body = {"booking_id": booking_id, **payload}
    if type != "booking.cancelled":
        body["starts_at"] = starts_at.isoformat()
    return host_events.post(app, org, type=type, key=key, customer=customer, payload=body)


def rows(app, org, **where):
    with app.db.unit_of_work() as session:
        query = select(t.OutboxItem).where(t.OutboxItem.organisation_id == org).filter_by(**where)
        return list(session.scalars(query.order_by(t.OutboxItem.next_attempt_at, t.OutboxItem.kind)))


def count(app, table, org):
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))


def enable(app, org, *triggers, **settings):
    for trigger in triggers:
        wanted = {k: v for k, v in settings.items() if k in automations.checked_settings(trigger, {})}
        automations.enable(app, org, trigger, settings=wanted)


def test_a_booking_is_confirmed_now_and_reminded_24_hours_before_the_appointment(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    anna = add(app, org, "Anna")
    start = clock() + timedelta(days=3)
    posted = book(app, org, "host-anna", start, contact_collected=["email"], objection_notice_shown=True)

    confirmation, reminder = rows(app, org)
    assert (confirmation.kind, confirmation.status, confirmation.next_attempt_at) == (
        "booking_confirmation", outbox.QUEUED, clock())
    assert (reminder.kind, reminder.status, reminder.next_attempt_at) == (
        "appointment_reminder", outbox.QUEUED, start - timedelta(hours=24))
    assert {r.customer_id for r in (confirmation, reminder)} == {anna}
    # Decided when scheduled, on the contract the booking itself put on record.
    assert [(r.decision["decision"], r.decision["basis"]) for r in (confirmation, reminder)] == [
        ("allow", "contract"), ("allow", "contract")]
    assert [s.outbox_id for s in posted.scheduled] == [confirmation.id, reminder.id]
    assert reminder.context["appointment_time"] == f"{start.astimezone(BERLIN):%H:%M}"
    assert count(app, t.Purchase, org) == 1


def test_the_same_event_posted_twice_is_taken_once_and_answered_alike(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    add(app, org, "Anna")
    first = book(app, org, "host-anna", clock() + timedelta(days=3))
    again = book(app, org, "host-anna", clock() + timedelta(days=3))

    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.event_id == first.event_id
    assert again.scheduled == first.scheduled
    assert len(rows(app, org)) == 2
    assert (count(app, t.HostEvent, org), count(app, t.Purchase, org)) == (1, 1)


def test_the_same_event_posted_at_the_same_moment_is_taken_once(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    add(app, org, "Anna")
    start = clock() + timedelta(days=3)
    barrier = threading.Barrier(4)

    def post_it(_: int) -> host_events.Posted:
        barrier.wait()
        return book(app, org, "host-anna", start)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post_it, range(4)))
    assert sorted(a.duplicate for a in answers) == [False, True, True, True]
    assert len({a.event_id for a in answers}) == 1
    assert len({tuple(s.outbox_id for s in a.scheduled) for a in answers}) == 1
    assert (count(app, t.HostEvent, org), count(app, t.OutboxItem, org), count(app, t.Purchase, org)) == (1, 2, 1)


def test_the_same_booking_under_a_new_key_is_still_confirmed_once(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    add(app, org, "Anna")
    book(app, org, "host-anna", clock() + timedelta(days=3), key="evt-1")
    second = book(app, org, "host-anna", clock() + timedelta(days=3), key="evt-1-retry-with-new-key")

    assert second.scheduled == ()
    assert len(rows(app, org)) == 2


def test_a_key_used_for_another_booking_is_refused(app, org, clock):
    add(app, org, "Anna")
    book(app, org, "host-anna", clock() + timedelta(days=3), booking_id="b-1")
    with pytest.raises(Conflict):
        book(app, org, "host-anna", clock() + timedelta(days=3), booking_id="b-2")


def test_a_moved_booking_withholds_the_old_reminder_and_queues_one_for_the_new_time(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    add(app, org, "Anna")
    start = clock() + timedelta(days=3)
    book(app, org, "host-anna", start)
    clock.advance(hours=1)
    moved = book(app, org, "host-anna", start + timedelta(days=2), key="evt-2", type="booking.changed")

    [old] = moved.called_off
    assert (old.kind, old.status, old.note, old.due) == (
        "appointment_reminder", outbox.WITHHELD, "booking moved", start - timedelta(hours=24))
    [new] = moved.scheduled
    assert (new.kind, new.status, new.due) == ("appointment_reminder", outbox.QUEUED, start + timedelta(days=1))
    assert [r.status for r in rows(app, org, kind="booking_confirmation")] == [outbox.QUEUED]  # the booking stands

    back = book(app, org, "host-anna", start, key="evt-3", type="booking.changed")
    assert [(s.status, s.due) for s in back.scheduled] == [(outbox.QUEUED, start - timedelta(hours=24))]
    assert [s.due for s in back.called_off] == [start + timedelta(days=1)]


def test_a_cancelled_booking_withholds_its_pending_reminder_and_review_request(app, org, clock):
    enable(app, org, "appointment_reminder", "review_request")
    add(app, org, "Anna", consent=True)
    book(app, org, "host-anna", clock() + timedelta(days=3))
    cancelled = book(app, org, "host-anna", None, key="evt-2", type="booking.cancelled")

    assert sorted((s.kind, s.note) for s in cancelled.called_off) == [
        ("appointment_reminder", "booking cancelled"), ("review_request", "booking cancelled")]
    assert {r.status for r in rows(app, org)} == {outbox.WITHHELD}
    assert cancelled.scheduled == ()


def test_a_reminder_is_not_scheduled_when_the_booking_falls_inside_its_window(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    add(app, org, "Anna")
    book(app, org, "host-anna", clock() + timedelta(hours=5))
    assert [r.kind for r in rows(app, org)] == ["booking_confirmation"]


def test_a_review_request_goes_hours_after_the_appointment_and_only_with_consent(app, org, clock):
    enable(app, org, "review_request", hours_after=2)
    add(app, org, "Anna", consent=True)
    add(app, org, "Ben")
    start = clock() + timedelta(days=1)
    [anna] = book(app, org, "host-anna", start, key="a", booking_id="b-a").scheduled
    [ben] = book(app, org, "host-ben", start, key="b", booking_id="b-b").scheduled

    assert (anna.status, anna.due, anna.decision) == (outbox.QUEUED, start + timedelta(hours=2), "allow")
    assert (ben.status, ben.decision) == (outbox.WITHHELD, "deny")
    assert "no_consent" in ben.reasons
    assert ben.note == "denied when scheduled: " + ", ".join(ben.reasons)


def test_orders_are_confirmed_and_each_shipment_noticed(app, org, clock):
    enable(app, org, "order_confirmation", "shipping_notice")
    add(app, org, "Anna")
    order = {"order_id": 4711, "categories": ["hair-care"], "contact_collected": ["email"]}
    host_events.post(app, org, type="order.placed", key="o-1", customer="host-anna", payload=order)
    clock.advance(days=1)
    shipped = host_events.post(app, org, type="order.shipped", key="o-2", customer="host-anna",
                               payload={"order_id": "4711", "details": {"tracking_url": "https://track.example/1"}})

    assert [(r.kind, r.decision["basis"]) for r in rows(app, org)] == [
        ("order_confirmation", "contract"), ("shipping_status", "contract")]
    assert shipped.scheduled[0].due == clock()
    assert rows(app, org, kind="shipping_status")[0].context["tracking_url"] == "https://track.example/1"
    assert count(app, t.Purchase, org) == 1


def test_a_message_without_an_address_for_its_channel_is_withheld_with_the_reason(app, org, clock):
    automations.enable(app, org, "booking_confirmation", channel="sms")
    add(app, org, "Anna")  # email only
    [confirmation] = book(app, org, "host-anna", clock() + timedelta(days=3)).scheduled
    assert (confirmation.status, confirmation.decision, confirmation.note) == (
        outbox.WITHHELD, "allow", "no deliverable phone address")


def test_a_customer_who_turned_off_booking_messages_is_not_confirmed(app, org, clock):
    enable(app, org, "booking_confirmation")
    add(app, org, "Anna")
    consents.set_transactional(app, org, "host-anna", channel="email", enabled=False)
    [confirmation] = book(app, org, "host-anna", clock() + timedelta(days=3)).scheduled
    assert (confirmation.status, confirmation.reasons) == (outbox.WITHHELD, ("transactional_opt_out",))


def test_a_disabled_automation_schedules_nothing(app, org, clock):
    enable(app, org, "booking_confirmation")
    automations.disable(app, org, "booking_confirmation")
    add(app, org, "Anna")
    assert book(app, org, "host-anna", clock() + timedelta(days=3)).scheduled == ()
    assert rows(app, org) == []


def test_an_event_for_an_unknown_customer_leaves_no_trace(app, org, clock):
    enable(app, org, "booking_confirmation")
    with pytest.raises(NotFound):
        book(app, org, "host-nobody", clock() + timedelta(days=3))
    assert (count(app, t.HostEvent, org), count(app, t.OutboxItem, org)) == (0, 0)


def test_a_payload_without_the_appointment_time_is_refused_naming_the_field(app, org):
    add(app, org, "Anna")
    with pytest.raises(InputError) as error:
        host_events.post(app, org, type="booking.created", key="k", customer="host-anna", payload={"booking_id": "b"})
    assert error.value.field == "payload.starts_at"
    with pytest.raises(InputError) as error:
        host_events.post(app, org, type="booking.created", key="k", customer="host-anna",
                         payload={"booking_id": "b", "starts_at": "2026-12-01T10:00", "start": "typo"})
    assert error.value.field == "payload.start"


def test_a_customer_created_event_adds_the_customer_once(app, org):
    payload = {"email": "carla@example.com", "first_name": "Carla", "birthday": "1990-05-04"}
    first = host_events.post(app, org, type="customer.created", key="c-1", customer="host-carla", payload=payload)
    again = host_events.post(app, org, type="customer.created", key="c-1", customer="host-carla", payload=payload)
    assert first.customer_id == again.customer_id
    assert customers.show(app, org, "host-carla").birthday == date(1990, 5, 4)
    with app.db.unit_of_work() as session:
        [stored] = session.scalars(select(t.HostEvent).where(t.HostEvent.organisation_id == org))
    assert "carla@example.com" not in str(stored.payload)  # contact data lives with the customer only


def test_keys_and_automations_belong_to_one_organisation(app, org, clock):
    other = organisations.create(app, slug=f"shop-{uuid.uuid4().hex[:8]}", name="Shop", jurisdiction="AT").id
    enable(app, org, "booking_confirmation")
    add(app, org, "Anna")
    add(app, other, "Anna")
    book(app, org, "host-anna", clock() + timedelta(days=3))
    in_other = book(app, other, "host-anna", clock() + timedelta(days=3))

    assert not in_other.duplicate
    assert in_other.scheduled == ()  # the other organisation enabled nothing
    assert len(rows(app, org)) == 1


# --- on time ------------------------------------------------------------------------------------------


def test_birthday_greetings_go_to_todays_birthdays_and_without_consent_show_as_denied(app, org, clock):
    enable(app, org, "birthday_greeting", at="09:00")
    today = clock().astimezone(BERLIN).date()
    anna = add(app, org, "Anna", birthday=today.replace(year=1990), consent=True)
    ben = add(app, org, "Ben", birthday=today.replace(year=1985))
    add(app, org, "Carla", birthday=(today + timedelta(days=1)).replace(year=1992), consent=True)
    add(app, org, "Dora", birthday=today.replace(year=1980, month=today.month - 1), consent=True)

    [result] = automations.run(app, organisation_key=org)
    assert (result.automation, result.queued, result.withheld) == ("birthday_greeting", 1, 1)
    greeting = rows(app, org, customer_id=anna)[0]
    assert (greeting.status, greeting.decision["basis"]) == (outbox.QUEUED, "consent")
    assert greeting.next_attempt_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    denied = rows(app, org, customer_id=ben)[0]
    assert (denied.status, denied.decision["decision"]) == (outbox.WITHHELD, "deny")
    assert set(result.reasons) == {r["code"] for r in denied.decision["reasons"]}

    clock.advance(hours=3)
    assert [(r.queued, r.withheld) for r in automations.run(app, organisation_key=org)] == [(0, 0)]
    assert len(rows(app, org)) == 2


def test_many_birthdays_are_scheduled_in_chunks_all_of_them(app, org, clock, monkeypatch):
    monkeypatch.setattr(automations, "CHUNK", 2)
    enable(app, org, "birthday_greeting")
    born = [add(app, org, f"Kind{n}", birthday=clock().date().replace(year=2000 + n), consent=True) for n in range(5)]
    assert automations.run(app, organisation_key=org)[0].queued == 5
    assert sorted(r.customer_id for r in rows(app, org)) == sorted(born)


def test_birthday_greetings_wait_for_the_set_local_time(app, org, clock):
    enable(app, org, "birthday_greeting", at="11:30")  # the clock shows 10:00 in Berlin
    today = clock().astimezone(BERLIN).date()
    add(app, org, "Anna", birthday=today.replace(year=1990), consent=True)
    assert automations.run(app, organisation_key=org)[0].queued == 0
    clock.advance(hours=1, minutes=30)
    assert automations.run(app, organisation_key=org)[0].queued == 1


def test_a_win_back_goes_after_n_days_without_a_visit_and_once(app, org, clock):
    enable(app, org, "winback", days_without_visit=60)
    anna = add(app, org, "Anna", consent=True)
    add(app, org, "Ben", consent=True)
    visit = {"categories": ["haircut"], "contact_collected": ["email"], "objection_notice_shown": True}
    book(app, org, "host-anna", clock() + timedelta(hours=1), key="a", booking_id="b-a", **visit)
    clock.advance(days=30)
    book(app, org, "host-ben", clock() + timedelta(hours=1), key="b", booking_id="b-b", **visit)

    clock.advance(days=29)
    assert automations.run(app, organisation_key=org)[0].queued == 0
    clock.advance(days=2)  # Anna: 61 days since her booking; Ben: 31
    assert automations.run(app, organisation_key=org)[0].queued == 1
    assert [r.customer_id for r in rows(app, org)] == [anna]
    clock.advance(days=40)
    assert automations.run(app, organisation_key=org)[0].queued == 1  # Ben now; Anna not a second time
    assert len(rows(app, org, customer_id=anna)) == 1

    book(app, org, "host-anna", clock() + timedelta(hours=1), key="a2", booking_id="b-a2", **visit)
    clock.advance(days=61)
    assert automations.run(app, organisation_key=org)[0].queued == 1  # a new absence, a new win-back
    assert len(rows(app, org, customer_id=anna)) == 2


# --- configuration ------------------------------------------------------------------------------------


def test_enabling_seeds_default_templates_that_render_the_booking(app, org, clock):
    enable(app, org, "appointment_reminder")
    add(app, org, "Anna")
    start = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    book(app, org, "host-anna", start, details={"service": "Haarschnitt"})
    [reminder] = rows(app, org)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        template = templates.current(session, organisation, "appointment_reminder", "email", "de")
        english = templates.current(session, organisation, "appointment_reminder", "email", "en")
    assert (template.locale, english.locale) == ("de", "en")
    message = compose(
        message_id="m-1", channel="email", to="anna@example.com", locale="de", template=template, requirements=(),
        sender=Sender("Salon Sonnenschein", None, "salon@example.com"),
        fields={"first_name": "Anna", **reminder.context}, unsubscribe_url=None, now=clock())
    assert message.subject == "Erinnerung: Ihr Termin am 23.11.2026 um 10:30 Uhr"
    assert "Hallo Anna," in message.text
    assert "Ihren Termin (Haarschnitt) am 23.11.2026 um 10:30 Uhr" in message.text

    automations.enable(app, org, "appointment_reminder", settings={"hours_before": 48})
    with app.db.unit_of_work() as session:
        versions = session.scalar(select(func.count()).select_from(t.MessageTemplate).where(
            t.MessageTemplate.organisation_id == org))
    assert versions == 2  # enabling again keeps the templates the owner has

    automations.enable(app, org, "appointment_reminder", template_key="reminder_short")
    view = automations.enable(app, org, "appointment_reminder", settings={"hours_before": 12})
    assert (view.template_key, view.settings) == ("reminder_short", {"hours_before": 12})


def test_settings_are_checked_and_named(app, org):
    with pytest.raises(InputError) as error:
        automations.enable(app, org, "appointment_reminder", settings={"hours_before": 0})
    assert error.value.field == "settings.hours_before"
    with pytest.raises(InputError) as error:
        automations.enable(app, org, "booking_confirmation", settings={"advertised_categories": ["x"]})
    assert error.value.field == "settings.advertised_categories"
    with pytest.raises(InputError) as error:
        automations.enable(app, org, "birthday_greeting", settings={"at": "9 Uhr"})
    assert error.value.field == "settings.at"
    assert automations.listed(app, org) == []


def test_one_organisations_broken_time_zone_does_not_stop_the_others(app, org, clock):
    broken = organisations.create(app, slug=f"mars-{uuid.uuid4().hex[:8]}", name="Mars", jurisdiction="DE").id
    with app.db.unit_of_work() as session:  # create() refuses it now; a row from before that check may have it
        session.get_one(t.Organisation, broken).timezone = "Mars/Olympus_Mons"
    for organisation in (org, broken):
        enable(app, organisation, "birthday_greeting")
        add(app, organisation, "Anna", birthday=clock().date().replace(year=1990), consent=True)

    results = {r.organisation: r for r in automations.run(app)}
    with app.db.unit_of_work() as session:
        ours, theirs = (organisations.get(session, key).slug for key in (org, broken))
    assert (results[ours].queued, results[ours].error) == (1, None)
    assert results[theirs].error == "timezone: the organisation's time zone is unknown"


# --- on the command line, as the host system's integrator and the owner use it ---------------------------


@pytest.fixture
def konsent(database, tmp_path):
    env = {**os.environ, "KONSENT__DATABASE__URL": database.url, "KONSENT__DATA_DIR": str(tmp_path)}

    def run(*args: str) -> Any:
        result = subprocess.run([sys.executable, "-m", "konsent", *args, "--json"], env=env, capture_output=True,
                                text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


def test_an_integrator_posts_a_booking_twice_on_the_command_line_and_it_counts_once(konsent):
    slug = f"salon-{uuid.uuid4().hex[:8]}"
    konsent("org", "create", slug, "--name", "Salon Sonnenschein", "--jurisdiction", "DE")
    konsent("customer", "add", "--org", slug, "--email", "anna@example.com", "--external-id", "host-anna")
    enabled = konsent("automation", "enable", "appointment_reminder", "--org", slug, "--hours-before", "48")
    assert (enabled["enabled"], enabled["settings"]) == (True, {"hours_before": 48})

    booking = ("event", "post", "--org", slug, "--type", "booking.created", "--key", "evt-1", "--customer",
               "host-anna", "--payload", '{"booking_id": 17, "starts_at": "2027-01-20T10:00:00+01:00"}')
    first, again = konsent(*booking), konsent(*booking)
    assert [(s["kind"], s["due"]) for s in first["scheduled"]] == [
        ("appointment_reminder", "2027-01-18T09:00:00+00:00")]
    assert (again["duplicate"], again["scheduled"]) == (True, first["scheduled"])
    assert [a["trigger"] for a in konsent("automation", "list", "--org", slug)] == ["appointment_reminder"]
    assert konsent("automation", "run", "--org", slug) == []  # nothing on time is enabled


# --- end to end: the dispatch worker delivers what the booking scheduled ----------------------------------


def deliver(app, org, inbox):
    smtp = SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", timeout=5,
                        sender="Salon <termine@salon.example>")
    worker = Worker(app, {"email": SmtpPool(smtp, size=2)}, concurrency=2, batch=10, organisations=[org])
    return asyncio.run(worker.run(once=True))


def test_the_worker_delivers_the_confirmation_now_and_the_reminder_when_it_is_due(app, org, clock):
    enable(app, org, "booking_confirmation", "appointment_reminder")
    anna = add(app, org, "Anna")
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    book(app, org, "host-anna", start, details={"service": "Haarschnitt"})
    address = customers.show(app, org, anna).contacts["email"]

    with smtp_server() as inbox:
        assert deliver(app, org, inbox).sent == 1
        [confirmation] = inbox.messages()
        assert confirmation["To"] == address
        assert confirmation["Subject"] == "Ihr Termin am 24.11.2026 um 10:00 Uhr"
        assert "Hallo Anna," in text_of(confirmation, "plain")
        assert "List-Unsubscribe" not in confirmation  # a booking confirmation advertises nothing

        clock.current = start - timedelta(hours=24, minutes=1)
        assert deliver(app, org, inbox).sent == 0
        clock.advance(minutes=1)
        assert deliver(app, org, inbox).sent == 1
        assert inbox.messages()[1]["Subject"] == "Erinnerung: Ihr Termin am 24.11.2026 um 10:00 Uhr"
    assert [r.status for r in rows(app, org)] == [outbox.SENT, outbox.SENT]


def test_a_cancelled_booking_is_no_longer_a_purchase(app, org):
    customer = customers.add(app, org, NewCustomer(email="lena@example.com", external_id="K-77"))
    start = (app.now() + timedelta(days=3)).isoformat()
    host_events.post(app, org, type="booking.created", key="b-1", customer="K-77",
                     payload={"booking_id": "B-1", "starts_at": start, "categories": ["haircut"]})
    host_events.post(app, org, type="booking.cancelled", key="b-1-x", customer="K-77", payload={"booking_id": "B-1"})
    with app.db.unit_of_work() as session:
        left = session.scalars(select(t.Purchase.external_id).where(t.Purchase.customer_id == customer.id)).all()
    assert left == []
