"""Campaigns through the API: drafted, previewed with the owner's reasons, scheduled, followed, paused,
resumed, cancelled and test-sent — and refused, naming the field, when the input is wrong."""

import asyncio
import dataclasses
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from konsent.config import SmtpSettings
from konsent.services import api_keys, campaigns, consents, customers, organisations, templates
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.web.app import create_app
from konsent.worker import runner
from tests.transports.smtp_server import smtp_server

PAPER = {"document_hash": "ab" * 32}  # a signed form: a proven consent without double opt-in


def winter(app, org) -> None:
    templates.save(app, org, key="winter", channel="email", locale="de", subject="Winterpflege für {{ first_name }}",
                   body_text="Hallo {{ first_name }}, unsere Winterpflege ist da.")


def add(app, org, name: str, *, consent: bool = False, objected: bool = False) -> str:
    customer = customers.add(app, org, NewCustomer(email=f"{name.lower()}@example.com", first_name=name)).id
    if consent or objected:
        consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER,
                                                             occurred_at=app.now() - timedelta(days=30)))
    if objected:
        consents.object_to(app, org, customer, channel="email")
    return customer


def draft(**fields) -> dict:
    return {"name": "Winterpflege", "kind": "product_ad", "channels": ["email"], "template_key": "winter",
            "advertised_categories": ["hair-care"], **fields}


def test_a_campaign_is_drafted_previewed_scheduled_and_followed_until_sent(app, org, web, auth):
    winter(app, org)
    anna = add(app, org, "Anna", consent=True)
    ben = add(app, org, "Ben")
    clara = add(app, org, "Clara", objected=True)

    created = web.post("/api/v1/campaigns", json=draft(), headers=auth)
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert (campaign["status"], campaign["send_at"], campaign["channels"]) == ("draft", None, ["email"])

    preview = web.get(f"/api/v1/campaigns/{campaign['id']}/preview", params={"lang": "de"}, headers=auth)
    assert preview.status_code == 200, preview.text
    email, = preview.json()["channels"]
    assert (email["audience"], email["included"], email["excluded"]) == (3, 1, 2)
    left_out = {reason["code"]: (reason["count"], reason["examples"]) for reason in email["reasons"]}
    assert left_out == {"no_consent": (1, [ben]), "existing_customer_no_sale": (1, [ben]), "objection": (1, [clara])}
    objection, = (reason["text"] for reason in email["reasons"] if reason["code"] == "objection")
    assert objection == "Die Person hat am 2026-11-20 der Werbung per E-Mail widersprochen."
    english = web.get(f"/api/v1/campaigns/{campaign['id']}/preview", params={"lang": "en"}, headers=auth).json()
    assert "objected" in str(english["channels"][0]["reasons"])
    assert anna not in preview.text

    scheduled = web.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=auth)
    assert scheduled.status_code == 200, scheduled.text
    assert (scheduled.json()["queued"], scheduled.json()["considered"]) == (1, 3)
    status = web.get(f"/api/v1/campaigns/{campaign['id']}/status", headers=auth).json()
    assert (status["campaign"]["status"], status["messages"]["queued"], status["total"]) == ("scheduled", 1, 1)
    assert status["progress"] == "sending"

    asyncio.run(runner.run(app, once=True, organisations=[org]))
    status = web.get(f"/api/v1/campaigns/{campaign['id']}/status", headers=auth).json()
    assert (status["messages"]["sent"], status["messages"]["queued"], status["total"]) == (1, 0, 1)
    assert status["progress"] == "done"


def test_a_time_without_offset_is_the_organisations_local_time(web, auth):
    created = web.post("/api/v1/campaigns", json=draft(send_at="2026-12-01T09:00:00"), headers=auth).json()
    assert created["send_at"] == "2026-12-01T08:00:00Z"
    assert created["local_time"] == "2026-12-01 09:00 CET"
    shown = web.get(f"/api/v1/campaigns/{created['id']}", headers=auth).json()
    assert shown == created


def test_a_draft_changes_only_in_the_fields_given_and_not_once_scheduled(app, org, web, auth):
    winter(app, org)
    campaign = web.post("/api/v1/campaigns", json=draft(audience={"tags": ["stammkunde"]}), headers=auth).json()

    changed = web.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": "Winter care"}, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**campaign, "name": "Winter care"}
    cleared = web.patch(f"/api/v1/campaigns/{campaign['id']}", json={"audience": None}, headers=auth).json()
    assert cleared["audience"]["tags"] == []
    refused = web.patch(f"/api/v1/campaigns/{campaign['id']}", json={"kind": None}, headers=auth)
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "kind")

    web.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=auth)
    late = web.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": "Too late"}, headers=auth)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "conflict")


def test_the_list_pages_oldest_first_and_filters_by_status(app, org, web, auth, clock):
    winter(app, org)
    ids = []
    for number in range(3):
        ids.append(web.post("/api/v1/campaigns", json=draft(name=f"Nr. {number}"), headers=auth).json()["id"])
        clock.advance(seconds=1)
    web.post(f"/api/v1/campaigns/{ids[1]}/cancel", headers=auth)

    first = web.get("/api/v1/campaigns", params={"limit": 2}, headers=auth).json()
    second = web.get("/api/v1/campaigns", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth).json()
    assert [c["id"] for c in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    cancelled = web.get("/api/v1/campaigns", params={"status": "cancelled"}, headers=auth).json()
    assert [c["id"] for c in cancelled["items"]] == [ids[1]]
    wrong = web.get("/api/v1/campaigns", params={"status": "lost"}, headers=auth)
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "status")


def test_pause_holds_resume_releases_and_cancel_withholds_what_waits(app, org, web, auth, clock):
    winter(app, org)
    add(app, org, "Anna", consent=True)
    add(app, org, "Dora", consent=True)
    later = (clock() + timedelta(days=1)).isoformat()
    campaign = web.post("/api/v1/campaigns", json=draft(send_at=later), headers=auth).json()
    web.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=auth)

    paused = web.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=auth).json()
    assert (paused["campaign"]["status"], paused["messages"]["queued"]) == ("paused", 2)
    resumed = web.post(f"/api/v1/campaigns/{campaign['id']}/resume", headers=auth).json()
    assert resumed["campaign"]["status"] == "scheduled"
    again = web.post(f"/api/v1/campaigns/{campaign['id']}/resume", headers=auth)
    assert again.status_code == 409
    cancelled = web.post(f"/api/v1/campaigns/{campaign['id']}/cancel", headers=auth).json()
    assert (cancelled["campaign"]["status"], cancelled["messages"]["withheld"], cancelled["total"]) == (
        "cancelled", 2, 2)


def test_a_test_send_reaches_staff_over_smtp_and_queues_nothing(app, org, auth):
    winter(app, org)
    campaign = campaigns.create(app, org, CampaignDraft(name="Winter", kind="product_ad", channels=["email"],
                                                        template_key="winter"))
    with smtp_server() as inbox:
        smtp = SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", sender="Salon <no@salon.example>")
        wired = dataclasses.replace(app, settings=app.settings.model_copy(update={"smtp": smtp}))
        with TestClient(create_app(wired)) as client:
            sent = client.post(f"/api/v1/campaigns/{campaign.id}/test-send", json={"to": ["Mia@Salon.example"]},
                               headers=auth)
            refused = client.post(f"/api/v1/campaigns/{campaign.id}/test-send", json={"to": ["+4915123456789"]},
                                  headers=auth)
    assert sent.status_code == 200, sent.text
    assert [(m["channel"], m["to"], m["status"]) for m in sent.json()["messages"]] == [
        ("email", "mia@salon.example", "sent")]
    mail, = inbox.messages()
    assert mail["Subject"] == "[Test] Winterpflege für Anna"
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "to")
    assert campaigns.status(app, org, campaign.id).counts["queued"] == 0


def test_an_idempotency_key_creates_one_campaign_and_answers_the_retry_alike(web, auth):
    headers = {**auth, "Idempotency-Key": "create-winter-1"}
    first = web.post("/api/v1/campaigns", json=draft(), headers=headers)
    retry = web.post("/api/v1/campaigns", json=draft(), headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(web.get("/api/v1/campaigns", headers=auth).json()["items"]) == 1
    other = web.post("/api/v1/campaigns", json=draft(name="Anders"), headers=headers)
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")
    too_long = web.post("/api/v1/campaigns", json=draft(), headers={**auth, "Idempotency-Key": "k" * 201})
    assert (too_long.status_code, too_long.json()["error"]["field"]) == (422, "Idempotency-Key")


def test_wrong_input_is_refused_naming_the_field_and_writes_nothing(web, auth, clock):
    cases = [
        (draft(kind="invoice"), "kind"),
        (draft(channels=[]), "channels"),
        (draft(channels=["fax"]), "channels.0"),
        (draft(colour="blue"), "colour"),
        (draft(name="Winter\x00pflege"), "name"),
        (draft(name=""), "name"),
        (draft(send_at=(clock() - timedelta(hours=1)).isoformat()), "send_at"),
        (draft(send_at="9999-12-31T23:59:59-12:00"), "send_at"),
        (draft(send_at="morgen früh"), "send_at"),
        (draft(audience={"birthday_month": 13}), "audience.birthday_month"),
        (draft(audience={"birthday_month": 10**30}), "audience.birthday_month"),
        (draft(audience={"jurisdictions": ["FR"]}), "audience.jurisdictions.0"),
        (draft(advertised_categories=["x" * 101]), "advertised_categories.0"),
        (draft(template_key=7), "template_key"),
    ]
    for body, field in cases:
        response = web.post("/api/v1/campaigns", json=body, headers=auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, (body, response.json())
    assert web.get("/api/v1/campaigns", headers=auth).json()["items"] == []


def test_a_preview_asks_for_a_moment_with_its_offset_and_a_known_language(app, org, web, auth):
    winter(app, org)
    campaign = web.post("/api/v1/campaigns", json=draft(), headers=auth).json()["id"]
    for params, field in [({"at": "2026-12-01T09:00:00"}, "at"), ({"at": "bald"}, "at"), ({"lang": "fr"}, "lang")]:
        response = web.get(f"/api/v1/campaigns/{campaign}/preview", params=params, headers=auth)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field), params
    later = web.get(f"/api/v1/campaigns/{campaign}/preview", params={"at": "2026-12-24T18:00:00+01:00"},
                    headers=auth).json()
    assert later["at"] == "2026-12-24T17:00:00Z"


def test_another_organisations_campaign_is_not_found_and_stays_as_it_was(app, org, web, auth):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    winter(app, other)
    theirs = campaigns.create(app, other, CampaignDraft(name="Theirs", kind="newsletter", channels=["email"],
                                                        template_key="winter")).id
    for method, path in [("GET", ""), ("PATCH", ""), ("GET", "/preview"), ("GET", "/status"), ("POST", "/schedule"),
                         ("POST", "/pause"), ("POST", "/cancel"), ("POST", "/test-send")]:
        body = {"to": ["mia@salon.example"]} if path == "/test-send" else {} if method == "PATCH" else None
        response = web.request(method, f"/api/v1/campaigns/{theirs}{path}", json=body, headers=auth)
        assert response.status_code == 404, (method, path, response.text)
        assert "Theirs" not in response.text
    assert web.get("/api/v1/campaigns/not-an-id", headers=auth).status_code == 404
    assert campaigns.show(app, other, theirs).status == "draft"


def test_a_read_only_key_reads_but_cannot_write(app, org, web):
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='report', scopes=['read'])[1]}"}
    assert web.get("/api/v1/campaigns", headers=read).status_code == 200
    refused = web.post("/api/v1/campaigns", json=draft(), headers=read)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert web.get("/api/v1/campaigns", headers=read).json()["items"] == []
    assert web.get("/api/v1/campaigns").status_code == 401
