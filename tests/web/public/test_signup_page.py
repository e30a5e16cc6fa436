"""`/s/<slug>`: the sign-up form a business puts on its site (or frames with `?embed=1`)."""

import dataclasses
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from konsent.domain.ledger import EventType
from konsent.services import facts, signups
from konsent.storage import tables as t
from tests.transports.smtp_server import text_of
from tests.web.public.conftest import client_for
from tests.web.public.html import page
from tests.web.public.people import (
    ANNA,
    add_anna,
    evidence_of,
    footprint,
    newsletter_text,
    path_in,
    post_form,
    slug_of,
    types,
)

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
HOST_PAGE = "https://salon.example/newsletter"


def the_form(site, site_app, org, query=""):
    newsletter_text(site_app, org)
    response = site.get(f"/s/{slug_of(site_app, org)}{query}", headers={"Referer": HOST_PAGE})
    assert response.status_code == 200
    return page(response)


def customer_ids(app, org):
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.Customer.id).where(t.Customer.organisation_id == org)))


def test_the_form_is_plain_accessible_html_with_unticked_boxes(site, site_app, org):
    form = the_form(site, site_app, org)
    assert form.h1 == ["Anmeldung bei Salon Sonnenschein"]
    assert form.forms["signup-form"].fields.get("consent") is None  # no box is ticked
    boxes = [i for i in form.inputs if i.get("type") == "checkbox"]
    assert [b["value"] for b in boxes] == ["email:newsletter", "sms:newsletter"]
    visible = [i for i in form.inputs if i.get("type") != "hidden" and i.get("id") != "website"]
    assert {i["id"]: form.labels[i["id"]] for i in visible} == {
        "email": "E-Mail-Adresse", "phone": "Handynummer (nur für SMS)",
        "consent-email-newsletter": "Newsletter per E-Mail", "consent-sms-newsletter": "Newsletter per SMS",
    }
    assert "Einwilligungstext, Version 1" in form.text
    assert form.forms["signup-form"].fields["page_url"] == [HOST_PAGE]
    assert form.buttons == ["Anmelden"]
    assert form.inline == []  # the CSP forbids inline scripts and styles: there are none


def test_signing_up_records_the_consent_with_evidence_and_sends_the_confirmation(site, site_app, org, inbox):
    form = the_form(site, site_app, org)
    response = post_form(site, form, "signup-form", email=" Anna.Berg@Example.com ", consent="email:newsletter")
    assert response.status_code == 200
    assert page(response).h1 == ["Fast geschafft"]
    assert "Wir haben eine Nachricht an Anna.Berg@Example.com geschickt." in page(response).text
    [anna] = customer_ids(site_app, org)
    assert types(site_app, org, anna) == [EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED]
    evidence = evidence_of(site_app, org, EventType.CONSENT_GIVEN)
    assert evidence["page_url"] == HOST_PAGE
    assert evidence["ip"].startswith("10.")
    assert evidence["user_agent"]
    [mail] = inbox.messages()
    assert mail["To"] == ANNA
    assert "unconfirmed_consent" in facts.decide_for(site_app, org, anna, NEWSLETTER)[1].codes


def test_sign_up_confirm_and_manage_preferences_end_to_end(site, site_app, org, inbox):
    form = the_form(site, site_app, org)
    post_form(site, form, "signup-form", email=ANNA, consent="email:newsletter")
    link = path_in(text_of(inbox.messages()[-1], "plain"))
    assert page(site.get(link)).buttons == ["Ja, Anmeldung bestätigen"]
    thanks = page(site.post(link))
    preferences = site.get(thanks.links["preferences-link"].removeprefix("http://127.0.0.1:8000"))
    [anna] = customer_ids(site_app, org)
    assert facts.decide_for(site_app, org, anna, NEWSLETTER)[1].allowed
    done = post_form(site, page(preferences), "everything-form")
    assert done.status_code == 200
    assert not facts.decide_for(site_app, org, anna, NEWSLETTER)[1].allowed


@pytest.mark.parametrize(("fields", "problem", "message"), [
    ({"email": "", "consent": "email:newsletter"}, "email", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
    ({"email": "anna@", "consent": "email:newsletter"}, "email", "Das ist keine gültige E-Mail-Adresse."),
    ({"email": ANNA}, "consent", "Bitte wählen Sie mindestens eine Möglichkeit."),
    ({"email": ANNA, "consent": "sms:newsletter"}, "phone", "Für SMS brauchen wir Ihre Handynummer."),
    ({"email": ANNA, "phone": "12", "consent": "email:newsletter"}, "phone", "Das ist keine gültige Handynummer"),
    ({"email": ANNA, "consent": "fax:newsletter"}, "consent", "Diese Auswahl gibt es nicht."),
    ({"email": ANNA, "consent": "email:newsletter", "text_id": "0" * 36}, "text_id", "Das Formular ist veraltet."),
    ({"email": ANNA, "consent": "email:newsletter", "page_url": "javascript:alert(1)"}, "page_url",
     "Die Adresse der Seite ist ungültig."),
])
def test_a_wrong_field_is_named_next_to_it_and_nothing_is_written(site, site_app, org, inbox, fields, problem,
                                                                   message):
    form = the_form(site, site_app, org)
    before = footprint(site_app, org)
    response = post_form(site, form, "signup-form", **fields)
    assert response.status_code == 422
    shown = page(response)
    assert f"{problem}-error" in shown.ids
    assert message in shown.text
    assert footprint(site_app, org) == before
    assert inbox.received == []
    if problem in ("email", "phone"):
        [field] = [i for i in shown.inputs if i.get("id") == problem]
        assert field["aria-invalid"] == "true"
        assert f"{problem}-error" in field["aria-describedby"]


def test_the_form_comes_back_as_it_was_filled_in(site, site_app, org):
    form = the_form(site, site_app, org)
    again = page(post_form(site, form, "signup-form", email="anna@", phone="+4915123456789",
                           consent="email:newsletter"))
    assert [i["value"] for i in again.inputs if i.get("id") in ("email", "phone")] == ["anna@", "+4915123456789"]
    assert again.forms["signup-form"].fields["consent"] == ["email:newsletter"]


def test_a_robot_filling_the_honeypot_is_told_success_and_nothing_happens(site, site_app, org, inbox):
    form = the_form(site, site_app, org)
    before = footprint(site_app, org)
    response = post_form(site, form, "signup-form", email=ANNA, consent="email:newsletter",
                         website="https://spam.example")
    assert response.status_code == 200
    assert page(response).h1 == ["Fast geschafft"]
    assert footprint(site_app, org) == before
    assert inbox.received == []


def test_an_existing_customer_is_found_not_duplicated(site, site_app, org, inbox):
    anna = add_anna(site_app, org)
    form = the_form(site, site_app, org)
    post_form(site, form, "signup-form", email=ANNA.upper(), consent="email:newsletter")
    assert customer_ids(site_app, org) == [anna.id]
    assert types(site_app, org, anna.id) == [EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED]


def test_the_form_never_adds_an_address_to_someone_who_exists(site, site_app, org, inbox):
    anna = add_anna(site_app, org, phone=None)
    form = the_form(site, site_app, org)
    response = post_form(site, form, "signup-form", email=ANNA, phone="+4917000000001",
                         consent=["email:newsletter", "sms:newsletter"])
    assert response.status_code == 200  # the page looks like any other sign-up
    with site_app.db.unit_of_work() as session:
        kinds = session.scalars(select(t.ContactPoint.kind).where(t.ContactPoint.customer_id == anna.id)).all()
    assert kinds == ["email"]
    assert types(site_app, org, anna.id) == [EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED]  # email only


def test_an_sms_sign_up_is_confirmed_with_the_code(site, site_app, org, inbox):
    form = the_form(site, site_app, org)
    done = page(post_form(site, form, "signup-form", email=ANNA, phone="0151 23456789",
                          consent=["email:newsletter", "sms:newsletter"]))
    assert "Außerdem bekommen Sie eine SMS" in done.text
    [sms] = (site_app.settings.data_dir / "outbox").glob("*.txt")
    code = re.search(r"Ihr Code (\d{6})", sms.read_text()).group(1)
    wrong = post_form(site, done, "code-form", code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 422
    assert "code-error" in page(wrong).ids
    confirmed = post_form(site, done, "code-form", code=code)
    assert confirmed.status_code == 200
    assert page(confirmed).h1 == ["Vielen Dank!"]
    [anna] = customer_ids(site_app, org)
    assert facts.decide_for(site_app, org, anna, facts.Asked(kind="newsletter", channel="sms"))[1].allowed


def test_an_unknown_number_is_answered_like_a_wrong_code(site, site_app, org):
    newsletter_text(site_app, org)
    form = page(site.get(f"/s/{slug_of(site_app, org)}/code"))
    response = post_form(site, form, "code-form", phone="+4917099999999", code="123456")
    assert response.status_code == 422
    assert "Der Code stimmt nicht." in page(response).text


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_a_post_without_a_genuine_csrf_token_writes_nothing(site, site_app, org, inbox, csrf):
    form = the_form(site, site_app, org)
    before = footprint(site_app, org)
    fields = {"email": ANNA, "consent": "email:newsletter",
              "csrf": "" if csrf is None else form.forms["signup-form"].fields["csrf"][0][:-2] + "AA"}
    response = post_form(site, form, "signup-form", **fields)
    assert response.status_code == 403
    assert footprint(site_app, org) == before


def test_too_many_sign_ups_from_one_address_get_429(site_app, org, inbox):
    security = site_app.settings.security.model_copy(update={"signup_per_hour": 2})
    strict = dataclasses.replace(site_app, settings=site_app.settings.model_copy(update={"security": security}))
    with client_for(strict) as site:
        form = the_form(site, strict, org)
        for n in range(2):
            assert post_form(site, form, "signup-form", email=f"p{n}@example.com",
                             consent="email:newsletter").status_code == 200
        before = footprint(strict, org)
        refused = post_form(site, form, "signup-form", email="p3@example.com", consent="email:newsletter")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert page(refused).h1 == ["Zu viele Anfragen"]
    assert footprint(strict, org) == before


def test_only_the_embed_variant_may_be_framed(site, site_app, org):
    newsletter_text(site_app, org)
    slug = slug_of(site_app, org)
    plain = site.get(f"/s/{slug}")
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    assert plain.headers["x-frame-options"] == "DENY"
    embedded = site.get(f"/s/{slug}?embed=1")
    assert "frame-ancestors *" in embedded.headers["content-security-policy"]
    assert "script-src 'self'" in embedded.headers["content-security-policy"]
    assert "x-frame-options" not in embedded.headers
    assert page(embedded).forms["signup-form"].action == f"/s/{slug}?embed=1"


def test_the_form_in_english_and_with_chosen_purposes(site, site_app, org):
    newsletter_text(site_app, org, locale="en", body="Yes, send me the newsletter.")
    shown = page(site.get(f"/s/{slug_of(site_app, org)}?lang=en&purposes=newsletter,birthday_greeting&channels=email"))
    assert shown.h1 == ["Sign up with Salon Sonnenschein"]
    assert [shown.labels[i["id"]] for i in shown.inputs if i.get("type") == "checkbox"] == [
        "Newsletter by email", "Birthday greetings by email"]
    assert "Yes, send me the newsletter." in shown.text
    assert "phone" not in shown.ids  # no SMS offered: no number asked for


def test_a_bad_embed_parameter_is_named_and_an_unknown_organisation_is_404(site, site_app, org):
    newsletter_text(site_app, org)
    response = site.get(f"/s/{slug_of(site_app, org)}?purposes=spam")
    assert response.status_code == 422
    assert "purposes" in page(response).text
    assert site.get("/s/nobody-here").status_code == 404


def test_a_form_without_a_consent_text_is_not_offered(site, site_app, org):
    response = site.get(f"/s/{slug_of(site_app, org)}")
    assert response.status_code == 404
    assert "Dieses Anmeldeformular ist noch nicht eingerichtet." in page(response).text


def test_the_existing_customer_notice_is_a_documented_snippet(site, site_app, org):
    shown = page(site.get(f"/s/{slug_of(site_app, org)}/notice"))
    assert "§ 7 Abs. 3 UWG" in shown.text
    assert "Sie können dieser Verwendung jederzeit widersprechen" in shown.text
    assert '<p class="objection-notice">Wir verwenden Ihre E-Mail-Adresse' in shown.text


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite lets one writer in at a time
def test_two_sign_ups_of_one_new_address_at_the_same_moment_make_one_customer(site_app, org, inbox, monkeypatch):
    text = newsletter_text(site_app, org)
    both_looked = threading.Barrier(2, timeout=10)
    looked_up = signups._owner

    waited: set[str] = set()

    def look_then_wait(session, organisation_id, kind, value):
        found = looked_up(session, organisation_id, kind, value)
        me = threading.current_thread().name
        if kind == "email" and me.startswith("sign-up") and me not in waited:  # the retry looks alone
            waited.add(me)
            both_looked.wait()
        return found

    monkeypatch.setattr(signups, "_owner", look_then_wait)
    form = signups.SignupForm(email=ANNA, phone=None, choices=["email:newsletter"], text_id=text.id, locale="de",
                              evidence={"ip": "192.0.2.7"})
    with ThreadPoolExecutor(2, thread_name_prefix="sign-up") as pool:
        answers = list(pool.map(lambda _: signups.sign_up(site_app, org, form), range(2)))

    assert [a.channels for a in answers] == [("email",), ("email",)]
    [anna] = customer_ids(site_app, org)
    assert types(site_app, org, anna).count(EventType.CONSENT_GIVEN) == 2
