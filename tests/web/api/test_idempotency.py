"""`Idempotency-Key` on every write of the API core: a retry gets the first answer and changes nothing."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from konsent.services import consents
from konsent.services.consents import ConsentDeclaration
from konsent.storage import tables as t
from tests.web.api.builders import API, SIGNUP, add_customer, count, error, other_organisation

SIGNED = {"channel": "email", "source": "paper_form", "evidence": {"document_hash": "ab" * 32}}


def rows(app, org) -> dict[str, list[str]]:
    """Every row the organisation owns, in every table — except the idempotency keys themselves."""
    found: dict[str, list[str]] = {}
    with app.db.unit_of_work() as session:
        for table in t.Base.metadata.sorted_tables:
            if "organisation_id" in table.c and table.name != "idempotent_requests":
                found[table.name] = sorted(json.dumps(dict(r), default=repr, sort_keys=True) for r in session.execute(
                    select(table).where(table.c.organisation_id == org)).mappings())
    return found


# Each write of the API core: its path and body, given the customer made for the test.
WRITES: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "customer": lambda c: ("/customers", {"email": "ben@example.com", "first_name": "Ben"}),
    "purchase": lambda c: (f"/customers/{c['id']}/purchases", {"occurred_at": "2026-11-02T10:00:00Z",
                                                              "categories": ["haircut"]}),
    "consent with its confirmation request": lambda c: (f"/customers/{c['id']}/consents", SIGNUP),
    "withdrawal": lambda c: (f"/customers/{c['id']}/withdrawals", {"channel": "email"}),
    "objection": lambda c: (f"/customers/{c['id']}/objections", {"channel": "sms"}),
    "confirmation request": lambda c: (f"/customers/{c['id']}/doi-requests", {"channel": "sms"}),
    "consent text": lambda c: ("/consent-texts", {"key": "news", "locale": "de", "title": "T", "body": "B"}),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_retry_gets_the_first_answer_and_changes_nothing(app, org, web, auth, write):
    anna = add_customer(web, auth)
    consents.give(app, org, anna["id"], ConsentDeclaration(channel="sms", source="online_form"))
    path, body = WRITES[write](anna)
    headers = {**auth, "Idempotency-Key": f"retry-{write}"}
    first = web.post(f"{API}{path}", headers=headers, json=body)
    assert first.status_code == 201, first.text
    after_first = rows(app, org)
    again = web.post(f"{API}{path}", headers=headers, json=body)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert rows(app, org) == after_first


def test_the_sms_code_confirms_once_and_a_retry_gets_the_same_answer(app, org, web, auth):
    anna = add_customer(web, auth)
    request_id = web.post(f"{API}/customers/{anna['id']}/consents", headers=auth,
                          json={**SIGNUP, "channel": "sms"}).json()["double_opt_in"]["request_id"]
    [sms] = (app.settings.data_dir / "outbox").glob("*.txt")
    code = sms.read_text().split("Code ")[1][:6]
    headers = {**auth, "Idempotency-Key": "code-1"}
    first = web.post(f"{API}/doi/confirm-code", headers=headers, json={"request_id": request_id, "code": code})
    assert first.json()["status"] == "confirmed"
    before = rows(app, org)
    again = web.post(f"{API}/doi/confirm-code", headers=headers, json={"request_id": request_id, "code": code})
    assert again.json() == first.json()
    assert rows(app, org) == before


def test_a_key_used_for_another_request_is_refused_and_changes_nothing(app, org, web, auth):
    headers = {**auth, "Idempotency-Key": "k-1"}
    assert web.post(f"{API}/customers", headers=headers, json={"email": "anna@example.com"}).status_code == 201
    before = rows(app, org)
    other = web.post(f"{API}/customers", headers=headers, json={"email": "ben@example.com"})
    assert other.status_code == 422
    assert error(other)["field"] == "Idempotency-Key"
    assert rows(app, org) == before


def test_a_refused_request_may_be_corrected_and_sent_again_with_its_key(app, org, web, auth):
    headers = {**auth, "Idempotency-Key": "k-2"}
    refused = web.post(f"{API}/customers", headers=headers, json={"email": "anna-at-example.com"})
    assert refused.status_code == 422
    corrected = web.post(f"{API}/customers", headers=headers, json={"email": "anna@example.com"})
    assert corrected.status_code == 201
    assert count(app, t.Customer, org) == 1


def test_keys_are_each_organisations_own(app, org, web, auth):
    _, theirs = other_organisation(app)
    body = {"email": "anna@example.com"}
    mine = web.post(f"{API}/customers", headers={**auth, "Idempotency-Key": "same"}, json=body)
    their = web.post(f"{API}/customers", headers={**theirs, "Idempotency-Key": "same"}, json=body)
    assert (mine.status_code, their.status_code) == (201, 201)
    assert mine.json()["id"] != their.json()["id"]


def test_a_new_api_keys_secret_is_never_kept_for_a_replay(app, org, web, auth):
    headers = {**auth, "Idempotency-Key": "key-1"}
    created = web.post(f"{API}/api-keys", headers=headers, json={"name": "shop", "scopes": ["read"]})
    assert created.status_code == 201
    secret = created.json()["key"]
    with app.db.unit_of_work() as session:
        stored = session.get(t.IdempotentRequest, (org, "key-1"))
        assert secret not in json.dumps(stored.response)
        assert stored.response["id"] == created.json()["id"]
    again = web.post(f"{API}/api-keys", headers=headers, json={"name": "shop", "scopes": ["read"]})
    assert again.status_code == 409
    assert created.json()["id"] in error(again)["message"]
    assert secret not in again.text
    assert count(app, t.ApiKey, org) == 2  # the test's own key and this one


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_key_of_the_wrong_length_is_refused_by_name(app, org, web, auth, key):
    response = web.post(f"{API}/customers", headers={**auth, "Idempotency-Key": key}, json={"email": "a@example.com"})
    assert response.status_code == 422
    assert error(response)["field"] == "Idempotency-Key"
    assert count(app, t.Customer, org) == 0
