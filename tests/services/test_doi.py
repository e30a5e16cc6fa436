"""Double opt-in, end to end: the mail goes out through a real SMTP server (or the outbox), the
person follows the link or types the code, and the engine then allows on the basis of consent."""

import base64
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from itsdangerous import Signer
from sqlalchemy import func, select

from konsent import tokens
from konsent.config import SmtpSettings
from konsent.domain.ledger import EventType
from konsent.errors import Conflict, InputError, RateLimited
from konsent.services import consents, customers, doi, facts, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from tests.transports.smtp_server import smtp_server, text_of

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
SIGNUP = {"ip": "192.0.2.7", "user_agent": "Firefox/140", "page_url": "https://salon.example/newsletter"}
LINK = re.compile(r"http://127\.0\.0\.1:8000/c/(\S+)")


def add_anna(app, org, **fields):
    return customers.add(app, org, NewCustomer(
        email="anna.berg@example.com", phone="+4915123456789", first_name="Anna", **fields))


def sign_up(app, org, customer, channel="email", **fields):
    return consents.give(app, org, customer, ConsentDeclaration(
        channel=channel, source="online_form", evidence={"ip": "192.0.2.7"}, **fields))


def with_smtp(app, port):
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="Salon <no-reply@salon.example>")
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"smtp": smtp}))


def outbox(app, suffix):
    return sorted((app.settings.data_dir / "outbox").glob(f"*{suffix}"))


def token_in(text):
    return LINK.search(text).group(1)


def read_mail(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def token_in_outbox(app):
    [path] = outbox(app, ".eml")
    return token_in(text_of(read_mail(path), "plain"))


def events(app, org, customer, kind):
    with app.db.unit_of_work() as session:
        return [e for e in ledger.events_of(session, org, customer) if e.type is kind]


def count(app, table, org):
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))


def test_the_mail_arrives_and_its_link_makes_the_newsletter_lawful(app, org, clock):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id)
    assert "unconfirmed_consent" in facts.decide_for(app, org, anna.id, NEWSLETTER)[1].codes

    with smtp_server() as inbox:
        requested = doi.request(with_smtp(app, inbox.port), org, anna.id, channel="email", evidence=SIGNUP)
    assert (requested.status, requested.consent_id) == ("sent", consent_id)
    [mail] = inbox.messages()
    assert inbox.received[0].rcpt_tos == ["anna.berg@example.com"]

    clock.advance(minutes=4)
    confirmed = doi.confirm(app, token_in(text_of(mail, "plain")), evidence={"ip": "198.51.100.4"})
    assert (confirmed.status, confirmed.consent_id, confirmed.confirmed_at) == ("confirmed", consent_id, clock())

    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert (decision.decision.value, decision.basis.value) == ("allow", "consent")


def test_the_request_and_the_confirmation_keep_their_evidence(app, org, clock):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id)
    requested = doi.request(app, org, anna.id, channel="email", evidence=SIGNUP)
    clock.advance(hours=1)
    doi.confirm(app, token_in_outbox(app), evidence={"ip": "198.51.100.4", "user_agent": "Safari"})

    with app.db.unit_of_work() as session:
        rows = {row.type: row for row in session.scalars(select(t.LedgerEvent).where(
            t.LedgerEvent.organisation_id == org, t.LedgerEvent.type.in_(["doi.requested", "doi.confirmed"])))}
        assert rows["doi.requested"].evidence["values"] == SIGNUP
        assert rows["doi.confirmed"].evidence["values"] == {"ip": "198.51.100.4", "user_agent": "Safari"}
        assert json.loads(rows["doi.requested"].body)["data"] == {
            "consent_id": consent_id, "request_id": requested.request_id, "channel": "email",
            "expires_at": "2026-11-27T09:00:00+00:00", "message_id": requested.message_id,
        }
        assert json.loads(rows["doi.confirmed"].body)["data"] == {
            "consent_id": consent_id, "request_id": requested.request_id}
        assert ledger.verify(session, org).ok


def test_the_stored_message_is_what_the_server_received(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    with smtp_server() as inbox:
        requested = doi.request(with_smtp(app, inbox.port), org, anna.id, channel="email")
    [mail] = inbox.messages()
    with app.db.unit_of_work() as session:
        stored = session.get(t.Message, requested.message_id)
    assert (stored.kind, stored.channel, stored.status, stored.sent_at) == (
        "doi_confirmation", "email", "sent", app.now())
    assert stored.to_address == mail["To"] == "anna.berg@example.com"
    assert stored.subject == mail["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung bei Salon Sonnenschein"
    assert stored.body_text == text_of(mail, "plain")
    assert stored.body_html == text_of(mail, "html")
    assert stored.transport_id == mail["Message-ID"]
    assert (stored.decision["decision"], stored.decision["basis"]) == ("allow", "doi_request")
    assert stored.decision["reasons"][0]["code"] == "pending_signup"


def test_the_message_says_who_asks_to_confirm_what_until_when_in_german(app, org):
    anna = add_anna(app, org)
    text = consents.consent_text(app, org, key="newsletter", locale="de", title="Salon-Newsletter",
                                 body="Ja, ich möchte den Newsletter per E-Mail erhalten.")
    sign_up(app, org, anna.id, purpose="newsletter", text_version_id=text.id)
    doi.request(app, org, anna.id, channel="email")
    [path] = outbox(app, ".eml")
    with app.db.unit_of_work() as session:
        body = session.scalar(select(t.Message.body_text).where(t.Message.organisation_id == org))
    assert body.startswith("Hallo Anna,\n")
    assert "bei Salon Sonnenschein für unseren Newsletter per E-Mail angemeldet („Salon-Newsletter“)" in body
    assert "Der Link gilt bis 27.11.2026, 10:00 Uhr." in body  # Berlin time
    assert body.endswith("Salon Sonnenschein\nHauptstraße 1, 10115 Berlin\n")
    assert text_of(read_mail(path), "plain") == body  # the outbox holds what was stored


def test_the_message_is_in_english_for_an_english_speaking_customer(app, org):
    anna = add_anna(app, org, locale="en")
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    with app.db.unit_of_work() as session:
        stored = session.scalar(select(t.Message).where(t.Message.organisation_id == org))
    assert stored.subject == "Please confirm your sign-up with Salon Sonnenschein"
    assert "You signed up with Salon Sonnenschein for advertising by email." in stored.body_text
    assert "The link is valid until 27 November 2026, 10:00." in stored.body_text
    assert '<a href="http://127.0.0.1:8000/c/' in stored.body_html


@pytest.mark.parametrize(("locale", "channel", "expected"), [
    ("de", "email", ["Bitte bestätigen Sie Ihre Anmeldung", "Werbung per E-Mail", "27.11.2026, 10:00 Uhr"]),
    ("en", "email", ["Please confirm your sign-up", "advertising by email", "27 November 2026, 10:00"]),
    ("de", "sms", ["Ihr Code", "Werbung per SMS", "gültig bis 27.11.2026"]),
    ("en", "sms", ["your code", "advertising by text message", "valid until 27 November 2026"]),
])
def test_each_language_and_channel_has_its_template(app, org, locale, channel, expected):
    anna = add_anna(app, org, locale=locale)
    sign_up(app, org, anna.id, channel=channel)
    requested = doi.request(app, org, anna.id, channel=channel)
    with app.db.unit_of_work() as session:
        stored = session.get(t.Message, requested.message_id)
    whole = f"{stored.subject or ''}\n{stored.body_text}\n{stored.body_html or ''}"
    for words in [*expected, "Salon Sonnenschein", "http://127.0.0.1:8000/c/"]:
        assert words in whole
    assert "{" not in whole
    assert (stored.subject is None) is (channel == "sms")


def test_html_in_the_organisation_name_is_escaped_in_the_html_part(app):
    org = organisations.create(app, slug=f"x-{uuid.uuid4().hex[:8]}", name="Bits <b>& Bytes</b>",
                               jurisdiction="DE").id
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    with app.db.unit_of_work() as session:
        stored = session.scalar(select(t.Message).where(t.Message.organisation_id == org))
    assert "Bits &lt;b&gt;&amp; Bytes&lt;/b&gt;" in stored.body_html
    assert "<b>" not in stored.body_html


def test_confirming_twice_is_harmless(app, org, clock):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    token = token_in_outbox(app)
    first = doi.confirm(app, token)
    clock.advance(hours=2)
    again = doi.confirm(app, token)
    assert (first.status, again.status) == ("confirmed", "already_confirmed")
    assert again.confirmed_at == first.confirmed_at
    assert len(events(app, org, anna.id, EventType.DOI_CONFIRMED)) == 1


def test_an_expired_link_changes_nothing(app, org, clock):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    requested = doi.request(app, org, anna.id, channel="email")
    clock.advance(days=8)
    with pytest.raises(tokens.TokenExpired) as expired:
        doi.confirm(app, token_in_outbox(app))
    assert "abgelaufen" in expired.value.text("de")
    assert events(app, org, anna.id, EventType.DOI_CONFIRMED) == []
    with app.db.unit_of_work() as session:
        assert session.get(t.DoiRequest, requested.request_id).confirmed_at is None
    assert "unconfirmed_consent" in facts.decide_for(app, org, anna.id, NEWSLETTER)[1].codes


@pytest.mark.parametrize("forgery", ["bad_signature", "foreign_key", "other_purpose", "garbage", "empty"])
def test_a_forged_link_changes_nothing(app, org, forgery):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    requested = doi.request(app, org, anna.id, channel="email")
    genuine = token_in_outbox(app)
    with app.db.unit_of_work() as session:
        secret = organisations.get(session, org).secret
        expires_at = session.get(t.DoiRequest, requested.request_id).expires_at
    payload, _, signature = genuine.partition(".")
    forged = {
        "bad_signature": f"{payload}.{signature[::-1]}",
        "foreign_key": tokens.issue("ab" * 32, tokens.DOI, organisation_id=org, subject=requested.request_id,
                                    expires_at=expires_at),
        "other_purpose": tokens.issue(secret, tokens.UNSUBSCRIBE, organisation_id=org,
                                      subject=requested.request_id, expires_at=expires_at),
        "garbage": "bm90IGEgdG9rZW4.c2lnbmF0dXJl",
        "empty": "",
    }[forgery]
    with pytest.raises(tokens.TokenInvalid):
        doi.confirm(app, forged)
    assert events(app, org, anna.id, EventType.DOI_CONFIRMED) == []


def test_the_link_reveals_neither_the_address_nor_the_customer(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    token = token_in_outbox(app)
    payload = token.partition(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    for secret in ("anna", "example.com", anna.id, anna.id.replace("-", ""), uuid.UUID(anna.id).hex):
        assert secret not in token
        assert secret.encode() not in decoded
    assert uuid.UUID(anna.id).bytes not in decoded
    assert len(token) < 100  # short enough for an SMS


@pytest.mark.parametrize("organisation_id", [
    "f8000000-0000-4000-8000-000000000000",  # bare base64 of these bytes starts with "-"
    "fbffffff-ffff-4fff-bfff-ffffffffffff",
    "00000000-0000-4000-8000-000000000000",
])
def test_no_token_starts_like_a_command_line_option(organisation_id):
    token = tokens.issue("ab" * 32, tokens.DOI, organisation_id=organisation_id, subject=organisation_id,
                         expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert not token.startswith("-")
    assert tokens.organisation_of(token) == organisation_id
    assert tokens.verify("ab" * 32, tokens.DOI, token, now=datetime(2029, 1, 1, tzinfo=UTC)) == organisation_id


@pytest.mark.parametrize("purpose", [tokens.DOI, tokens.UNSUBSCRIBE, tokens.PREFERENCES])
def test_a_token_is_signed_exactly_as_itsdangerous_signs_it(purpose):
    # issue() signs with a kept key; links already sent were signed by itsdangerous itself.
    secret, organisation_id, subject = "cd" * 32, str(uuid.uuid4()), str(uuid.uuid4())
    token = tokens.issue(secret, purpose, organisation_id=organisation_id, subject=subject,
                         expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    packed = token.partition(".")[0].encode()
    assert token == Signer(bytes.fromhex(secret), salt=f"konsent.{purpose}", key_derivation="hmac",
                           digest_method=hashlib.sha256).sign(packed).decode()
    assert tokens.verify(secret, purpose, token, now=datetime(2029, 1, 1, tzinfo=UTC)) == subject


def test_the_fourth_request_to_one_address_in_a_day_is_refused(app, org, clock):
    anna = add_anna(app, org)
    for _ in range(3):
        sign_up(app, org, anna.id)
        doi.request(app, org, anna.id, channel="email")
        clock.advance(hours=1)
    sign_up(app, org, anna.id)
    with pytest.raises(RateLimited) as limited:
        doi.request(app, org, anna.id, channel="email")
    assert "anna" not in str(limited.value)
    assert count(app, t.DoiRequest, org) == 3
    assert count(app, t.Message, org) == 3
    assert len(events(app, org, anna.id, EventType.DOI_REQUESTED)) == 3

    clock.advance(hours=22)  # the first request is now more than a day old
    assert doi.request(app, org, anna.id, channel="email").status == "sent"


def test_a_sign_up_gets_one_request_only(app, org):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    with pytest.raises(Conflict, match="consent_id"):
        doi.request(app, org, anna.id, channel="email", consent_id=consent_id)
    assert count(app, t.DoiRequest, org) == 1


def test_a_sign_up_older_than_seven_days_gets_no_request(app, org, clock):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    clock.advance(days=8)
    with pytest.raises(doi.DoiRefused) as refused:
        doi.request(app, org, anna.id, channel="email")
    assert refused.value.decision.codes == ("no_pending_signup",)
    assert (count(app, t.DoiRequest, org), count(app, t.Message, org)) == (0, 0)
    assert outbox(app, ".eml") == []


def test_without_a_sign_up_there_is_nothing_to_confirm(app, org):
    anna = add_anna(app, org)
    with pytest.raises(doi.DoiRefused) as refused:
        doi.request(app, org, anna.id, channel="email")
    assert refused.value.decision.codes == ("no_pending_signup",)


def test_a_failed_delivery_is_recorded_and_may_be_tried_again(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    with smtp_server(refuse_recipient="550 5.1.1 Mailbox unavailable") as inbox:
        failed = doi.request(with_smtp(app, inbox.port), org, anna.id, channel="email")
    assert (failed.status, failed.permanent) == ("failed", True)
    with app.db.unit_of_work() as session:
        stored = session.get(t.Message, failed.message_id)
        assert (stored.status, stored.sent_at, stored.error) == ("failed", None, "smtp: the server refused the "
                                                                  "recipient ([550])")
    assert len(events(app, org, anna.id, EventType.DOI_REQUESTED)) == 1  # the attempt is part of the record
    assert doi.request(app, org, anna.id, channel="email").status == "sent"


def test_the_sms_code_confirms_the_sign_up(app, org, clock):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id, channel="sms")
    requested = doi.request(app, org, anna.id, channel="sms", evidence=SIGNUP)
    [sms] = outbox(app, ".txt")
    text = sms.read_text(encoding="utf-8")
    assert text.startswith("To: +4915123456789\n")
    code = re.search(r"Code (\d{6}) ", text).group(1)
    with app.db.unit_of_work() as session:
        stored = session.get(t.DoiRequest, requested.request_id)
        assert code not in stored.code_hash
        assert session.get(t.Message, requested.message_id).body_text == text.split("\n\n", 1)[1]

    clock.advance(minutes=2)
    confirmed = doi.confirm_code(app, org, "+4915123456789", f" {code} ")
    assert (confirmed.status, confirmed.consent_id) == ("confirmed", consent_id)
    assert doi.confirm_code(app, org, anna.id, code).status == "already_confirmed"
    _, decision = facts.decide_for(app, org, anna.id, facts.Asked(kind="newsletter", channel="sms"))
    assert (decision.decision.value, decision.basis.value) == ("allow", "consent")


def test_wrong_codes_lock_the_code_but_not_the_link(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id, channel="sms")
    doi.request(app, org, anna.id, channel="sms")
    [sms] = outbox(app, ".txt")
    text = sms.read_text(encoding="utf-8")
    code = re.search(r"Code (\d{6}) ", text).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(doi.CODE_ATTEMPTS):
        with pytest.raises(InputError) as error:
            doi.confirm_code(app, org, anna.id, wrong)
        assert error.value.field == "code"
    with pytest.raises(RateLimited):
        doi.confirm_code(app, org, anna.id, code)  # even the right code: the guessing budget is spent
    assert events(app, org, anna.id, EventType.DOI_CONFIRMED) == []
    assert doi.confirm(app, token_in(text)).status == "confirmed"


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", ""])
def test_a_malformed_code_is_refused_without_counting(app, org, code):
    with pytest.raises(InputError) as error:
        doi.confirm_code(app, org, "anyone", code)
    assert error.value.field == "code"


def test_a_withdrawn_sign_up_cannot_be_confirmed(app, org, clock):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    clock.advance(minutes=10)
    consents.unsubscribe(app, org, anna.id, channel="email")
    with pytest.raises(doi.SignupWithdrawn):
        doi.confirm(app, token_in_outbox(app))
    assert events(app, org, anna.id, EventType.DOI_CONFIRMED) == []


def test_overdue_requests_expire_once(app, org, clock):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id)
    requested = doi.request(app, org, anna.id, channel="email")
    assert doi.expire_overdue(app) == 0
    clock.advance(days=7, seconds=1)
    assert doi.expire_overdue(app) >= 1  # other tests' organisations may have overdue requests too
    assert doi.expire_overdue(app) == 0
    [expired] = events(app, org, anna.id, EventType.DOI_EXPIRED)
    assert expired.data == {"consent_id": consent_id, "request_id": requested.request_id}
    assert expired.occurred_at == requested.expires_at
    with app.db.unit_of_work() as session:
        [signup] = ledger.load_state(session, org, anna.id).consents
    assert signup.doi_expired_at == requested.expires_at


def test_a_line_break_in_the_organisation_name_is_refused_and_nothing_is_written(app, org):
    # organisations.create refuses such a name; a row written before that check must not slip through either
    with app.db.unit_of_work() as session:
        session.get(t.Organisation, org).name = "Salon\r\nBcc: everyone@example.com"
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    with pytest.raises(InputError) as error:
        doi.request(app, org, anna.id, channel="email")
    assert error.value.field == "organisation.name"
    assert (count(app, t.DoiRequest, org), count(app, t.Message, org)) == (0, 0)
    assert events(app, org, anna.id, EventType.DOI_REQUESTED) == []


@pytest.mark.parametrize(("arguments", "field"), [
    ({"channel": "post"}, "channel"),
    ({"channel": "email", "evidence": {"password": "x"}}, "evidence.password"),
    ({"channel": "email", "consent_id": "00000000-0000-4000-8000-000000000000"}, "consent_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(app, org, arguments, field):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    with pytest.raises(InputError) as error:
        doi.request(app, org, anna.id, **arguments)
    assert error.value.field == field
    assert count(app, t.DoiRequest, org) == 0


def test_a_customer_without_a_phone_number_gets_no_sms(app, org):
    bea = customers.add(app, org, NewCustomer(email="bea@example.com"))
    with pytest.raises(InputError) as error:
        doi.request(app, org, bea.id, channel="sms")
    assert error.value.field == "channel"


# --- the command line -----------------------------------------------------------------------


def konsent(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KONSENT__DATA_DIR": str(tmp_path),
           "KONSENT__DATABASE__URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("KONSENT__SMTP__HOST", None)
    return subprocess.run([sys.executable, "-m", "konsent", *args], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def test_the_command_line_requests_and_confirms(tmp_path):
    def ok(*args):
        result = konsent(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if "--json" in args else result.stdout

    ok("org", "create", "salon-cli", "--name", "Salon Sonnenschein", "--json")
    ok("customer", "add", "--org", "salon-cli", "--email", "anna@example.com", "--json")
    ok("consent", "give", "anna@example.com", "--org", "salon-cli", "--channel", "email",
       "--source", "online_form", "--ip", "192.0.2.7", "--json")
    requested = ok("doi", "request", "anna@example.com", "--org", "salon-cli", "--channel", "email", "--json")
    assert requested["status"] == "sent"
    assert "/c/" not in json.dumps(requested)  # the link goes to the customer only

    [mail] = (tmp_path / "outbox").glob("*.eml")
    token = token_in(text_of(read_mail(mail), "plain"))
    assert ok("doi", "confirm", token, "--json")["status"] == "confirmed"
    assert "already confirmed" in ok("doi", "confirm", token)

    decision = json.loads(ok("decide", "--customer", "anna@example.com", "--org", "salon-cli",
                             "--kind", "newsletter", "--channel", "email"))
    assert (decision["decision"], decision["basis"]) == ("allow", "consent")

    forged = konsent(tmp_path, "doi", "confirm", token[:-3] + "xyz")
    assert forged.returncode == 2
    assert forged.stderr.strip() == "konsent: " + tokens.TokenInvalid().text("en")
