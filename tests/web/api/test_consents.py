"""Consents with their evidence, the double opt-in sent with them, withdrawals, objections, what the
engine therefore allows on each channel, the person's ledger, and consent texts."""

from typing import get_args

import pytest

from konsent.domain import Channel, Purpose
from konsent.domain.ledger import EventType
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.web.api.models import ChannelOrAll, PurposeOrAll
from tests.web.api.builders import (
    API,
    CODE,
    SIGNUP,
    add_customer,
    count,
    error,
    ledger_size,
    other_organisation,
    read_only,
)

PROVEN = {"channel": "email", "source": "paper_form", "evidence": {"document_hash": "ab" * 32}}


def consent(web, auth, customer, **fields):
    response = web.post(f"{API}/customers/{customer['id']}/consents", headers=auth, json={**SIGNUP, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def sms_code(app):
    [sms] = sorted((app.settings.data_dir / "outbox").glob("*.txt"))
    return CODE.search(sms.read_text()).group(1)


def decide(web, auth, customer, **asked):
    body = {"customer_id": customer["id"], "channel": "email", "kind": "newsletter", **asked}
    response = web.post(f"{API}/decide", headers=auth, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_online_sign_up_is_recorded_with_its_evidence_and_its_confirmation_request_sent(app, org, web, auth):
    anna = add_customer(web, auth)
    recorded = consent(web, auth, anna)
    request = recorded["double_opt_in"]
    assert request["status"] == "sent"
    assert request["consent_id"] == recorded["consent_id"]
    assert len(list((app.settings.data_dir / "outbox").glob("*.eml"))) == 1  # no SMTP server: the outbox
    with app.db.unit_of_work() as session:
        [given, requested] = ledger.events_of(session, org, anna["id"])
        row = session.get(t.LedgerEvent, given.id)
        assert row.evidence["values"] == SIGNUP["evidence"]
    assert (given.type, requested.type) == (EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED)
    assert given.id == recorded["consent_id"]
    assert decide(web, auth, anna)["reasons"][0]["code"] == "unconfirmed_consent"


def test_a_consent_proven_by_a_signed_form_needs_no_confirmation(app, org, web, auth):
    anna = add_customer(web, auth)
    recorded = consent(web, auth, anna, **PROVEN)
    assert recorded["double_opt_in"] is None
    assert count(app, t.DoiRequest, org) == 0
    decision = decide(web, auth, anna)
    assert (decision["allowed"], decision["basis"]) == (True, "consent")


def test_the_confirmation_request_may_be_left_to_later(app, org, web, auth):
    anna = add_customer(web, auth)
    assert consent(web, auth, anna, double_opt_in=False)["double_opt_in"] is None
    later = web.post(f"{API}/customers/{anna['id']}/doi-requests", headers=auth, json={"channel": "email"})
    assert later.status_code == 201, later.text
    assert later.json()["status"] == "sent"
    again = web.post(f"{API}/customers/{anna['id']}/doi-requests", headers=auth, json={"channel": "email"})
    assert again.status_code == 409  # one request per sign-up
    assert error(again)["field"] == "consent_id"
    assert count(app, t.DoiRequest, org) == 1
    nothing = web.post(f"{API}/customers/{anna['id']}/doi-requests", headers=auth, json={"channel": "sms"})
    assert nothing.status_code == 422  # no sign-up by SMS waits for confirmation
    assert error(nothing)["field"] == "channel"


def test_a_consent_stands_when_its_confirmation_request_cannot_go_out(app, org, web, auth, clock):
    anna = add_customer(web, auth)
    for _ in range(3):  # the daily limit of confirmation requests to one address
        consent(web, auth, anna)
        clock.advance(minutes=1)
    recorded = consent(web, auth, anna)
    assert recorded["double_opt_in"]["status"] == "not_sent"
    assert recorded["double_opt_in"]["code"] == "rate_limited"
    with app.db.unit_of_work() as session:
        kinds = [e.type for e in ledger.events_of(session, org, anna["id"])]
    assert kinds.count(EventType.CONSENT_GIVEN) == 4
    assert kinds.count(EventType.DOI_REQUESTED) == 3


@pytest.mark.parametrize(("fields", "field"), [
    ({"channel": "fax"}, "channel"),
    ({"source": "rumour"}, "source"),
    ({"purpose": "everything"}, "purpose"),
    ({"method": "silence"}, "method"),
    ({"evidence": {"ip": "192.0.2.7", "shoe_size": "42"}}, "evidence.shoe_size"),
    ({"evidence": {"ip": "x" * 2001}}, "evidence.ip"),
    ({"occurred_at": "2026-11-19T10:00:00"}, "occurred_at"),
    ({"occurred_at": "2026-12-24T10:00:00Z"}, "occurred_at"),  # in the future
    ({"text_version_id": "00000000-0000-0000-0000-000000000000"}, "text_version_id"),
    ({"text_version_id": "x\x00"}, "text_version_id"),
    ({"channel": "post", "double_opt_in": True}, "double_opt_in"),
    ({"channel": "sms"}, "channel"),  # no phone number on file
])
def test_a_bad_consent_is_refused_by_name_and_nothing_is_recorded(app, org, web, auth, fields, field):
    anna = add_customer(web, auth, phone=None)
    response = web.post(f"{API}/customers/{anna['id']}/consents", headers=auth, json={**SIGNUP, **fields})
    assert response.status_code == 422, response.text
    assert error(response)["field"] == field
    assert ledger_size(app, org) == 0
    assert count(app, t.DoiRequest, org) == 0


def test_a_withdrawal_ends_the_consent(app, org, web, auth):
    anna = add_customer(web, auth)
    consent(web, auth, anna, **PROVEN)
    response = web.post(f"{API}/customers/{anna['id']}/withdrawals", headers=auth,
                        json={"channel": "email", "purpose": "all"})
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "consent.withdrawn"
    decision = decide(web, auth, anna)
    assert decision["allowed"] is False
    assert "consent_withdrawn" in [r["code"] for r in decision["reasons"]]


def test_an_objection_ends_even_the_existing_customer_privilege(app, org, web, auth):
    anna = add_customer(web, auth)
    web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth, json={
        "occurred_at": "2026-11-02T10:00:00+01:00", "categories": ["haircut"], "contact_collected": ["email"],
        "objection_notice_at_collection": True})
    ad = {"kind": "product_ad", "advertised_categories": ["hair-care"]}
    assert decide(web, auth, anna, **ad)["basis"] == "existing_customer"
    response = web.post(f"{API}/customers/{anna['id']}/objections", headers=auth, json={"channel": "all"})
    assert response.status_code == 201
    decision = decide(web, auth, anna, **ad)
    assert decision["allowed"] is False
    assert [r["code"] for r in decision["reasons"]] == ["objection"]
    assert web.get(f"{API}/customers/{anna['id']}", headers=auth).json()["suppressed"] == ["all"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("withdrawals", {"channel": "fax"}, "channel"),
    ("withdrawals", {"purpose": "spam"}, "purpose"),
    ("objections", {"scope": "some"}, "scope"),
    ("objections", {"channel": "email", "why": "annoyed"}, "why"),
])
def test_a_bad_withdrawal_or_objection_is_refused_by_name(app, org, web, auth, path, body, field):
    anna = add_customer(web, auth)
    response = web.post(f"{API}/customers/{anna['id']}/{path}", headers=auth, json=body)
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert ledger_size(app, org) == 0


def test_permissions_say_per_channel_and_purpose_what_decide_says(app, org, web, auth, clock):
    anna = add_customer(web, auth)
    consent(web, auth, anna, **PROVEN, purpose="newsletter")
    consent(web, auth, anna, channel="sms", evidence={"ip": "192.0.2.7"})
    clock.advance(hours=1)
    web.post(f"{API}/customers/{anna['id']}/objections", headers=auth, json={"channel": "phone"})
    response = web.get(f"{API}/customers/{anna['id']}/permissions", headers=auth, params={"lang": "de"})
    assert response.status_code == 200
    shown = response.json()
    by = {(p["channel"], p["purpose"]): p for p in shown["permissions"]}
    assert by[("email", "newsletter")]["status"] == "allowed"
    assert by[("email", "newsletter")]["basis"] == "consent"
    assert by[("email", "winback")]["status"] == "not_allowed"
    assert by[("sms", "newsletter")]["status"] == "waiting_for_confirmation"
    assert by[("phone", "newsletter")]["status"] == "objected"
    assert by[("post", "newsletter")]["reachable"] is False
    assert by[("phone", "newsletter")]["since"] == "2026-11-20T10:00:00Z"
    assert by[("email", "newsletter")]["reasons"][0]["text"].startswith("Die Person")  # German, as asked
    for permission in shown["permissions"]:  # never a different answer than /decide at the same moment
        decision = decide(web, auth, anna, channel=permission["channel"], kind=permission["kind"])
        assert decision["allowed"] == (permission["status"] == "allowed"), permission
        assert [r["code"] for r in decision["reasons"]] == [r["code"] for r in permission["reasons"]]


def test_the_ledger_of_a_person_is_shown_in_chain_order_page_by_page(app, org, web, auth):
    anna = add_customer(web, auth)
    ben = add_customer(web, auth, email="ben@example.com", phone=None, first_name="Ben")
    consent(web, auth, anna)  # consent.given, doi.requested
    consent(web, auth, ben, **PROVEN)
    web.post(f"{API}/customers/{anna['id']}/objections", headers=auth, json={"channel": "email"})
    first = web.get(f"{API}/customers/{anna['id']}/ledger", headers=auth, params={"limit": 2}).json()
    rest = web.get(f"{API}/customers/{anna['id']}/ledger", headers=auth,
                   params={"limit": 2, "cursor": first["next_cursor"]}).json()
    events = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert [e["type"] for e in events] == ["consent.given", "doi.requested", "objection.received"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[0]["has_evidence"] is True
    assert "192.0.2.7" not in str(events)  # evidence is personal: the dossier shows it, not this list
    with app.db.unit_of_work() as session:
        assert events[0]["hash"] == session.get(t.LedgerEvent, events[0]["id"]).hash.hex()


@pytest.mark.parametrize("cursor", ["garbage", "WzEwMDAwMDAwMDAwMDAwXQ", "WyIxIl0", "e30"])
def test_a_new_customers_ledger_is_empty_and_a_forged_cursor_is_refused(web, auth, cursor):
    anna = add_customer(web, auth)
    empty = web.get(f"{API}/customers/{anna['id']}/ledger", headers=auth)
    assert empty.json() == {"items": [], "next_cursor": None}
    forged = web.get(f"{API}/customers/{anna['id']}/ledger", headers=auth, params={"cursor": cursor})
    assert forged.status_code == 422
    assert error(forged)["field"] == "cursor"


def test_the_code_from_the_text_message_confirms_the_sms_sign_up(app, org, web, auth):
    anna = add_customer(web, auth)
    recorded = consent(web, auth, anna, channel="sms")
    request_id = recorded["double_opt_in"]["request_id"]
    ask = {"channel": "sms", "kind": "newsletter"}
    assert decide(web, auth, anna, **ask)["allowed"] is False
    wrong = web.post(f"{API}/doi/confirm-code", headers=auth, json={"request_id": request_id, "code": "12345"})
    assert wrong.status_code == 422
    assert error(wrong)["field"] == "code"
    confirmed = web.post(f"{API}/doi/confirm-code", headers=auth,
                         json={"request_id": request_id, "code": sms_code(app)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    decision = decide(web, auth, anna, **ask)
    assert (decision["allowed"], decision["basis"]) == (True, "consent")


def test_another_organisations_request_cannot_be_confirmed(app, org, web, auth):
    anna = add_customer(web, auth)
    request_id = consent(web, auth, anna, channel="sms")["double_opt_in"]["request_id"]
    _, theirs = other_organisation(app)
    response = web.post(f"{API}/doi/confirm-code", headers=theirs, json={"request_id": request_id,
                                                                         "code": sms_code(app)})
    assert response.status_code == 404
    assert count(app, t.DoiRequest, org) == 1
    with app.db.unit_of_work() as session:
        assert session.query(t.DoiRequest).filter_by(organisation_id=org).one().confirmed_at is None


def test_consent_texts_are_versioned_and_a_consent_points_at_the_one_shown(app, org, web, auth, clock):
    first = web.post(f"{API}/consent-texts", headers=auth, json={
        "key": "newsletter", "locale": "de", "title": "Newsletter", "body": "Ja, ich möchte den Newsletter."})
    assert first.status_code == 201, first.text
    clock.advance(minutes=1)
    second = web.post(f"{API}/consent-texts", headers=auth, json={
        "key": "newsletter", "locale": "de", "title": "Newsletter", "body": "Ja, ich möchte ihn per E-Mail."})
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    anna = add_customer(web, auth)
    consent(web, auth, anna, text_version_id=first.json()["id"])
    shown = web.get(f"{API}/consent-texts/{first.json()['id']}", headers=auth).json()
    assert shown["first_used_at"] is not None  # frozen from now on
    assert shown["body"] == "Ja, ich möchte den Newsletter."
    listed = web.get(f"{API}/consent-texts", headers=auth, params={"key": "newsletter"}).json()["items"]
    assert [t["version"] for t in listed] == [1, 2]
    with app.db.unit_of_work() as session:
        [given, _] = ledger.events_of(session, org, anna["id"])
    assert given.data["text_sha256"] == shown["sha256"]


@pytest.mark.parametrize(("body", "field"), [
    ({"key": "news letter", "locale": "de", "title": "T", "body": "B"}, "key"),
    ({"key": "newsletter", "locale": "fr", "title": "T", "body": "B"}, "locale"),
    ({"key": "newsletter", "locale": "de", "title": "T", "body": "   "}, "body"),
    ({"key": "newsletter", "locale": "de", "title": "", "body": "B"}, "title"),
])
def test_a_bad_consent_text_is_refused_by_name(app, org, web, auth, body, field):
    response = web.post(f"{API}/consent-texts", headers=auth, json=body)
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert count(app, t.ConsentText, org) == 0


def test_another_organisations_customers_and_texts_are_not_found(app, org, web, auth):
    anna = add_customer(web, auth)
    text = web.post(f"{API}/consent-texts", headers=auth,
                    json={"key": "news", "locale": "de", "title": "T", "body": "B"}).json()
    _, theirs = other_organisation(app)
    customer = f"{API}/customers/{anna['id']}"
    for method, path, body in (("POST", f"{customer}/consents", SIGNUP), ("POST", f"{customer}/withdrawals", {}),
                               ("POST", f"{customer}/objections", {}), ("GET", f"{customer}/permissions", None),
                               ("GET", f"{customer}/ledger", None),
                               ("POST", f"{customer}/doi-requests", {"channel": "email"}),
                               ("GET", f"{API}/consent-texts/{text['id']}", None)):
        response = web.request(method, path, headers=theirs, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert web.get(f"{API}/consent-texts", headers=theirs).json()["items"] == []
    theirs_customer = web.post(f"{API}/customers", headers=theirs, json={"email": "x@example.com"}).json()
    response = web.post(f"{API}/customers/{theirs_customer['id']}/consents", headers=theirs,
                        json={**SIGNUP, "text_version_id": text["id"]})
    assert response.status_code == 422
    assert error(response)["field"] == "text_version_id"
    assert ledger_size(app, org) == 0


def test_a_read_only_key_cannot_record_anything(app, org, web, auth):
    anna = add_customer(web, auth)
    reader = read_only(app, org)
    customer = f"{API}/customers/{anna['id']}"
    for path, body in ((f"{customer}/consents", SIGNUP), (f"{customer}/withdrawals", {}),
                       (f"{customer}/objections", {}), (f"{customer}/doi-requests", {"channel": "email"}),
                       (f"{API}/consent-texts", {"key": "k", "locale": "de", "title": "T", "body": "B"}),
                       (f"{API}/doi/confirm-code", {"request_id": "x", "code": "123456"})):
        assert web.post(path, headers=reader, json=body).status_code == 403, path
    assert ledger_size(app, org) == 0
    assert web.get(f"{customer}/permissions", headers=reader).status_code == 200



def test_the_choices_of_withdrawals_and_objections_follow_the_domain():
    assert set(get_args(ChannelOrAll)) == {c.value for c in Channel} | {"all"}
    assert set(get_args(PurposeOrAll)) == {p.value for p in Purpose} | {"all"}
