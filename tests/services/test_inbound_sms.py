"""A reply by SMS: STOP and its forms opt the number out of SMS advertising; anything else, or a
number konsent does not know, changes nothing and tells nothing — on both databases."""

import base64
import hashlib
import hmac
import json
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from konsent.cli import app as cli
from konsent.cli import sms as sms_cli
from konsent.config import Settings, SmsSettings
from konsent.domain.ledger import EventType
from konsent.errors import InputError
from konsent.services import consents, customers, facts, inbound_sms, organisations, rights
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.services.inbound_sms import IGNORED, OPTED_OUT, Received
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.transports.sms_http import InboundSms, WebhookRejected

ANNA = "+4915123456789"
BIRTHDAY_SMS = facts.Asked(kind="birthday_greeting", channel="sms")
NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
SIGNED_FORM = {"document_hash": "ab" * 32}


def add_anna_with_consents(app, org):
    """Anna signed a paper form for SMS and for email: both are proven without DOI."""
    anna = customers.add(app, org, NewCustomer(email="anna.berg@example.com", phone=ANNA, first_name="Anna"))
    for channel in ("sms", "email"):
        consents.give(app, org, anna.id, ConsentDeclaration(channel=channel, source="paper_form",
                                                            evidence=SIGNED_FORM), actor="staff:mia")
    return anna


def verdict(app, org, customer_id, asked):
    _, decision = facts.decide_for(app, org, customer_id, asked)
    return decision.decision.value, decision.codes


def opted_out(app, org, customer_id):
    """The birthday SMS is denied for the objection first, and the consent is withdrawn too."""
    decision, codes = verdict(app, org, customer_id, BIRTHDAY_SMS)
    return decision == "deny" and codes[:2] == ("objection", "consent_withdrawn")


def reply(app, org, text, sender=ANNA, **fields):
    return inbound_sms.receive(app, org, InboundSms(sender=sender, text=text, **fields))


def footprint(app, org):
    """Everything an inbound SMS could write: ledger events, suppression entries, audit rows."""
    with app.db.unit_of_work() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))
            for table in (t.LedgerEvent, t.Suppression, t.AuditEntry)
        )


@pytest.mark.parametrize("text", ["STOP", "Stopp", "abmelden", " ABBESTELLEN ", "Halt", "ende", "Unsubscribe",
                                  "cancel", "Stop.", "STOPP!"])
def test_a_stop_word_withdraws_sms_consent_and_leaves_email_alone(app, org, text):
    anna = add_anna_with_consents(app, org)
    assert verdict(app, org, anna.id, BIRTHDAY_SMS)[0] == "allow"
    assert verdict(app, org, anna.id, NEWSLETTER)[0] == "allow"

    received = reply(app, org, text)

    assert received == Received(OPTED_OUT, text.strip(" .!").upper())
    assert opted_out(app, org, anna.id)
    assert verdict(app, org, anna.id, NEWSLETTER)[0] == "allow"
    assert customers.show(app, org, anna.id).suppressed == ["sms"]


def test_the_stop_is_in_the_ledger_as_a_withdrawal_and_an_objection_by_sms(app, org):
    anna = add_anna_with_consents(app, org)
    reply(app, org, "STOPP", provider_id="SM" + "cd" * 16)
    with app.db.unit_of_work() as session:
        *_, withdrawal, objection = ledger.events_of(session, org, anna.id)
        evidence = session.scalars(select(t.LedgerEvent.evidence).where(
            t.LedgerEvent.organisation_id == org, t.LedgerEvent.id == objection.id)).one()
        verified = ledger.verify(session, org)
    assert (withdrawal.type, withdrawal.data) == (EventType.CONSENT_WITHDRAWN,
                                                  {"channel": "sms", "purpose": "all", "via": "sms_stop"})
    assert (objection.type, objection.data) == (EventType.OBJECTION,
                                                {"channel": "sms", "scope": "advertising", "via": "sms_stop"})
    assert evidence["values"] == {"keyword": "STOPP", "provider_message_id": "SM" + "cd" * 16}
    assert verified.ok


def test_a_number_written_nationally_is_read_in_the_organisations_country(app, org):
    anna = add_anna_with_consents(app, org)
    reply(app, org, "STOP", sender="0151 23456789")
    assert opted_out(app, org, anna.id)


@pytest.mark.parametrize("text", ["Danke, bis morgen!", "STOP bitte erst nächste Woche", "", "stoppen", "START"])
def test_any_other_text_is_ignored_and_changes_nothing(app, org, text):
    anna = add_anna_with_consents(app, org)
    before = footprint(app, org)
    assert reply(app, org, text) == Received(IGNORED)
    assert footprint(app, org) == before
    assert verdict(app, org, anna.id, BIRTHDAY_SMS)[0] == "allow"


def test_a_number_no_customer_has_changes_nothing_and_is_answered_like_any_other(app, org):
    anna = add_anna_with_consents(app, org)
    before = footprint(app, org)
    unknown = reply(app, org, "STOP", sender="+4917612345678")
    assert footprint(app, org) == before
    assert verdict(app, org, anna.id, BIRTHDAY_SMS)[0] == "allow"
    assert unknown == reply(app, org, "STOP") == Received(OPTED_OUT, "STOP")  # Anna's own: the same answer


def test_a_stop_sent_to_another_organisation_does_not_touch_this_one(app, org):
    anna = add_anna_with_consents(app, org)
    other = organisations.create(app, slug=f"laden-{uuid.uuid4().hex[:8]}", name="Laden", jurisdiction="DE").id
    before = footprint(app, org)
    assert reply(app, other, "STOP") == Received(OPTED_OUT, "STOP")
    assert footprint(app, org) == before
    assert footprint(app, other) == (0, 0, 0)
    assert verdict(app, org, anna.id, BIRTHDAY_SMS)[0] == "allow"


def test_the_objection_outlives_erasure_and_follows_the_number(app, org):
    anna = add_anna_with_consents(app, org)
    reply(app, org, "STOP")
    rights.erase(app, org, anna.id, actor="staff:mia")
    again = customers.add(app, org, NewCustomer(phone=ANNA))
    consents.give(app, org, again.id, ConsentDeclaration(channel="sms", source="paper_form", evidence=SIGNED_FORM))
    assert verdict(app, org, again.id, BIRTHDAY_SMS) == ("deny", ("objection",))


def test_a_sender_that_is_no_phone_number_is_refused_naming_the_field(app, org):
    with pytest.raises(InputError) as error:
        reply(app, org, "STOP", sender="Salon")
    assert error.value.field == "from"


def with_sms(app, **settings):
    return Konsent(settings=Settings(data_dir=app.settings.data_dir, database=app.settings.database,
                                     sms=SmsSettings(**settings)), db=app.db, clock=app.clock)


def twilio_signature(token, url, form):
    signed = url + "".join(name + value for name, value in sorted(form.items()))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


TWILIO = {"provider": "twilio", "account": "AC" + "0" * 32, "token": "twilio-auth-token", "sender": "Salon"}


def test_a_signed_twilio_webhook_opts_the_number_out(app, org):
    anna = add_anna_with_consents(app, org)
    url = f"https://konsent.example/sms/inbound/{org}"
    form = {"MessageSid": "SM" + "ef" * 16, "From": ANNA, "To": "+4930123456", "Body": "Abmelden"}
    received = inbound_sms.receive_webhook(
        with_sms(app, **TWILIO), org, url=url, content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": twilio_signature("twilio-auth-token", url, form)},
        body=urlencode(form).encode(),
    )
    assert received == Received(OPTED_OUT, "ABMELDEN")
    assert opted_out(app, org, anna.id)


@pytest.mark.parametrize("settings", [
    TWILIO,
    {"provider": "file"},  # no provider: no webhook can be verified
])
def test_a_webhook_that_does_not_verify_changes_nothing(app, org, settings):
    anna = add_anna_with_consents(app, org)
    before = footprint(app, org)
    url = f"https://konsent.example/sms/inbound/{org}"
    form = {"From": ANNA, "Body": "STOP"}
    with pytest.raises(WebhookRejected):
        inbound_sms.receive_webhook(
            with_sms(app, **settings), org, url=url, content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": twilio_signature("a-guessed-token", url, form)},
            body=urlencode(form).encode(),
        )
    assert footprint(app, org) == before
    assert verdict(app, org, anna.id, BIRTHDAY_SMS)[0] == "allow"


def test_a_signed_json_webhook_opts_the_number_out(app, org):
    anna = add_anna_with_consents(app, org)
    body = json.dumps({"from": ANNA, "text": "stop", "id": "gw-in-1"}).encode()
    signature = "sha256=" + hmac.new(b"shared-secret", body, hashlib.sha256).hexdigest()
    received = inbound_sms.receive_webhook(
        with_sms(app, provider="webhook", url="https://gateway.example/sms", signing_secret="shared-secret"), org,
        url="https://konsent.example/sms/inbound", headers={"X-Konsent-Signature": signature},
        content_type="application/json", body=body,
    )
    assert received == Received(OPTED_OUT, "STOP")
    assert opted_out(app, org, anna.id)


def test_an_operator_passes_on_a_stop_from_the_command_line(app, org, monkeypatch):
    anna = add_anna_with_consents(app, org)
    monkeypatch.setattr(sms_cli, "app_from_env", lambda: app)  # this test's database and clock
    runner = CliRunner()
    result = runner.invoke(cli, ["sms", "inbound", "--org", org, "--from", ANNA, "--text", "Stopp", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"action": "opted_out", "keyword": "STOPP"}
    assert opted_out(app, org, anna.id)

    ignored = runner.invoke(cli, ["sms", "inbound", "--org", org, "--from", ANNA, "--text", "Danke"])
    assert (ignored.exit_code, ignored.stdout) == (0, "ignored: not a stop word (STOP, STOPP, ABMELDEN, ...); "
                                                      "nothing was stored\n")
    refused = runner.invoke(cli, ["sms", "inbound", "--org", org, "--from", "Salon", "--text", "STOP"])
    assert (refused.exit_code, refused.stderr) == (2, "konsent: from: not a phone number (use E.164, e.g. "
                                                      "+4915112345678)\n")
