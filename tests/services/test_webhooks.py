"""Webhooks out: announced in the transaction that caused them, signed as documented, retried,
given up after the last attempt, delivered once however many workers run — to a real HTTP server."""

import asyncio
import json
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from konsent.errors import InputError, NotFound
from konsent.services import consents, customers, doi, rights, webhook_delivery, webhooks
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from tests.webhook_receiver import receiver
from tests.worker.audience import autumn_template, deliver, mixed, schedule
from tests.worker.mailserver import mail_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
ANNA = {"email": "anna.schmidt@example.com", "phone": "+4915123456789", "first_name": "Anna", "last_name": "Schmidt"}


def documented_verify() -> Any:
    """The verification snippet of docs/webhooks.md, as a receiver would copy it."""
    snippet = re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)  # our own documentation, run as written
    return namespace["verify"]


def anna(app, org) -> str:
    return customers.add(app, org, NewCustomer(**ANNA)).id


def paper_consent(app, org, customer_id: str, channel: str = "email") -> str:
    return consents.give(app, org, customer_id, ConsentDeclaration(
        channel=channel, source="paper_form", evidence={"document_hash": "ab" * 32}))


def deliveries(app, org) -> list[t.WebhookDelivery]:
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.WebhookDelivery).where(t.WebhookDelivery.organisation_id == org)
                                    .order_by(t.WebhookDelivery.created_at, t.WebhookDelivery.id)))


def deliver_once(app, org, owner: str = "test-worker") -> webhook_delivery.Delivered:
    """One batch of the organisation's deliveries (tests share a database, never data)."""
    return asyncio.run(webhook_delivery.deliver_due(app, owner=owner, organisations=[org]))


# --- announced with what caused it -----------------------------------------------------------

def test_a_consent_is_announced_signed_and_the_documented_snippet_verifies_it(app, org, clock):
    with receiver() as hook:
        endpoint, secret = webhooks.create(app, org, url=hook.url)
        customer_id = anna(app, org)
        consent_id = paper_consent(app, org, customer_id)
        done = deliver_once(app, org)
    assert (done.claimed, done.delivered) == (1, 1)
    [request] = hook.received
    verify = documented_verify()
    now = clock().timestamp()
    assert verify(secret, request.headers["X-Konsent-Signature"], request.body, now=now)
    assert not verify(secret, request.headers["X-Konsent-Signature"], request.body + b" ", now=now)
    assert not verify("whsec_another", request.headers["X-Konsent-Signature"], request.body, now=now)
    assert not verify(secret, request.headers["X-Konsent-Signature"], request.body, now=now + 3600)  # replayed late
    body = request.document
    assert request.headers["X-Konsent-Event"] == "consent.changed"
    assert request.headers["X-Konsent-Delivery"] == body["id"] == deliveries(app, org)[0].id
    assert {k: v for k, v in body.items() if k not in ("id", "ledger_seq")} == {
        "event": "consent.changed", "organisation_id": org, "customer_id": customer_id, "type": "consent.given",
        "channel": "email", "purpose": "advertising", "scope": None, "consent_id": consent_id,
        "occurred_at": clock().isoformat()}
    assert endpoint.url == hook.url
    [row] = deliveries(app, org)
    assert (row.status, row.attempts, row.last_status, row.delivered_at) == ("delivered", 1, 200, clock())


def test_payloads_carry_ids_and_codes_but_no_personal_data(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused")
    customer_id = anna(app, org)
    paper_consent(app, org, customer_id)
    paper_consent(app, org, customer_id, channel="sms")
    consents.withdraw(app, org, customer_id, channel="sms")
    consents.object_to(app, org, customer_id, channel="email", evidence={"ip": "192.0.2.7"})
    rights.erase(app, org, customer_id, actor="staff:owner")
    rows = sorted(deliveries(app, org), key=lambda r: r.payload["ledger_seq"])
    assert [r.payload["type"] for r in rows] == [
        "consent.given", "consent.given", "consent.withdrawn", "objection.received", "consent.withdrawn",
        "customer.erased"]
    text = json.dumps([r.payload for r in rows])
    for personal in (*ANNA.values(), "4915123456789", "192.0.2.7"):
        assert personal not in text


def test_a_confirmation_names_the_channel_and_purpose_of_the_consent_it_confirms(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused", events=["consent.changed"])
    customer_id = anna(app, org)
    consent_id = consents.give(app, org, customer_id, ConsentDeclaration(channel="email", source="online_form"))
    requested = doi.request(app, org, customer_id, channel="email")
    with app.db.unit_of_work() as session:  # the link's token, as the mail carries it
        token = session.scalar(select(t.Message.body_text).where(t.Message.id == requested.message_id))
    link = re.search(r"/c/(\S+)", token or "")
    assert link is not None
    doi.confirm(app, link.group(1))
    confirmed = max((r.payload for r in deliveries(app, org)), key=lambda p: p["ledger_seq"])
    assert (confirmed["type"], confirmed["consent_id"]) == ("doi.confirmed", consent_id)
    assert (confirmed["channel"], confirmed["purpose"]) == ("email", "advertising")


def test_without_endpoints_nothing_is_written(app, org):
    customer_id = anna(app, org)
    paper_consent(app, org, customer_id)
    consents.object_to(app, org, customer_id)
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, people)
    with mail_server() as server:
        stats = deliver(app, org, server)
    assert stats.sent > 0
    assert deliveries(app, org) == []


def test_a_change_that_is_rolled_back_is_not_announced(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused")
    customer_id = anna(app, org)
    written = []

    def withdraw_then_fail() -> None:
        with app.db.unit_of_work() as session:
            ledger.append(session, org, [ledger.Draft(ledger.EventType.CONSENT_WITHDRAWN, customer_id, app.now(),
                                                      {"channel": "all", "purpose": "all"})], now=app.now())
            written.extend(session.scalars(select(t.WebhookDelivery.id).where(
                t.WebhookDelivery.organisation_id == org)))
            raise RuntimeError("the transaction fails after the append")

    with pytest.raises(RuntimeError):
        withdraw_then_fail()
    assert len(written) == 1  # written with the event …
    assert deliveries(app, org) == []  # … and gone with it


def test_a_complaint_alone_is_not_a_consent_change(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused")
    customer_id = anna(app, org)
    consents.complaint(app, org, customer_id, asked_to_stop=False)
    assert deliveries(app, org) == []


def test_an_endpoint_hears_only_the_events_it_asked_for_and_each_endpoint_gets_its_own(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/messages", events=["message.sent"])
    webhooks.create(app, org, url="http://127.0.0.1:9/everything")
    paper_consent(app, org, anna(app, org))
    [row] = deliveries(app, org)
    with app.db.unit_of_work() as session:
        assert session.get_one(t.WebhookEndpoint, row.endpoint_id).url.endswith("/everything")


def test_message_outcomes_are_announced_with_reason_codes_and_without_addresses(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused", events=["message.sent", "message.withheld"])
    autumn_template(app, org)
    people = mixed(app, org)
    queued = schedule(app, org, people)
    with mail_server() as server:
        stats = deliver(app, org, server)
    rows = deliveries(app, org)
    by_message = {r.payload["message_id"]: r.payload for r in rows}
    assert len(rows) == stats.sent + stats.withheld == len(people)
    assert by_message[queued["anna"]]["event"] == "message.sent"
    assert by_message[queued["anna"]]["reasons"] == []
    emil = by_message[queued["emil"]]
    assert (emil["event"], emil["status"], emil["customer_id"]) == ("message.withheld", "withheld", people["emil"])
    assert "objection" in emil["reasons"]
    assert "@example.com" not in json.dumps([r.payload for r in rows])


# --- delivery: retries, giving up, many workers ------------------------------------------------

def test_a_delivery_answered_with_500_is_tried_again_later_and_then_delivered(app, org, clock):
    with receiver(500, 200) as hook:
        webhooks.create(app, org, url=hook.url)
        paper_consent(app, org, anna(app, org))
        first = deliver_once(app, org)
        [row] = deliveries(app, org)
        assert (first.retrying, row.status, row.attempts, row.last_status) == (1, "pending", 1, 500)
        assert row.last_error == "answered HTTP 500"
        assert timedelta(seconds=15) <= row.next_attempt_at - clock() <= timedelta(seconds=30)
        assert deliver_once(app, org).claimed == 0  # not due yet
        clock.advance(seconds=31)
        second = deliver_once(app, org)
    assert second.delivered == 1
    [row] = deliveries(app, org)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("delivered", 2, 200, None)
    assert hook.deliveries() == {row.id: 2}  # the same delivery id both times: the receiver can dedupe


def test_a_delivery_is_given_up_after_the_last_attempt(app, org, clock):
    with receiver(503) as hook:
        webhooks.create(app, org, url=hook.url)
        paper_consent(app, org, anna(app, org))
        waits = []
        for _ in range(webhook_delivery.MAX_ATTEMPTS):
            assert deliver_once(app, org).claimed == 1
            [row] = deliveries(app, org)
            if row.status == "pending":
                waits.append(row.next_attempt_at - clock())
                clock.advance(days=1)
        assert deliver_once(app, org).claimed == 0
    [row] = deliveries(app, org)
    assert (row.status, row.attempts) == ("failed", webhook_delivery.MAX_ATTEMPTS)
    assert row.last_error.startswith(f"gave up after {webhook_delivery.MAX_ATTEMPTS} attempts")
    assert len(hook.received) == webhook_delivery.MAX_ATTEMPTS
    # Doubling from about 30 s, with jitter of at most half a step, and never more than a day.
    assert all(timedelta(seconds=15 * 2 ** n) <= wait <= timedelta(seconds=30 * 2 ** n)
               for n, wait in enumerate(waits))
    assert max(waits) <= timedelta(days=1)


def test_an_unreachable_endpoint_counts_as_a_failed_attempt(app, org):
    webhooks.create(app, org, url="http://127.0.0.1:9/nobody-listens")
    paper_consent(app, org, anna(app, org))
    assert deliver_once(app, org).retrying == 1
    [row] = deliveries(app, org)
    assert row.last_status is None
    assert row.last_error.startswith("could not reach the endpoint")


def test_two_workers_side_by_side_deliver_every_delivery_exactly_once(app, org, clock):
    with receiver() as hook:
        webhooks.create(app, org, url=hook.url)
        for number in range(12):
            customer_id = customers.add(app, org, NewCustomer(email=f"k{number}@example.com")).id
            paper_consent(app, org, customer_id)
            consents.withdraw(app, org, customer_id)
        total = len(deliveries(app, org))
        start = threading.Barrier(2)
        done: dict[str, int] = {}

        def work(owner: str) -> None:
            start.wait()
            delivered = 0
            while (batch := asyncio.run(webhook_delivery.deliver_due(
                    app, owner=owner, limit=3, organisations=[org]))).claimed:
                delivered += batch.delivered
            done[owner] = delivered

        threads = [threading.Thread(target=work, args=(name,)) for name in ("worker-a", "worker-b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert total == 24
    assert hook.deliveries() == {row.id: 1 for row in deliveries(app, org)}
    assert sum(done.values()) == total
    assert {row.status for row in deliveries(app, org)} == {"delivered"}


def test_a_worker_that_stopped_answering_loses_its_deliveries_to_another_after_the_lease(app, org, clock):
    webhooks.create(app, org, url="http://127.0.0.1:9/unused")
    paper_consent(app, org, anna(app, org))
    with app.db.unit_of_work() as session:
        [held] = webhook_delivery.claim(session, "gone", now=app.now(), organisations=[org])
    with app.db.unit_of_work() as session:
        assert webhook_delivery.claim(session, "other", now=app.now(), organisations=[org]) == []  # still leased
    clock.advance(seconds=webhook_delivery.LEASE.total_seconds() + 1)
    with app.db.unit_of_work() as session:
        [taken] = webhook_delivery.claim(session, "other", now=app.now(), organisations=[org])
    assert (taken.id, taken.attempts) == (held.id, 2)
    late = webhook_delivery.Answer(held, 200, None)
    with app.db.unit_of_work() as session:
        counted = webhook_delivery.record(session, "gone", [late], now=app.now())
    assert counted.delivered == 0  # the first worker's late answer is not written over the second's lease
    assert deliveries(app, org)[0].lease_owner == "other"


# --- endpoints -------------------------------------------------------------------------------

def test_deleting_an_endpoint_gives_up_what_was_waiting_for_it(app, org):
    endpoint, _ = webhooks.create(app, org, url="http://127.0.0.1:9/unused")
    paper_consent(app, org, anna(app, org))
    webhooks.delete(app, org, endpoint.id)
    [row] = deliveries(app, org)
    assert (row.status, row.last_error) == ("failed", "the endpoint was deleted")
    assert webhooks.listed(app, org) == []
    paper_consent(app, org, customers.add(app, org, NewCustomer(email="bea@example.com")).id)
    assert len(deliveries(app, org)) == 1


def test_another_organisations_endpoint_is_not_found(app, org):
    from konsent.services import organisations  # noqa: PLC0415

    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="AT").id
    endpoint, _ = webhooks.create(app, other, url="http://127.0.0.1:9/other")
    with pytest.raises(NotFound):
        webhooks.get(app, org, endpoint.id)
    with pytest.raises(NotFound):
        webhooks.delete(app, org, endpoint.id)
    assert webhooks.listed(app, org) == []


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/hook", "must be an http or https URL with a host"),
    ("https:///no-host", "must be an http or https URL with a host"),
    ("https://user:pw@example.com/hook", "must not carry a user name or password"),
    ("https://example.com/a hook", "must not contain spaces"),
    ("https://example.com:99999/hook", "is not a valid URL"),
    ("https://example.com/" + "x" * 2000, "is longer than 2000 characters"),
])
def test_a_url_that_is_not_a_plain_http_url_is_refused_naming_the_field(url, message):
    with pytest.raises(InputError) as refused:
        webhooks.checked_url(url, development=True)
    assert refused.value.field == "url"
    assert refused.value.message.startswith(message)


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook",
    "https://192.168.0.10/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://100.64.0.1/hook",
])
def test_outside_development_only_https_to_public_addresses_is_accepted(url):
    with pytest.raises(InputError) as refused:
        webhooks.checked_url(url, development=False)
    assert refused.value.field == "url"


def test_outside_development_a_public_https_address_is_accepted():
    assert webhooks.checked_url("https://93.184.215.14/hook", development=False) == "https://93.184.215.14/hook"


def test_outside_development_a_delivery_to_a_private_address_is_refused_before_connecting(app, org):
    with receiver() as hook:
        webhooks.create(app, org, url=hook.url)  # made in development …
        paper_consent(app, org, anna(app, org))
        app.settings = app.settings.model_copy(update={"environment": "production"})
        assert deliver_once(app, org).retrying == 1  # … delivered in production: not to loopback
    assert hook.received == []
    assert deliveries(app, org)[0].last_error == "must point to a public address, not to a private or local network"


def test_unknown_events_are_refused_by_name(app, org):
    with pytest.raises(InputError) as refused:
        webhooks.create(app, org, url="http://127.0.0.1:9/", events=["consent.changed", "message.opened"])
    assert refused.value.field == "events[1]"
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(t.WebhookEndpoint)
                              .where(t.WebhookEndpoint.organisation_id == org)) == 0
