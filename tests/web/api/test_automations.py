"""Automations through the API: switched on with their settings (and konsent's wording where none is
written yet), listed, switched off — each trigger refusing a setting not its own, by name."""

import uuid
from datetime import timedelta

from konsent.services import api_keys, automations, customers, organisations
from konsent.services.customers import NewCustomer


def test_an_automation_is_switched_on_listed_used_and_switched_off(app, org, web, auth, clock):
    on = web.put("/api/v1/automations/appointment_reminder", json={"settings": {"hours_before": 48}}, headers=auth)
    assert on.status_code == 200, on.text
    reminder = on.json()
    assert (reminder["enabled"], reminder["channel"], reminder["kind"], reminder["settings"]) == (
        True, "email", "appointment_reminder", {"hours_before": 48})
    # konsent's own wording, so that the reminder works before the owner writes one.
    seeded = web.get("/api/v1/templates", params={"key": "appointment_reminder"}, headers=auth).json()["items"]
    assert sorted(t["locale"] for t in seeded) == ["de", "en"]

    customers.add(app, org, NewCustomer(email="anna@example.com", external_id="K-17"))
    start = clock() + timedelta(days=5)
    posted = web.post("/api/v1/events", headers=auth, json={
        "type": "booking.created", "idempotency_key": "b-1", "customer": {"external_id": "K-17"},
        "payload": {"booking_id": "1", "starts_at": start.isoformat()}}).json()
    assert [m["due"] for m in posted["scheduled"]] == [(start - timedelta(hours=48)).isoformat().replace("+00:00", "Z")]

    web.put("/api/v1/automations/booking_confirmation", json={"channel": "sms"}, headers=auth)
    listed = web.get("/api/v1/automations", headers=auth).json()["items"]
    assert [(a["trigger"], a["channel"], a["enabled"]) for a in listed] == [
        ("appointment_reminder", "email", True), ("booking_confirmation", "sms", True)]

    off = web.delete("/api/v1/automations/appointment_reminder", headers=auth)
    assert (off.status_code, off.json()["enabled"], off.json()["settings"]) == (200, False, {"hours_before": 48})
    still_on = web.delete("/api/v1/automations/booking_confirmation", params={"channel": "email"}, headers=auth)
    assert still_on.status_code == 404
    assert [a["enabled"] for a in web.get("/api/v1/automations", headers=auth).json()["items"]] == [False, True]


def test_a_setting_is_kept_until_changed(web, auth):
    web.put("/api/v1/automations/winback", json={"settings": {"days_without_visit": 120}}, headers=auth)
    changed = web.put("/api/v1/automations/winback", json={"template_key": "come-back"}, headers=auth).json()
    assert (changed["settings"], changed["template_key"]) == ({"days_without_visit": 120}, "come-back")


def test_a_wrong_trigger_or_setting_is_refused_naming_it(app, org, web, auth):
    cases = [
        ("appointment_reminder", {"settings": {"hours_before": 0}}, "settings.hours_before"),
        ("appointment_reminder", {"settings": {"hours_before": 10**30}}, "settings.hours_before"),
        ("appointment_reminder", {"settings": {"days_without_visit": 90}}, "settings.days_without_visit"),
        ("appointment_reminder", {"settings": {"colour": "blue"}}, "settings.colour"),
        ("appointment_reminder", {"settings": {"advertised_categories": ["haircut"]}},
         "settings.advertised_categories"),
        ("birthday_greeting", {"settings": {"at": "9:00"}}, "settings.at"),
        ("birthday_greeting", {"settings": {"at": "25:00"}}, "settings.at"),
        ("birthday_greeting", {"channel": "post"}, "channel"),
        ("birthday_greeting", {"template_key": ""}, "template_key"),
        ("fireworks", {}, "trigger"),
        ("a%00b", {}, "trigger"),
    ]
    for trigger, body, field in cases:
        response = web.put(f"/api/v1/automations/{trigger}", json=body, headers=auth)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field), (trigger, body)
    nul = web.delete("/api/v1/automations/a%00b", headers=auth)
    assert (nul.status_code, nul.json()["error"]["field"]) == (422, "trigger")
    assert automations.listed(app, org) == []


def test_another_organisations_automations_are_neither_shown_nor_switched(app, org, web, auth):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    automations.enable(app, other, "booking_confirmation")
    assert web.get("/api/v1/automations", headers=auth).json()["items"] == []
    assert web.delete("/api/v1/automations/booking_confirmation", headers=auth).status_code == 404
    assert [a.enabled for a in automations.listed(app, other)] == [True]


def test_a_read_only_key_lists_but_cannot_switch(app, org, web):
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='report', scopes=['read'])[1]}"}
    assert web.get("/api/v1/automations", headers=read).status_code == 200
    assert web.put("/api/v1/automations/winback", json={}, headers=read).status_code == 403
    assert web.delete("/api/v1/automations/winback", headers=read).status_code == 403
    assert automations.listed(app, org) == []
