"""Host events through the API: a booking plans its confirmation and reminder once, however often it is
posted; a customer new to konsent comes with the event; a bad payload is refused naming its field."""

from datetime import timedelta

from sqlalchemy import func, select

from konsent.services import api_keys, automations, customers
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.web.api import events


def count(app, table, org) -> int:
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))


def booking(clock, *, key="booking-1001", customer=None, **payload) -> dict:
    return {"type": "booking.created", "idempotency_key": key, "customer": customer or {"external_id": "K-17"},
            "payload": {"booking_id": "1001", "starts_at": (clock() + timedelta(days=3)).isoformat(),
                        "categories": ["haircut"], **payload}}


def reminders_on(app, org) -> None:
    automations.enable(app, org, "booking_confirmation")
    automations.enable(app, org, "appointment_reminder", settings={"hours_before": 24})


def test_a_booking_posted_twice_plans_its_messages_once(app, org, web, auth, clock):
    reminders_on(app, org)
    anna = customers.add(app, org, NewCustomer(email="anna@example.com", external_id="K-17")).id

    first = web.post("/api/v1/events", json=booking(clock), headers=auth)
    again = web.post("/api/v1/events", json=booking(clock), headers=auth)

    assert (first.status_code, again.status_code) == (202, 200)
    taken, repeated = first.json(), again.json()
    assert (taken["duplicate"], repeated["duplicate"]) == (False, True)
    assert [(m["automation"], m["status"], m["customer_id"]) for m in taken["scheduled"]] == [
        ("booking_confirmation", "queued", anna), ("appointment_reminder", "queued", anna)]
    assert taken["scheduled"][1]["due"] == (clock() + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert repeated == {**taken, "duplicate": True}
    assert (count(app, t.HostEvent, org), count(app, t.OutboxItem, org), count(app, t.Purchase, org)) == (1, 2, 1)


def test_a_cancelled_booking_calls_off_what_it_planned(app, org, web, auth, clock):
    reminders_on(app, org)
    customers.add(app, org, NewCustomer(email="anna@example.com", external_id="K-17"))
    web.post("/api/v1/events", json=booking(clock), headers=auth)
    cancelled = web.post("/api/v1/events", headers=auth, json={
        "type": "booking.cancelled", "idempotency_key": "booking-1001-cancelled", "customer": {"external_id": "K-17"},
        "payload": {"booking_id": "1001"}})
    assert cancelled.status_code == 202, cancelled.text
    # Neither was sent yet: the confirmation of a cancelled booking is withheld too.
    assert sorted((m["automation"], m["status"]) for m in cancelled.json()["called_off"]) == [
        ("appointment_reminder", "withheld"), ("booking_confirmation", "withheld")]


def test_a_customer_new_to_konsent_comes_with_the_event(app, org, web, auth, clock):
    reminders_on(app, org)
    person = {"external_id": "K-99", "email": "Ben@Example.com", "first_name": "Ben"}
    taken = web.post("/api/v1/events", json=booking(clock, customer=person), headers=auth)
    assert taken.status_code == 202, taken.text
    ben = customers.show(app, org, "K-99")
    assert (ben.contacts, ben.first_name, taken.json()["customer_id"]) == ({"email": "ben@example.com"}, "Ben", ben.id)
    # Known now: found by their email as well, and not added twice.
    again = web.post("/api/v1/events", json=booking(clock, key="b-2", booking_id="1002",
                                                    customer={"email": "ben@example.com", "first_name": "B."}),
                     headers=auth)
    assert again.json()["customer_id"] == ben.id
    assert count(app, t.Customer, org) == 1


def test_a_customer_created_event_adds_the_customer_once(app, org, web, auth):
    event = {"type": "customer.created", "idempotency_key": "customer-K-5",
             "customer": {"external_id": "K-5", "phone": "+4915123456789", "birthday": "1990-05-17"}}
    assert web.post("/api/v1/events", json=event, headers=auth).status_code == 202
    assert web.post("/api/v1/events", json=event, headers=auth).json()["duplicate"] is True
    added = customers.show(app, org, "K-5")
    assert (added.contacts, str(added.birthday)) == ({"phone": "+4915123456789"}, "1990-05-17")
    wrong = web.post("/api/v1/events", json={**event, "idempotency_key": "c-3", "customer": {
        "external_id": "K-6", "phone": "12"}}, headers=auth)
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "customer.phone")
    nameless = web.post("/api/v1/events", json={**event, "idempotency_key": "c-2", "customer": {"email": "x@y.de"}},
                        headers=auth)
    assert (nameless.status_code, nameless.json()["error"]["field"]) == (422, "customer.external_id")


def test_a_bad_event_is_refused_naming_the_field_and_adds_no_one(app, org, web, auth, clock):
    reminders_on(app, org)
    new = {"external_id": "K-50", "email": "new@example.com"}
    cases = [
        ({**booking(clock, customer=new), "type": "booking.moved"}, "type"),
        (booking(clock, customer=new, colour="blue"), "payload.colour"),
        (booking(clock, customer=new, starts_at="next tuesday"), "payload.starts_at"),
        (booking(clock, customer=new, starts_at="9999-12-31T23:00:00-12:00"), "payload.starts_at"),
        (booking(clock, customer=new, contact_collected=["fax"]), "payload.contact_collected[0]"),
        (booking(clock, customer=new, details={"note": "a\x00b"}), "payload.details.note"),
        ({**booking(clock, customer=new), "payload": {"booking_id": "1", "\x00": 1}}, "payload"),
        ({**booking(clock, customer=new), "idempotency_key": ""}, "idempotency_key"),
        ({**booking(clock, customer=new), "occurred_at": "2026-11-20T10:00:00"}, "occurred_at"),
        (booking(clock, customer={**new, "email": "not an address"}), "customer.email"),
        (booking(clock, customer={**new, "nickname": "Neo"}), "customer.nickname"),
    ]
    for body, field in cases:
        response = web.post("/api/v1/events", json=body, headers=auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, (body, response.json())
    assert (count(app, t.Customer, org), count(app, t.HostEvent, org), count(app, t.OutboxItem, org)) == (0, 0, 0)


def test_an_unknown_customer_without_contact_details_is_not_found(app, org, web, auth, clock):
    response = web.post("/api/v1/events", json=booking(clock, customer={"external_id": "K-404"}), headers=auth)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert count(app, t.HostEvent, org) == 0


def test_a_key_used_for_another_event_is_a_conflict(app, org, web, auth, clock):
    customers.add(app, org, NewCustomer(email="anna@example.com", external_id="K-17"))
    web.post("/api/v1/events", json=booking(clock), headers=auth)
    other = web.post("/api/v1/events", json=booking(clock, booking_id="2002"), headers=auth)
    assert (other.status_code, other.json()["error"]["code"]) == (409, "conflict")


def test_a_read_only_key_cannot_post_events(app, org, web, clock):
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='report', scopes=['read'])[1]}"}
    customers.add(app, org, NewCustomer(email="anna@example.com", external_id="K-17"))
    assert web.post("/api/v1/events", json=booking(clock), headers=read).status_code == 403
    assert count(app, t.HostEvent, org) == 0


def test_the_api_knows_every_event_type_the_service_takes():
    assert set(events.EventType.__args__) == set(events.host_events.EVENT_TYPES)
