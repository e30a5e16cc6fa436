"""End to end, on SQLite and PostgreSQL, against a real SMTP server: the worker decides every row
again, sends exactly to those the law allows, and logs each message with the decision behind it."""

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from konsent.services import consents, facts, outbox, unsubscribe
from konsent.storage import tables as t
from konsent.web.app import create_app
from tests.worker.audience import ALLOWED, DENIED, OFFER, autumn_template, deliver, mixed, schedule
from tests.worker.mailserver import mail_server


def rows(app, org) -> dict[str, t.OutboxItem]:
    with app.db.unit_of_work() as session:
        return {row.id: row for row in session.scalars(select(t.OutboxItem).where(t.OutboxItem.organisation_id == org))}


def messages(app, org) -> dict[str, t.Message]:
    with app.db.unit_of_work() as session:
        return {m.id: m for m in session.scalars(select(t.Message).where(t.Message.organisation_id == org))}


def test_a_campaign_reaches_exactly_the_recipients_the_law_allows(app, org):
    autumn_template(app, org)
    people = mixed(app, org)
    queued = schedule(app, org, people)
    with mail_server() as server:
        stats = deliver(app, org, server)
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}
    assert (stats.sent, stats.withheld, stats.failed) == (len(ALLOWED), len(DENIED), 0)
    states = {name: rows(app, org)[queued[name]].status for name in people}
    assert states == {name: outbox.SENT if name in ALLOWED else outbox.WITHHELD for name in people}


def test_each_received_message_parses_and_carries_the_one_click_headers(app, org):
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, {"anna": people["anna"], "dora": people["dora"]})
    with mail_server() as server:
        deliver(app, org, server)
    for received in server.received:
        mail = received.mail
        assert mail["Subject"] == f"Herbst bei uns, {received.recipient.split('@')[0].title()}"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(r"<http://127\.0\.0\.1:8000/u/[\w.-]+>", mail["List-Unsubscribe"])
        assert mail.get_content_type() == "multipart/alternative"
        text = mail.get_body(("plain",)).get_content()
        assert "Sie können der Verwendung Ihrer Kontaktdaten für Werbung jederzeit widersprechen" in text
        assert "Salon Sonnenschein, Hauptstraße 1, 10115 Berlin" in text
        assert mail["Message-ID"]
        assert mail["Date"]


def test_the_unsubscribe_link_of_a_received_message_withdraws_the_consent(app, org, clock):
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, {"anna": people["anna"]})
    with mail_server() as server:
        deliver(app, org, server)
    [received] = server.received
    token = received.mail["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1]
    clock.advance(minutes=5)
    done = unsubscribe.one_click(app, token, evidence={"ip": "192.0.2.7"})
    assert (done.customer_id, done.channel) == (people["anna"], "email")
    clock.advance(minutes=1)
    _, decision = facts.decide_for(app, org, people["anna"], OFFER)
    assert not decision.allowed
    assert "objection" in decision.codes


def test_posting_one_click_to_the_url_of_a_received_message_withdraws_the_consent(app, org, clock):
    """RFC 8058 as a mailbox provider does it: a POST to the List-Unsubscribe URL, no cookie, no login."""
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, {"anna": people["anna"]})
    with mail_server() as server:
        deliver(app, org, server)
    [received] = server.received
    url = urlsplit(received.mail["List-Unsubscribe"].strip("<>"))
    clock.advance(minutes=5)
    with TestClient(create_app(app), follow_redirects=False) as provider:
        answer = provider.post(url.path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert not provider.cookies
    clock.advance(minutes=1)
    _, decision = facts.decide_for(app, org, people["anna"], OFFER)
    assert not decision.allowed
    assert "objection" in decision.codes


def test_each_message_is_logged_with_recipient_template_version_decision_and_times(app, org):
    template = autumn_template(app, org)
    people = mixed(app, org)
    queued = schedule(app, org, people)
    with mail_server() as server:
        deliver(app, org, server)
    log = messages(app, org)
    sent = log[queued["anna"]]
    assert (sent.status, sent.kind, sent.channel) == ("sent", "product_ad", "email")
    assert sent.to_address == "anna@example.com"
    assert sent.template_id == template.id
    assert sent.outbox_id == queued["anna"]
    assert (sent.decision["decision"], sent.decision["basis"]) == ("allow", "consent")
    assert sent.decision["rule_pack"]
    assert sent.decision["reasons"][0]["code"]
    assert set(sent.states) == {"queued", "in_flight", "sent"}
    assert sent.transport_id == f"<{sent.id}@localhost>"  # the From domain (settings.smtp.sender)
    assert sent.sent_at is not None
    assert "Hallo Anna" in sent.body_text
    assert log[queued["dora"]].decision["basis"] == "existing_customer"
    withheld = log[queued["bruno"]]
    assert (withheld.status, withheld.decision["decision"]) == ("withheld", "deny")
    assert withheld.to_address is None
    assert withheld.body_text is None
    assert "consent_withdrawn" in withheld.error
    assert rows(app, org)[queued["bruno"]].last_error == withheld.error


def test_a_withdrawal_after_scheduling_withholds_the_message_with_its_reason(app, org, clock):
    autumn_template(app, org)
    people = mixed(app, org)
    queued = schedule(app, org, {"anna": people["anna"], "gert": people["gert"]})
    assert rows(app, org)[queued["gert"]].decision["decision"] == "allow"  # when it was scheduled
    clock.advance(minutes=10)
    consents.withdraw(app, org, people["gert"], channel="email")
    clock.advance(minutes=1)
    with mail_server() as server:
        deliver(app, org, server)
    assert server.counts() == {"anna@example.com": 1}
    row = rows(app, org)[queued["gert"]]
    assert row.status == outbox.WITHHELD
    assert row.last_error.startswith("denied when sending: consent_withdrawn")


def test_running_the_worker_again_sends_nothing_twice_but_a_new_campaign_goes(app, org):
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, people)
    with mail_server() as server:
        deliver(app, org, server)
        again = deliver(app, org, server)
        assert again.claimed == 0
        assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}
        schedule(app, org, people)
        deliver(app, org, server)
    assert server.counts() == {f"{name}@example.com": 2 for name in ALLOWED}


def test_scheduling_the_same_campaign_twice_queues_each_recipient_once(app, org):
    autumn_template(app, org)
    people = mixed(app, org)
    schedule(app, org, people, campaign="spring")
    schedule(app, org, people, campaign="spring")
    with mail_server() as server:
        deliver(app, org, server)
    assert server.counts() == {f"{name}@example.com": 1 for name in ALLOWED}


def test_a_message_without_a_template_fails_and_says_which(app, org):
    people = mixed(app, org)
    queued = schedule(app, org, {"anna": people["anna"]}, template_key="missing")
    with mail_server() as server:
        stats = deliver(app, org, server)
    assert stats.failed == 1
    assert server.received == []
    assert rows(app, org)[queued["anna"]].last_error == "no template 'missing' for email"
