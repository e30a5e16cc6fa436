"""API /api/v1/webhooks: a write key creates an endpoint and sees its secret once; lists, deliveries,
deletion; another organisation's endpoint is a 404."""

import asyncio

from sqlalchemy import func, select

from konsent.services import api_keys, consents, customers, organisations, webhook_delivery, webhooks
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from tests.webhook_receiver import receiver


def endpoints_in(app, org) -> int:
    with app.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(t.WebhookEndpoint)
                                  .where(t.WebhookEndpoint.organisation_id == org)) or 0)


def test_a_write_key_creates_an_endpoint_and_sees_its_secret_only_then(web, app, org, auth):
    created = web.post("/api/v1/webhooks", headers=auth,
                       json={"url": "https://booking.example/hook", "events": ["consent.changed"]})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"]) == ("https://booking.example/hook", ["consent.changed"])
    listed = web.get("/api/v1/webhooks", headers=auth).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]
    shown = web.get(f"/api/v1/webhooks/{body['id']}", headers=auth).json()
    assert "secret" not in shown
    assert shown["events"] == ["consent.changed"]


def test_without_events_an_endpoint_hears_every_event(web, auth):
    created = web.post("/api/v1/webhooks", headers=auth, json={"url": "https://booking.example/hook"})
    assert created.status_code == 201
    assert created.json()["events"] == []


def test_a_retried_create_makes_one_endpoint_and_its_secret_is_never_stored_for_replay(web, app, org, auth):
    headers = {**auth, "Idempotency-Key": "hook-1"}
    first = web.post("/api/v1/webhooks", headers=headers, json={"url": "https://booking.example/hook"})
    again = web.post("/api/v1/webhooks", headers=headers, json={"url": "https://booking.example/hook"})
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["error"]["code"] == "already_answered"
    assert endpoints_in(app, org) == 1
    with app.db.unit_of_work() as session:
        stored = session.scalars(select(t.IdempotentRequest.response).where(
            t.IdempotentRequest.organisation_id == org)).all()
    assert first.json()["secret"] not in str(stored)


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(web, app, org, auth):
    for payload, field in (
        ({"url": "ftp://booking.example/hook"}, "url"),
        ({"url": "https://booking.example/hook", "events": ["message.opened"]}, "events.0"),
        ({"url": "https://booking.example/hook", "secret": "mine"}, "secret"),
        ({}, "url"),
    ):
        refused = web.post("/api/v1/webhooks", headers=auth, json=payload)
        assert refused.status_code == 422, payload
        assert refused.json()["error"]["field"] == field
    assert endpoints_in(app, org) == 0


def test_a_read_key_may_list_but_not_create_or_delete(web, app, org, auth):
    _, reading = api_keys.create(app, org, name="reports", scopes=["read"])
    read = {"Authorization": f"Bearer {reading}"}
    created = web.post("/api/v1/webhooks", headers=auth, json={"url": "https://booking.example/hook"}).json()
    assert web.get("/api/v1/webhooks", headers=read).status_code == 200
    assert web.post("/api/v1/webhooks", headers=read, json={"url": "https://x.example/"}).status_code == 403
    assert web.delete(f"/api/v1/webhooks/{created['id']}", headers=read).status_code == 403
    assert web.get("/api/v1/webhooks").status_code == 401


def test_another_organisations_endpoint_is_a_404_everywhere(web, app, org, auth):
    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="CH").id
    foreign, _ = webhooks.create(app, other, url="https://other.example/hook")
    for method, path in (("GET", ""), ("DELETE", ""), ("GET", "/deliveries")):
        answer = web.request(method, f"/api/v1/webhooks/{foreign.id}{path}", headers=auth)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"]["code"] == "not_found"
    assert web.get("/api/v1/webhooks", headers=auth).json()["items"] == []
    assert webhooks.listed(app, other) != []


def test_deleting_an_endpoint_stops_it(web, app, org, auth):
    created = web.post("/api/v1/webhooks", headers=auth, json={"url": "https://booking.example/hook"}).json()
    assert web.delete(f"/api/v1/webhooks/{created['id']}", headers=auth).status_code == 204
    assert web.get(f"/api/v1/webhooks/{created['id']}", headers=auth).status_code == 404
    assert web.delete(f"/api/v1/webhooks/{created['id']}", headers=auth).status_code == 404
    assert web.get("/api/v1/webhooks", headers=auth).json()["items"] == []


def test_the_deliveries_of_an_endpoint_show_how_each_went(web, app, org, auth):
    with receiver(500) as hook:
        created = web.post("/api/v1/webhooks", headers=auth, json={"url": hook.url}).json()
        customer = customers.add(app, org, NewCustomer(email="anna@example.com")).id
        consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form",
                                                             evidence={"document_hash": "ab" * 32}))
        asyncio.run(webhook_delivery.deliver_due(app, owner="test", organisations=[org]))
    shown = web.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=auth).json()
    [delivery] = shown["items"]
    assert (delivery["event"], delivery["status"], delivery["attempts"]) == ("consent.changed", "pending", 1)
    assert (delivery["last_status"], delivery["last_error"]) == (500, "answered HTTP 500")
    assert delivery["payload"]["customer_id"] == customer
    assert web.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=delivered",
                   headers=auth).json()["items"] == []


def test_lists_are_paged(web, app, org, auth):
    for number in range(3):
        web.post("/api/v1/webhooks", headers=auth, json={"url": f"https://booking.example/hook/{number}"})
    first = web.get("/api/v1/webhooks?limit=2", headers=auth).json()
    second = web.get(f"/api/v1/webhooks?limit=2&cursor={first['next_cursor']}", headers=auth).json()
    urls = [item["url"] for item in first["items"] + second["items"]]
    assert sorted(urls) == [f"https://booking.example/hook/{n}" for n in range(3)]
    assert second["next_cursor"] is None
