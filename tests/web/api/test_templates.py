"""Message templates through the API: each save a new version, the newest listed, a preview as a customer
reads it — and a template the sandbox refuses, or that cannot be rendered, refused naming its part."""

import uuid

from konsent.services import api_keys, organisations, templates

NEWSLETTER = {"channel": "email", "locale": "de", "subject": "Neu im Salon, {{ first_name }}",
              "body_text": "Hallo {{ first_name }},\n\nneu im Salon: Pflege für den Winter.\n",
              "body_html": "<html><body><p>Hallo {{ first_name }}</p></body></html>"}


def test_each_save_is_a_new_version_and_the_list_shows_the_newest(web, auth, clock):
    first = web.put("/api/v1/templates/newsletter", json=NEWSLETTER, headers=auth)
    assert first.status_code == 201, first.text
    clock.advance(seconds=1)
    second = web.put("/api/v1/templates/newsletter", json={**NEWSLETTER, "subject": "Winter im Salon"}, headers=auth)
    clock.advance(seconds=1)
    web.put("/api/v1/templates/reminder", json={"channel": "sms", "locale": "de", "body_text": "Bis morgen!"},
            headers=auth)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)

    listed = web.get("/api/v1/templates", headers=auth).json()["items"]
    assert [(t["key"], t["channel"], t["version"], t["subject"]) for t in listed] == [
        ("newsletter", "email", 2, "Winter im Salon"), ("reminder", "sms", 1, None)]
    assert listed[1]["sms_segments"] == 1
    only = web.get("/api/v1/templates", params={"key": "reminder"}, headers=auth).json()["items"]
    assert [t["key"] for t in only] == ["reminder"]


def test_the_preview_reads_as_a_customer_would_and_adds_what_advertising_must_carry(web, auth):
    web.put("/api/v1/templates/newsletter", json=NEWSLETTER, headers=auth)
    plain = web.get("/api/v1/templates/newsletter/preview", headers=auth)
    assert plain.status_code == 200, plain.text
    shown = plain.json()
    assert (shown["subject"], shown["version"], shown["locale"]) == ("Neu im Salon, Anna", 1, "de")
    assert "widersprechen" not in shown["text"]
    advertising = web.get("/api/v1/templates/newsletter/preview", params={"advertising": "true"}, headers=auth).json()
    assert "widersprechen" in advertising["text"]
    assert "/u/" in advertising["html"]
    missing = web.get("/api/v1/templates/newsletter/preview", params={"channel": "sms"}, headers=auth)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_a_template_the_sandbox_refuses_or_that_cannot_render_is_refused_naming_its_part(app, org, web, auth):
    cases = [
        ({"body_text": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, "body_text"),
        ({"body_text": "{{ 'x' * 1000000000 }}"}, "body_text"),
        ({"body_text": "{{ 2 ** 100000000 }}"}, "body_text"),
        ({"body_text": "{{ 1 / 0 }}"}, "body_text"),
        ({"subject": "{% if %}"}, "subject"),
        ({"subject": "Zwei\nZeilen"}, "subject"),
        ({"subject": None}, "subject"),
        ({"body_html": "<p>{{ first_name | nosuchfilter }}</p>"}, "body_html"),
        ({"body_text": "Hallo\x00"}, "body_text"),
        ({"body_text": ""}, "body_text"),
        ({"channel": "fax"}, "channel"),
        ({"version": 7}, "version"),
    ]
    for change, field in cases:
        response = web.put("/api/v1/templates/newsletter", json={**NEWSLETTER, **change}, headers=auth)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["field"] == field, (change, response.json())
    bad_key = web.put("/api/v1/templates/news letter", json=NEWSLETTER, headers=auth)
    assert (bad_key.status_code, bad_key.json()["error"]["field"]) == (422, "key")
    assert web.get("/api/v1/templates", headers=auth).json()["items"] == []


def test_another_organisations_templates_are_neither_listed_nor_previewed(app, org, web, auth):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    templates.save(app, other, key="theirs", channel="email", locale="de", subject="Geheim", body_text="Nur für uns")
    assert web.get("/api/v1/templates", headers=auth).json()["items"] == []
    response = web.get("/api/v1/templates/theirs/preview", headers=auth)
    assert response.status_code == 404
    assert "Geheim" not in response.text


def test_a_read_only_key_reads_templates_but_cannot_save_one(app, org, web):
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='report', scopes=['read'])[1]}"}
    assert web.get("/api/v1/templates", headers=read).status_code == 200
    assert web.put("/api/v1/templates/newsletter", json=NEWSLETTER, headers=read).status_code == 403
    assert web.get("/api/v1/templates", headers=read).json()["items"] == []
