"""`/p/<token>`: what the organisation may send a person — as the engine decides it — and the means
to change it. Every change is a POST with a CSRF token."""

import pytest
from sqlalchemy import select

from konsent import tokens
from konsent.domain.ledger import EventType
from konsent.services import facts, preferences, rights
from konsent.storage import tables as t
from tests.web.public.html import page
from tests.web.public.people import (
    add_anna,
    confirmation_path,
    footprint,
    newsletter_text,
    signed_up,
    token_for,
    types,
)

KINDS = [kind.value for kind in preferences.KINDS]


def confirmed_anna(site, site_app, org, inbox, **fields):
    """Anna confirmed the newsletter by email; she reaches her preferences from the thank-you page."""
    fields.setdefault("postal_address", "Lindenweg 3\n10115 Berlin")
    anna = add_anna(site_app, org, **fields)
    signed_up(site_app, org, anna.id, text_id=newsletter_text(site_app, org).id)
    thanks = page(site.post(confirmation_path(site_app, org, anna.id, inbox)))
    return anna, thanks.links["preferences-link"].removeprefix("http://127.0.0.1:8000")


def cells(response):
    return {(c["data-channel"], c["data-purpose"]): c["data-allowed"] == "true" for c in page(response).cells}


def engine(app, org, customer_id, channels):
    return {(channel, kind): facts.decide_for(app, org, customer_id, facts.Asked(kind=kind, channel=channel))[1].allowed
            for channel in channels for kind in KINDS}


def test_the_centre_shows_what_the_engine_decides_and_changes_nothing(site, site_app, org, inbox):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    before = footprint(site_app, org)
    response = site.get(path)
    assert response.status_code == 200
    shown = page(response)
    assert shown.h1 == ["Ihre Einstellungen"]
    assert "Gespeicherte Kontaktdaten: a•••@example.com, +49 ••• 89, Postanschrift" in shown.text
    for address in ("anna.berg@example.com", "+4915123456789", "Lindenweg"):  # masked, never in full
        assert address not in response.text
    grid = cells(response)
    assert grid == engine(site_app, org, anna.id, ["email", "sms", "phone", "post"])
    assert grid["email", "newsletter"]
    assert not grid["sms", "newsletter"]
    assert grid["post", "newsletter"]  # a letter: legitimate interest unless objected
    assert "Newsletter per E-Mail, erteilt am 20.11.2026 — bestätigt" in shown.text
    assert footprint(site_app, org) == before


def test_withdrawing_one_consent_needs_the_form_and_moves_the_grid(site, site_app, org, inbox):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    shown = page(site.get(path))
    form = shown.forms["withdraw-form-email-newsletter"]
    response = site.post(form.action, data={name: values[0] for name, values in form.fields.items()})
    assert response.status_code == 200
    assert "Ihr Widerruf ist gespeichert." in page(response).text
    assert types(site_app, org, anna.id)[-1] == EventType.CONSENT_WITHDRAWN
    grid = cells(response)
    assert not grid["email", "newsletter"]
    assert grid == engine(site_app, org, anna.id, ["email", "sms", "phone", "post"])
    assert "Sie haben derzeit keine Einwilligung erteilt." in page(response).text


@pytest.mark.parametrize("csrf", [None, "forged", "from-another-form"])
def test_a_change_without_a_genuine_csrf_token_is_refused(site, site_app, org, inbox, csrf):
    _, path = confirmed_anna(site, site_app, org, inbox)
    form = page(site.get(path)).forms["everything-form"]
    fields = {"csrf": {"forged": "x" + form.fields["csrf"][0][1:],
                       "from-another-form": _signup_csrf(site, site_app, org)}.get(csrf)} if csrf else {}
    before = footprint(site_app, org)
    response = site.post(form.action, data=fields)
    assert response.status_code == 403
    assert page(response).h1 == ["Formular abgelaufen"]
    assert footprint(site_app, org) == before


def _signup_csrf(site, site_app, org):
    newsletter_text(site_app, org)
    return page(site.get(f"/s/{org}")).forms["signup-form"].fields["csrf"][0]


def test_a_token_without_its_cookie_is_refused(site, site_app, org, inbox):
    _, path = confirmed_anna(site, site_app, org, inbox)
    form = page(site.get(path)).forms["everything-form"]
    site.cookies.clear()
    before = footprint(site_app, org)
    assert site.post(form.action, data={"csrf": form.fields["csrf"][0]}).status_code == 403
    assert footprint(site_app, org) == before


def test_stopping_one_channel_and_then_everything(site, site_app, org, inbox):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    stop = page(site.get(path)).forms["stop-form-sms"]
    after_stop = site.post(stop.action, data={name: values[0] for name, values in stop.fields.items()})
    assert "Keine Werbung per SMS: Sie haben am 20.11.2026 widersprochen." in page(after_stop).text
    assert "stop-form-sms" not in page(after_stop).forms
    everything = page(after_stop).forms["everything-form"]
    done = site.post(everything.action, data={"csrf": everything.fields["csrf"][0]})
    assert done.status_code == 200
    assert "Sie erhalten von Salon Sonnenschein keine Werbung mehr." in page(done).text
    grid = cells(done)
    assert not any(grid.values())
    assert grid == engine(site_app, org, anna.id, ["email", "sms", "phone", "post"])


def test_asking_for_data_is_recorded_once_and_says_what_happens_next(site, site_app, org, inbox):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    form = page(site.get(path)).forms["data-form"]
    ledger_before = types(site_app, org, anna.id)
    response = site.post(form.action, data={"csrf": form.fields["csrf"][0]})
    assert "innerhalb eines Monats (Art. 12 Abs. 3 DSGVO)" in page(response).text
    assert "data-form" not in page(response).forms
    site.post(form.action, data={"csrf": form.fields["csrf"][0]})
    with site_app.db.unit_of_work() as session:
        entries = session.scalars(select(t.AuditEntry).where(t.AuditEntry.organisation_id == org,
                                                             t.AuditEntry.action == preferences.DATA_REQUESTED)).all()
    assert [(e.subject, e.actor, e.details) for e in entries] == [
        (anna.id, preferences.ACTOR, {"via": "preference_centre"})]
    assert types(site_app, org, anna.id) == ledger_before  # the ledger is about consent, not this


def test_a_new_consent_goes_through_double_opt_in(site, site_app, org, inbox):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    form = page(site.get(path)).forms["consent-form"]
    assert form.fields["channel"] == ["email"]
    fields = {name: values[0] for name, values in form.fields.items()}
    response = site.post(form.action, data={**fields, "purpose": "birthday_greeting"})
    assert response.status_code == 200
    assert "Bitte bestätigen Sie Ihre Anmeldung mit der Nachricht" in page(response).text
    assert types(site_app, org, anna.id)[-2:] == [EventType.CONSENT_GIVEN, EventType.DOI_REQUESTED]
    assert "Geburtstagsgrüße per E-Mail, erteilt am 20.11.2026 — wartet auf Ihre Bestätigung" in page(response).text
    assert not cells(response)["email", "birthday_greeting"]
    assert len(inbox.messages()) == 2  # the first sign-up's and this one's


def test_the_centre_refuses_foreign_expired_and_erased(site, site_app, org, inbox, clock):
    anna, path = confirmed_anna(site, site_app, org, inbox)
    doi_token = token_for(site_app, org, tokens.DOI, anna.id)
    assert site.get(f"/p/{doi_token}").status_code == 400  # a token for another purpose
    assert site.get(path[:-2] + "zz").status_code == 400
    assert site.get("/p/" + path.removeprefix("/p/").replace(".", "!", 1)).status_code == 400
    clock.advance(days=91)
    assert site.get(path).status_code == 410
    clock.advance(days=-91)
    rights.erase(site_app, org, anna.id, actor="dpo@salon.example")
    gone = site.get(path)
    assert gone.status_code == 400
    assert "Lindenweg" not in gone.text


def test_the_centre_is_never_framed_and_speaks_english(site, site_app, org, inbox):
    _, path = confirmed_anna(site, site_app, org, inbox, locale="en")
    response = site.get(path)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    shown = page(response)
    assert shown.h1 == ["Your preferences"]
    assert "Withdraw: Newsletter by email" in shown.buttons
    assert "Request my data" in shown.buttons
