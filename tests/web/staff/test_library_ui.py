"""The library and the settings beside it: message templates with a preview (editing saves a new
version), consent texts with their versions, groups of similar categories, automations with their
timing, and the transports page that never shows a secret. Everyone reads; only the owner changes."""

import uuid

import pytest
from sqlalchemy import func, select

from konsent.config import SmsSettings, SmtpSettings
from konsent.errors import InputError
from konsent.messages.compose import NOTICE
from konsent.services import automations, consents, organisation_settings, organisations, staff, templates
from konsent.storage import tables as t
from tests.web.staff.test_pages import Page

TEMPLATE = {"key": "herbst", "channel": "email", "locale": "de", "subject": "Herbst für {{ first_name }}",
            "body_text": "Hallo {{ first_name }}, die Herbstpflege ist da.",
            "body_html": "<html><body><p>Hallo {{ first_name }}</p></body></html>"}


def versions(app, org, key: str = "herbst") -> list[int]:
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.MessageTemplate.version).where(
            t.MessageTemplate.organisation_id == org, t.MessageTemplate.key == key)
            .order_by(t.MessageTemplate.version)))


def library_state(app, org):
    """Everything the library and automation pages could change."""
    with app.db.unit_of_work() as session:
        def count(table):
            return session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))

        automation = sorted((a.trigger, a.channel, a.enabled, str(a.settings)) for a in session.scalars(
            select(t.Automation).where(t.Automation.organisation_id == org)))
        return (count(t.MessageTemplate), count(t.ConsentText), automation,
                session.get(t.Organisation, org).similar_categories)


# --- message templates -------------------------------------------------------------------------

def test_the_owner_writes_a_template_and_sees_it_as_a_customer_would(app, org, owner):
    response = owner.post("/staff/library/templates", TEMPLATE, form_on="/staff/library/templates/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/library/templates/herbst/email/de"
    page = owner.page(response.headers["location"])
    assert '<p id="sample-subject"><strong>Betreff:</strong> Herbst für Anna</p>' in page
    assert "Hallo Anna, die Herbstpflege ist da." in page
    # As advertising it carries what the law asks, added by konsent: the notice, the link, the sender.
    assert NOTICE["de"] in page
    assert "Abmelden: http://127.0.0.1:8000/u/" in page
    assert "Salon Sonnenschein, Hauptstraße 1, 10115 Berlin" in page
    assert 'id="template-herbst-email-de"' in owner.page("/staff/library")


def test_editing_a_template_saves_a_new_version_and_keeps_the_old_one(app, org, owner):
    templates.save(app, org, key="herbst", channel="email", locale="de", subject="Alt", body_text="Alter Text")
    page = "/staff/library/templates/herbst/email/de"
    response = owner.post("/staff/library/templates", {**TEMPLATE, "subject": "Neu"}, form_on=page)
    assert response.status_code == 303
    assert versions(app, org) == [1, 2]
    newest = owner.page(page)
    assert "Version 2" in newest
    assert 'href="?version=1"' in newest
    assert "Alter Text" in owner.page(page, version="1")
    assert owner.client.get(page, params={"version": "9"}).status_code == 404


def test_an_sms_template_counts_its_segments(app, org, owner):
    response = owner.post("/staff/library/templates", {"key": "kurz", "channel": "sms", "locale": "de",
                                                       "body_text": "Neu im Salon: Herbstpflege!"},
                          form_on="/staff/library/templates/new")
    assert response.status_code == 303
    page = owner.page(response.headers["location"])
    assert 'id="sample-segments"' in page
    assert "Salon Sonnenschein: Neu im Salon: Herbstpflege!" in page  # the sender's name, as the law asks


@pytest.mark.parametrize(("fields", "field"), [
    ({"key": "mit leerzeichen"}, "key"), ({"body_text": "Hallo {{ first_name"}, "body_text"),
    ({"subject": ""}, "subject"), ({"channel": "fax"}, "channel"), ({"locale": "fr"}, "locale"),
    ({"body_text": "  "}, "body_text"),
])
def test_a_bad_template_is_refused_naming_the_field(app, org, owner, fields, field):
    response = owner.post("/staff/library/templates", {**TEMPLATE, **fields}, form_on="/staff/library/templates/new")
    assert response.status_code == 422
    assert f'<span class="field-name">{field}</span>' in response.text
    assert versions(app, org) == []


def test_a_template_that_cannot_be_rendered_is_refused_when_saved(app, org):
    with pytest.raises(InputError) as refused:
        templates.save(app, org, key="kaputt", channel="email", locale="de", subject="x", body_text="{{ 1 / 0 }}")
    assert refused.value.field == "body_text"
    assert "ZeroDivisionError" in refused.value.message


def test_a_stored_template_that_cannot_be_rendered_says_why_in_its_preview(app, org, owner):
    # Saved before konsent tried templates on saving: the preview still says what is wrong.
    with app.db.unit_of_work() as session:
        session.add(t.MessageTemplate(id=str(uuid.uuid4()), organisation_id=org, key="kaputt", channel="email",
                                      locale="de", version=1, subject="x", body_text="{{ 1 / 0 }}",
                                      created_at=app.now()))
    page = owner.page("/staff/library/templates/kaputt/email/de")
    assert 'id="template-preview-error"' in page
    assert "ZeroDivisionError" in page


# --- consent texts -------------------------------------------------------------------------------

def test_consent_texts_are_listed_with_every_version(app, org, owner):
    response = owner.post("/staff/library/texts", {"key": "newsletter", "locale": "de", "title": "Newsletter",
                                                   "body": "Ja, ich möchte den Newsletter."},
                          form_on="/staff/library/texts/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/library/texts/newsletter/de"
    form = owner.page("/staff/library/texts/new", key="newsletter", locale="de")
    assert 'value="newsletter"' in form
    owner.post("/staff/library/texts", {"key": "newsletter", "locale": "de", "title": "Newsletter",
                                        "body": "Ja, ich möchte den Newsletter von Salon Sonnenschein."},
               form_on="/staff/library/texts/new")
    page = owner.page("/staff/library/texts/newsletter/de")
    assert 'id="text-version-1"' in page
    assert 'id="text-version-2"' in page
    assert "Ja, ich möchte den Newsletter." in page
    assert "von Salon Sonnenschein." in page
    assert '<td>2</td>' in owner.page("/staff/library").split('id="text-newsletter-de"')[1].split("</tr>")[0]


@pytest.mark.parametrize(("fields", "field"), [
    ({"body": " "}, "body"), ({"locale": "it"}, "locale"), ({"key": ""}, "key"), ({"title": ""}, "title"),
])
def test_a_bad_consent_text_is_refused_naming_the_field(app, org, owner, fields, field):
    values = {"key": "newsletter", "locale": "de", "title": "Newsletter", "body": "Ja.", **fields}
    response = owner.post("/staff/library/texts", values, form_on="/staff/library/texts/new")
    assert response.status_code == 422
    assert f'<span class="field-name">{field}</span>' in response.text
    assert library_state(app, org)[1] == 0


# --- similar categories -----------------------------------------------------------------------------

def test_the_owner_groups_similar_categories(app, org, owner):
    response = owner.post("/staff/library/categories", {"groups": "haircut, hair-care\n\n colour ,toner, \n"},
                          form_on="/staff/library")
    assert response.status_code == 303
    assert organisation_settings.show(app, org).similar_categories == [["hair-care", "haircut"], ["colour", "toner"]]
    page = owner.page("/staff/library")
    assert "<li>colour, toner</li>" in page


# --- automations ------------------------------------------------------------------------------------

def test_the_owner_switches_an_automation_on_with_its_timing_and_off_again(app, org, owner):
    page = owner.page("/staff/automations")
    assert 'id="automation-appointment_reminder-email" data-enabled="no"' in page
    response = owner.post("/staff/automations/appointment_reminder/email/enable",
                          {"template_key": "erinnerung", "hours_before": "48"}, form_on="/staff/automations")
    assert response.status_code == 303
    reminder, = automations.listed(app, org)
    assert (reminder.trigger, reminder.channel, reminder.enabled, reminder.settings, reminder.template_key) == (
        "appointment_reminder", "email", True, {"hours_before": 48}, "erinnerung")
    page = owner.page("/staff/automations")
    assert 'id="automation-appointment_reminder-email" data-enabled="yes"' in page
    assert 'id="hours_before-appointment_reminder-email" name="hours_before" value="48"' in page
    assert owner.post("/staff/automations/appointment_reminder/email/disable",
                      form_on="/staff/automations").status_code == 303
    assert not automations.listed(app, org)[0].enabled


@pytest.mark.parametrize(("fields", "field"), [
    ({"hours_before": "viele"}, "settings.hours_before"), ({"hours_before": "0"}, "settings.hours_before"),
    ({"hours_before": "99999"}, "settings.hours_before"),
])
def test_a_bad_timing_is_refused_naming_the_field(app, org, owner, fields, field):
    response = owner.post("/staff/automations/appointment_reminder/email/enable", fields,
                          form_on="/staff/automations")
    assert response.status_code == 422
    assert f'<span class="field-name">{field}</span>' in response.text
    assert automations.listed(app, org) == []


def test_a_birthday_greeting_takes_its_time_of_day(app, org, owner):
    bad = owner.post("/staff/automations/birthday_greeting/sms/enable", {"at": "9 Uhr"}, form_on="/staff/automations")
    assert bad.status_code == 422
    assert '<span class="field-name">settings.at</span>' in bad.text
    owner.post("/staff/automations/birthday_greeting/sms/enable", {"at": "10:30", "advertised_categories": "gutschein"},
               form_on="/staff/automations")
    greeting, = automations.listed(app, org)
    assert greeting.settings == {"at": "10:30", "advertised_categories": ["gutschein"]}


# --- transports ------------------------------------------------------------------------------------

def test_the_transports_page_shows_how_konsent_sends_and_never_a_secret(app, org, owner, dpo, desk, monkeypatch):
    monkeypatch.setattr(app.settings, "smtp", SmtpSettings(host="mail.salon.example", port=465, security="tls",
                                                           username="salon-login", password="smtp-geheim-123",
                                                           sender="Salon <news@salon.example>"))
    monkeypatch.setattr(app.settings, "sms", SmsSettings(provider="webhook", url="https://user:pw-geheim@sms.example/send",
                                                         token="sms-token-geheim", sender="SALON"))
    for person in (owner, dpo):
        page = person.page("/staff/transports")
        assert '<dd id="smtp-host">mail.salon.example</dd>' in page
        assert '<dd id="smtp-security">tls</dd>' in page
        assert '<dd id="sms-endpoint">sms.example</dd>' in page
        assert "Salon Sonnenschein" in page
        assert "Hauptstraße 1, 10115 Berlin" in page
        for secret in ("smtp-geheim-123", "salon-login", "pw-geheim", "sms-token-geheim", "user:"):
            assert secret not in page
    assert desk.client.get("/staff/transports").status_code == 403
    assert 'id="change-sender"' in owner.page("/staff/transports")
    assert 'id="change-sender"' not in dpo.page("/staff/transports")


# --- roles, CSRF, tenants ---------------------------------------------------------------------------

def writes() -> list[tuple[str, dict[str, str]]]:
    return [("/staff/library/templates", TEMPLATE),
            ("/staff/library/texts", {"key": "newsletter", "locale": "de", "title": "N", "body": "Ja."}),
            ("/staff/library/categories", {"groups": "a, b"}),
            ("/staff/automations/winback/email/enable", {"days_without_visit": "60"}),
            ("/staff/automations/booking_confirmation/email/disable", {})]


@pytest.mark.parametrize("role", ["desk", "dpo"])
def test_only_the_owner_changes_the_library_and_the_automations(app, org, request, role):
    automations.enable(app, org, "booking_confirmation")
    person = request.getfixturevalue(role)
    person.page("/staff/library")
    person.page("/staff/automations")
    before = library_state(app, org)
    for action, fields in writes():
        assert person.post(action, fields, form_on="/staff/library").status_code == 403, action
    assert library_state(app, org) == before
    for path in ("/staff/library/templates/new", "/staff/library/texts/new"):
        assert person.client.get(path).status_code == 403, path
    for control in ('id="new-template"', 'id="new-text"', 'id="categories-form"'):
        assert control not in person.page("/staff/library")
    automation_page = person.page("/staff/automations")
    assert 'id="enable-winback-email-submit"' not in automation_page
    assert 'id="disable-booking_confirmation-email"' not in automation_page


def test_a_library_form_without_its_token_is_refused(app, org, owner):
    before = library_state(app, org)
    for action, fields in writes():
        assert owner.client.post(action, data=fields).status_code == 403, action
    assert library_state(app, org) == before


def test_another_organisations_templates_and_texts_are_a_404(app, org, owner):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other", jurisdiction="DE").id
    templates.save(app, other, key="geheim", channel="email", locale="de", subject="Geheim", body_text="Geheimtext")
    consents.consent_text(app, other, key="geheim", locale="de", title="Geheim", body="Geheimtext")
    for path in ("/staff/library/templates/geheim/email/de", "/staff/library/texts/geheim/de"):
        response = owner.client.get(path)
        assert response.status_code == 404, path
        assert "Geheimtext" not in response.text
    assert "geheim" not in owner.page("/staff/library")
    # Saving a template of the same key makes the owner's own, and leaves the other's alone.
    owner.post("/staff/library/templates", {**TEMPLATE, "key": "geheim"}, form_on="/staff/library/templates/new")
    assert versions(app, other, "geheim") == [1]
    assert versions(app, org, "geheim") == [1]


# --- every page, both languages --------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_library_page_is_accessible_in_both_languages(app, org, owner, lang):
    staff.set_locale(app, owner.account.id, lang)
    templates.save(app, org, key="herbst", channel="email", locale="de", subject="Herbst", body_text="Hallo")
    consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter", body="Ja.")
    automations.enable(app, org, "appointment_reminder")
    for path in ("/staff/library", "/staff/library/templates/new", "/staff/library/templates/herbst/email/de",
                 "/staff/library/texts/new", "/staff/library/texts/newsletter/de", "/staff/automations",
                 "/staff/transports"):
        response = owner.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store"
        page = Page()
        page.feed(response.text)
        assert page.lang == lang, path
        assert [f for f in page.fields if f.get("id") not in page.labelled and not f.get("aria-label")] == [], path
        assert page.inline == [], path
        assert not {i for i in page.ids if page.ids.count(i) > 1}, path
