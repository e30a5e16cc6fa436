"""`/u/<token>`: the unsubscribe link of every advertising message, and RFC 8058 one-click."""

from konsent import tokens
from konsent.domain.ledger import EventType
from konsent.services import facts
from tests.web.public.conftest import client_for
from tests.web.public.html import page
from tests.web.public.people import (
    add_anna,
    confirmation_path,
    evidence_of,
    footprint,
    newsletter_text,
    sent_message,
    signed_up,
    types,
    unsubscribe_path,
)

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def subscribed_anna(site, site_app, org, inbox, **fields):
    """Anna, confirmed for the newsletter, with the unsubscribe link of a newsletter she received."""
    anna = add_anna(site_app, org, **fields)
    signed_up(site_app, org, anna.id, text_id=newsletter_text(site_app, org).id)
    site.post(confirmation_path(site_app, org, anna.id, inbox))
    assert facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].allowed
    return anna, unsubscribe_path(site_app, org, sent_message(site_app, org, anna.id))


def test_the_link_shows_one_button_and_changes_nothing(site, site_app, org, inbox):
    anna, path = subscribed_anna(site, site_app, org, inbox)
    before = footprint(site_app, org)
    response = site.get(path)
    assert response.status_code == 200
    shown = page(response)
    assert shown.h1 == ["Abmelden"]
    assert "Möchten Sie von Salon Sonnenschein keine Werbung per E-Mail mehr erhalten?" in shown.text
    assert shown.buttons == ["Ja, abmelden"]
    assert shown.forms["unsubscribe-form"].action == path
    assert footprint(site_app, org) == before
    assert facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].allowed


def test_the_button_withdraws_and_objects(site, site_app, org, inbox):
    anna, path = subscribed_anna(site, site_app, org, inbox)
    response = site.post(path, headers={"User-Agent": "Safari/18"})
    assert response.status_code == 200
    shown = page(response)
    assert shown.h1 == ["Sie sind abgemeldet"]
    assert "Sie erhalten von Salon Sonnenschein keine Werbung per E-Mail mehr." in shown.text
    assert shown.links["preferences-link"].startswith("http://127.0.0.1:8000/p/")
    assert types(site_app, org, anna.id)[-2:] == [EventType.CONSENT_WITHDRAWN, EventType.OBJECTION]
    assert evidence_of(site_app, org, EventType.OBJECTION)["user_agent"] == "Safari/18"
    _, decision = facts.decide_for(site_app, org, anna.id, NEWSLETTER)
    assert not decision.allowed
    assert "objection" in decision.codes


def test_one_click_works_without_cookies_or_tokens_and_never_redirects(site, site_app, org, inbox):
    anna, path = subscribed_anna(site, site_app, org, inbox)
    with client_for(site_app) as mailbox_provider:  # a fresh client: no cookie at all
        response = mailbox_provider.post(path, data=ONE_CLICK)
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "set-cookie" not in response.headers
    assert not facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].allowed
    assert evidence_of(site_app, org, EventType.OBJECTION)["note"] == "RFC 8058 one-click"


def test_one_click_as_multipart_works_too(site, site_app, org, inbox):
    anna, path = subscribed_anna(site, site_app, org, inbox)
    with client_for(site_app) as mailbox_provider:
        response = mailbox_provider.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert not facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].allowed
    assert evidence_of(site_app, org, EventType.OBJECTION)["note"] == "RFC 8058 one-click"


def test_unsubscribing_twice_is_harmless(site, site_app, org, inbox):
    anna, path = subscribed_anna(site, site_app, org, inbox)
    assert site.post(path, data=ONE_CLICK).status_code == 200
    assert site.post(path, data=ONE_CLICK).status_code == 200
    assert not facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].allowed


def test_a_confirmation_link_does_not_unsubscribe(site, site_app, org, inbox):
    anna = add_anna(site_app, org)
    signed_up(site_app, org, anna.id)
    confirm = confirmation_path(site_app, org, anna.id, inbox)
    before = footprint(site_app, org)
    reused = "/u/" + confirm.removeprefix("/c/")
    for response in (site.get(reused), site.post(reused, data=ONE_CLICK)):
        assert response.status_code == 400
        assert tokens.TokenInvalid().text("de") in page(response).text
    assert footprint(site_app, org) == before


def test_a_forged_or_expired_link_changes_nothing(site, site_app, org, inbox, clock):
    _, path = subscribed_anna(site, site_app, org, inbox)
    before = footprint(site_app, org)
    assert site.post(path[:-2] + "xx", data=ONE_CLICK).status_code == 400
    clock.advance(days=401)
    expired = site.post(path, data=ONE_CLICK)
    assert expired.status_code == 410
    assert page(expired).h1 == ["Dieser Link ist abgelaufen"]
    assert footprint(site_app, org) == before


def test_the_page_speaks_the_customers_language(site, site_app, org, inbox):
    _, path = subscribed_anna(site, site_app, org, inbox, locale="en")
    assert page(site.get(path)).buttons == ["Yes, unsubscribe"]
    done = page(site.post(path))
    assert done.h1 == ["You are unsubscribed"]
    assert "Salon Sonnenschein will send you no more advertising by email." in done.text
