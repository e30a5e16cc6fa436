"""A consent taken at the desk, on the phone or on paper: recorded with the staff member as actor and
`staff_actor` evidence; a signed form only by its SHA-256; without evidence unconfirmed, with the
double opt-in request one click away (sent through a real SMTP server)."""

import dataclasses
import hashlib
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from konsent.config import SmtpSettings
from konsent.services import consents, facts
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.web.app import create_app
from tests.transports.smtp_server import smtp_server, text_of
from tests.web.staff.conftest import sign_in

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
CONSENT_PAGE = re.compile(r"^/staff/customers/([0-9a-f-]{36})/consents/([0-9a-f-]{36})$")


def record(person, customer, **fields):
    form = {"channel": "email", "purpose": "newsletter", "source": "manual_staff", **fields}
    return person.post(f"/staff/customers/{customer}/consents", form,
                       form_on=f"/staff/customers/{customer}/consents/new")


def given(app, org, customer):
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.LedgerEvent).where(
            t.LedgerEvent.organisation_id == org, t.LedgerEvent.customer_id == customer,
            t.LedgerEvent.type == "consent.given")))


def test_a_consent_the_person_just_gave_at_the_desk_is_proven_and_allows_the_newsletter(app, org, desk, anna):
    response = record(desk, anna, agreed_now="yes")
    assert response.status_code == 303
    assert CONSENT_PAGE.match(response.headers["location"])
    page = desk.page(response.headers["location"])
    assert 'id="consent-proven"' in page
    assert 'id="doi-form"' not in page

    [row] = given(app, org, anna)
    body = json.loads(row.body)
    assert body["actor"] == desk.account.actor
    assert (body["data"]["source"], body["data"]["evidence"]) == ("manual_staff", True)
    assert row.evidence["values"] == {"staff_actor": desk.account.actor}
    _, decision = facts.decide_for(app, org, anna, NEWSLETTER)
    assert (decision.decision.value, decision.basis.value) == ("allow", "consent")


def test_the_signed_form_is_kept_only_as_its_sha256_with_its_reference(app, org, desk, anna):
    scan = b"%PDF-1.4 the signed form of Anna Berg"
    response = desk.client.post(f"/staff/customers/{anna}/consents", data={
        "csrf": desk.token(f"/staff/customers/{anna}/consents/new"), "channel": "email",
        "purpose": "advertising", "source": "paper_form", "reference": "Ordner 2026, Blatt 14",
    }, files={"document": ("anmeldung.pdf", scan, "application/pdf")})
    assert response.status_code == 303
    [row] = given(app, org, anna)
    assert row.evidence["values"] == {"document_hash": hashlib.sha256(scan).hexdigest(),
                                      "note": "Ordner 2026, Blatt 14"}
    assert scan not in row.body
    with app.db.unit_of_work() as session:
        stored = {str(value) for event in session.scalars(select(t.LedgerEvent.evidence).where(
            t.LedgerEvent.organisation_id == org)) for value in (event or {}).get("values", {}).values()}
    assert not [value for value in stored if "PDF-1.4" in value]
    assert facts.decide_for(app, org, anna, NEWSLETTER)[1].allowed


def test_a_hash_made_in_the_browser_is_taken_as_it_is(app, org, desk, anna):
    digest = hashlib.sha256(b"scan").hexdigest()
    assert record(desk, anna, source="paper_form", document_hash=digest.upper()).status_code == 303
    [row] = given(app, org, anna)
    assert row.evidence["values"] == {"document_hash": digest}


def test_the_text_version_read_out_is_recorded_with_the_consent(app, org, desk, anna):
    text = consents.consent_text(app, org, key="newsletter", locale="de", title="Salon-Newsletter",
                                 body="Ja, ich möchte den Newsletter per E-Mail erhalten.")
    form = desk.page(f"/staff/customers/{anna}/consents/new")
    assert f'value="{text.id}"' in form
    assert record(desk, anna, text_version_id=text.id, agreed_now="yes").status_code == 303
    [row] = given(app, org, anna)
    assert json.loads(row.body)["data"]["text_sha256"] == text.sha256


def test_without_evidence_it_is_unconfirmed_and_the_confirmation_request_goes_out(app, org, desk, anna, browsers):
    response = record(desk, anna)
    page_path = response.headers["location"]
    page = desk.page(page_path)
    assert 'id="consent-unproven"' in page
    assert 'id="doi-form"' in page
    assert "consent_without_evidence" in facts.decide_for(app, org, anna, NEWSLETTER)[1].codes

    with smtp_server() as inbox:
        smtp = SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", sender="Salon <no-reply@salon.example>")
        mailing = dataclasses.replace(app, settings=app.settings.model_copy(update={"smtp": smtp}))
        with TestClient(create_app(mailing), follow_redirects=False) as client:
            assert sign_in(client, desk.account.email).status_code == 303
            page = client.get(page_path).text
            token = page.split('name="csrf" value="')[1].split('"')[0]
            sent = client.post(page_path + "/doi", data={"csrf": token})
            assert sent.status_code == 303
            assert sent.headers["location"] == page_path + "?doi_result=sent"
            after = client.get(sent.headers["location"]).text
    [mail] = inbox.messages()
    assert mail["To"] == "anna.berg@example.com"
    assert "/c/" in text_of(mail, "plain")
    assert 'id="doi-sent"' in after
    assert 'id="doi-form"' not in after  # one request per sign-up
    with app.db.unit_of_work() as session:
        [consent] = ledger.load_state(session, org, anna).consents
    assert consent.doi_requested_at is not None


def test_a_channel_without_an_address_is_refused_with_the_field_named_and_nothing_written(app, org, desk, anna):
    response = record(desk, anna, channel="post", agreed_now="yes")
    assert response.status_code == 422
    assert 'id="form-error"' in response.text
    assert ">channel</span>" in response.text
    assert given(app, org, anna) == []


def test_only_sources_that_prove_themselves_are_offered_at_the_desk(app, org, desk, anna):
    response = record(desk, anna, source="online_form", agreed_now="yes")
    assert response.status_code == 422
    assert ">source</span>" in response.text
    assert given(app, org, anna) == []


def test_a_malformed_document_hash_is_refused(app, org, desk, anna):
    response = record(desk, anna, source="paper_form", document_hash="not-a-hash")
    assert response.status_code == 422
    assert ">document_hash</span>" in response.text
    assert given(app, org, anna) == []


def test_the_form_needs_its_csrf_token(app, org, desk, anna):
    desk.page(f"/staff/customers/{anna}/consents/new")
    response = desk.client.post(f"/staff/customers/{anna}/consents",
                                data={"channel": "email", "source": "manual_staff", "agreed_now": "yes"})
    assert response.status_code == 403
    assert given(app, org, anna) == []


def test_recording_a_consent_is_in_the_audit_log_with_the_staff_member(app, org, desk, anna):
    record(desk, anna, agreed_now="yes")
    with app.db.unit_of_work() as session:
        entry = session.scalar(select(t.AuditEntry).where(t.AuditEntry.organisation_id == org,
                                                          t.AuditEntry.action == "consent.recorded_by_staff"))
    assert (entry.actor, entry.subject, entry.details["proven"]) == (desk.account.actor, anna, True)
