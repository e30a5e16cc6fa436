"""The message log through the API: queued, sent, withheld and directly logged messages, filtered and
paged; one message with its decision at scheduling and at sending, its template version, its state
times and the transport's answer — and nothing of another organisation's."""

import asyncio
import uuid
from datetime import timedelta

from konsent.services import automations, campaigns, consents, customers, doi, host_events, organisations, templates
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.worker import runner

PAPER = {"document_hash": "ab" * 32}


def consenting(app, org, name: str) -> str:
    customer = customers.add(app, org, NewCustomer(email=f"{name.lower()}@example.com", first_name=name,
                                                   external_id=f"K-{name}")).id
    consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER,
                                                         occurred_at=app.now() - timedelta(days=30)))
    return customer


def campaign_to(app, org) -> str:
    templates.save(app, org, key="winter", channel="email", locale="de", subject="Winterpflege für {{ first_name }}",
                   body_text="Hallo {{ first_name }}, unsere Winterpflege ist da.")
    campaign = campaigns.create(app, org, CampaignDraft(name="Winter", kind="newsletter", channels=["email"],
                                                        template_key="winter")).id
    campaigns.schedule(app, org, campaign)
    return campaign


def send_due(app, org) -> None:
    asyncio.run(runner.run(app, once=True, organisations=[org]))


def log(web, auth, **filters) -> list[dict]:
    response = web.get("/api/v1/messages", params=filters, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def a_little_of_everything(app, org, clock) -> dict[str, str]:
    """A campaign message sent, a reminder still queued, a double opt-in request logged directly."""
    anna = consenting(app, org, "Anna")
    campaign = campaign_to(app, org)
    send_due(app, org)
    clock.advance(minutes=1)
    automations.enable(app, org, "appointment_reminder", settings={"hours_before": 24})
    posted = host_events.post(app, org, type="booking.created", key="b-1", customer=anna,
                              payload={"booking_id": "1", "starts_at": (clock() + timedelta(days=3)).isoformat()})
    clock.advance(minutes=1)
    ben = customers.add(app, org, NewCustomer(email="ben@example.com")).id
    signup = consents.give(app, org, ben, ConsentDeclaration(channel="email", source="online_form",
                                                             evidence={"ip": "192.0.2.7"}))
    requested = doi.request(app, org, ben, channel="email", consent_id=signup)
    return {"anna": anna, "ben": ben, "campaign": campaign, "reminder": posted.scheduled[0].outbox_id,
            "doi": requested.message_id}


def test_the_log_holds_every_message_and_filters_it(app, org, web, auth, clock):
    made = a_little_of_everything(app, org, clock)
    everything = log(web, auth)
    assert [(m["kind"], m["status"]) for m in everything] == [
        ("newsletter", "sent"), ("appointment_reminder", "queued"), ("doi_confirmation", "sent")]
    sent_campaign, reminder, request = everything
    assert (reminder["id"], request["id"], sent_campaign["campaign_id"]) == (
        made["reminder"], made["doi"], made["campaign"])

    assert [m["id"] for m in log(web, auth, status="sent")] == [sent_campaign["id"], request["id"]]
    assert [m["id"] for m in log(web, auth, kind="appointment_reminder")] == [reminder["id"]]
    assert [m["id"] for m in log(web, auth, campaign_id=made["campaign"])] == [sent_campaign["id"]]
    assert [m["id"] for m in log(web, auth, customer_id=made["ben"])] == [request["id"]]
    assert [m["id"] for m in log(web, auth, customer_id=made["anna"], status="queued")] == [reminder["id"]]
    assert log(web, auth, channel="sms") == []

    seen, cursor = [], None
    while True:
        page = web.get("/api/v1/messages", params={"limit": 1, **({"cursor": cursor} if cursor else {})},
                       headers=auth).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in everything]


def test_a_sent_message_shows_its_decisions_template_version_states_and_transport_answer(app, org, web, auth, clock):
    made = a_little_of_everything(app, org, clock)
    sent, = log(web, auth, campaign_id=made["campaign"])

    shown = web.get(f"/api/v1/messages/{sent['id']}", headers=auth).json()
    assert (shown["customer_id"], shown["kind"], shown["channel"], shown["status"]) == (
        made["anna"], "newsletter", "email", "sent")
    assert (shown["template"]["key"], shown["template"]["version"], shown["template"]["locale"]) == ("winter", 1, "de")
    for decision in (shown["decision_when_scheduled"], shown["decision_when_sent"]):
        assert (decision["decision"], decision["basis"], decision["jurisdiction"]) == ("allow", "consent", "DE")
        assert decision["rule_pack"].startswith("DE")
        assert decision["reasons"]
    assert set(shown["states"]) == {"queued", "in_flight", "sent"}
    # Without an SMTP server the transport is the outbox folder: its answer names the file it wrote.
    assert (app.settings.data_dir / "outbox" / shown["transport_id"]).is_file()
    assert (shown["sent_at"], shown["error"]) == (shown["states"]["sent"], None)
    assert (shown["to"], shown["subject"], shown["due_at"]) == ("anna@example.com", "Winterpflege für Anna", None)

    queued = web.get(f"/api/v1/messages/{made['reminder']}", headers=auth).json()
    assert (queued["status"], queued["decision_when_scheduled"]["basis"], queued["decision_when_sent"]) == (
        "queued", "contract", None)
    assert (queued["template"]["key"], queued["template"]["version"], queued["to"]) == (
        "appointment_reminder", None, None)
    assert queued["due_at"] == (clock() - timedelta(minutes=1) + timedelta(days=2)).isoformat().replace("+00:00", "Z")

    request = web.get(f"/api/v1/messages/{made['doi']}", headers=auth).json()
    assert (request["kind"], request["status"], request["customer_id"]) == ("doi_confirmation", "sent", made["ben"])
    assert request["decision_when_scheduled"]["basis"] == "doi_request"


def test_a_message_withheld_at_sending_says_which_decision_stopped_it(app, org, web, auth, clock):
    anna = consenting(app, org, "Anna")
    campaign_to(app, org)
    consents.withdraw(app, org, anna, channel="email")
    send_due(app, org)

    withheld, = log(web, auth, status="withheld")
    shown = web.get(f"/api/v1/messages/{withheld['id']}", headers=auth).json()
    assert (shown["decision_when_scheduled"]["decision"], shown["decision_when_sent"]["decision"]) == ("allow", "deny")
    assert shown["error"].startswith("denied when sending")
    assert (shown["to"], shown["body_text"], shown["transport_id"]) == (None, None, None)


def test_another_organisations_messages_are_not_found_and_not_listed(app, org, web, auth, clock):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    theirs = a_little_of_everything(app, other, clock)
    assert log(web, auth) == []
    assert log(web, auth, customer_id=theirs["anna"]) == []
    for message in (theirs["reminder"], theirs["doi"]):
        response = web.get(f"/api/v1/messages/{message}", headers=auth)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert web.get("/api/v1/messages/anna@example.com", headers=auth).status_code == 404


def test_a_wrong_filter_is_refused_naming_it(web, auth):
    for params, field in [({"status": "lost"}, "status"), ({"customer_id": "a b"}, "customer_id"),
                          ({"channel": "fax"}, "channel"), ({"limit": 0}, "limit"), ({"cursor": "nonsense"}, "cursor"),
                          ({"kind": "spam"}, "kind")]:
        response = web.get("/api/v1/messages", params=params, headers=auth)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field), params
