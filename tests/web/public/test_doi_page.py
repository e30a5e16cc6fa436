"""`/c/<token>`: the confirmation link from the double opt-in mail. GET shows, POST confirms."""

from sqlalchemy import select

from konsent import tokens
from konsent.domain.ledger import EventType
from konsent.services import facts, organisations
from konsent.storage import tables as t
from tests.web.public.html import page
from tests.web.public.people import (
    add_anna,
    confirmation_path,
    evidence_of,
    footprint,
    newsletter_text,
    sent_message,
    signed_up,
    token_for,
    types,
    unsubscribe_path,
)

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
FIREFOX = {"User-Agent": "Mozilla/5.0 Firefox/140.0"}


def anna_with_link(site_app, org, inbox, **fields):
    anna = add_anna(site_app, org, **fields)
    text = newsletter_text(site_app, org)
    signed_up(site_app, org, anna.id, text_id=text.id)
    return anna, confirmation_path(site_app, org, anna.id, inbox)


def test_the_link_shows_what_is_confirmed_and_changes_nothing(site, site_app, org, inbox):
    anna, path = anna_with_link(site_app, org, inbox)
    before = footprint(site_app, org)
    for _ in range(2):  # a link scanner, then the person
        response = site.get(path)
        assert response.status_code == 200
    shown = page(response)
    assert shown.h1 == ["Anmeldung bestätigen"]
    assert "Salon Sonnenschein bittet Sie, diese Anmeldung zu bestätigen:" in shown.text
    for words in ("Newsletter", "per E-Mail", "alle unsere Angebote", "Salon-Newsletter",
                  "Einwilligungstext, Version 1"):
        assert words in shown.text
    assert "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten." in shown.text
    assert "Der Link gilt bis 27.11.2026, 10:00 Uhr." in shown.text
    assert shown.buttons == ["Ja, Anmeldung bestätigen"]
    assert shown.forms["confirm-form"].action == path
    assert footprint(site_app, org) == before
    assert "unconfirmed_consent" in facts.decide_for(site_app, org, anna.id, NEWSLETTER)[1].codes


def test_the_button_confirms_with_the_browsers_evidence(site, site_app, org, inbox, clock):
    anna, path = anna_with_link(site_app, org, inbox)
    clock.advance(minutes=3)
    response = site.post(path, headers=FIREFOX)
    assert response.status_code == 200
    assert "location" not in response.headers
    shown = page(response)
    assert shown.h1 == ["Vielen Dank!"]
    assert "Ihre Anmeldung für Newsletter per E-Mail bei Salon Sonnenschein ist bestätigt." in shown.text
    assert shown.links["preferences-link"].startswith("http://127.0.0.1:8000/p/")
    assert types(site_app, org, anna.id)[-1] == EventType.DOI_CONFIRMED
    evidence = evidence_of(site_app, org, EventType.DOI_CONFIRMED)
    assert evidence["user_agent"] == FIREFOX["User-Agent"]
    assert evidence["ip"].startswith("10.")
    _, decision = facts.decide_for(site_app, org, anna.id, NEWSLETTER)
    assert (decision.allowed, decision.basis.value) == (True, "consent")


def test_confirming_twice_shows_the_thanks_again_and_records_once(site, site_app, org, inbox):
    anna, path = anna_with_link(site_app, org, inbox)
    assert site.post(path).status_code == 200
    after_first = footprint(site_app, org)
    again = site.post(path)
    assert again.status_code == 200
    assert "Diese Anmeldung ist bereits bestätigt." in page(again).text
    assert footprint(site_app, org) == after_first
    assert types(site_app, org, anna.id).count(EventType.DOI_CONFIRMED) == 1
    assert "Diese Anmeldung ist bereits bestätigt." in page(site.get(path)).text  # and the link says so


def test_a_forged_link_is_refused_kindly_and_changes_nothing(site, site_app, org, inbox):
    _, path = anna_with_link(site_app, org, inbox)
    before = footprint(site_app, org)
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    for response in (site.get(forged), site.post(forged), site.post("/c/not-a-token"), site.get("/c/ä.ö")):
        assert response.status_code == 400
        shown = page(response)
        assert shown.h1 == ["Dieser Link kann nicht verwendet werden"]
        assert tokens.TokenInvalid().text("de") in shown.text
        assert "Salon Sonnenschein" not in shown.text  # a forgery earns no organisation's name
    assert footprint(site_app, org) == before


def test_an_expired_link_is_refused_with_410_and_changes_nothing(site, site_app, org, inbox, clock):
    _, path = anna_with_link(site_app, org, inbox)
    clock.advance(days=8)
    before = footprint(site_app, org)
    for response in (site.get(path), site.post(path)):
        assert response.status_code == 410
        shown = page(response)
        assert shown.h1 == ["Dieser Link ist abgelaufen"]
        assert tokens.TokenExpired().text("de") in shown.text
        assert "Salon Sonnenschein" in shown.text  # genuinely theirs, only too old
    assert footprint(site_app, org) == before


def test_an_unsubscribe_link_does_not_confirm(site, site_app, org, inbox):
    anna, _ = anna_with_link(site_app, org, inbox)
    unsubscribe = unsubscribe_path(site_app, org, sent_message(site_app, org, anna.id))
    before = footprint(site_app, org)
    reused = "/c/" + unsubscribe.removeprefix("/u/")
    assert site.get(reused).status_code == 400
    assert site.post(reused).status_code == 400
    assert footprint(site_app, org) == before


def test_a_link_naming_another_organisations_request_is_refused(site, site_app, org, inbox):
    anna_with_link(site_app, org, inbox)
    other = organisations.create(site_app, slug=f"mond-{org[:8]}", name="Salon Mond", jurisdiction="DE").id
    with site_app.db.unit_of_work() as session:
        [request_id] = session.scalars(select(t.DoiRequest.id).where(t.DoiRequest.organisation_id == org)).all()
    # Another organisation's key signs a link to Anna's request: a key opens its own organisation's data only.
    foreign = "/c/" + token_for(site_app, other, tokens.DOI, request_id)
    before = footprint(site_app, org)
    for response in (site.get(foreign), site.post(foreign)):
        assert response.status_code == 400
        assert "Salon Sonnenschein" not in page(response).text
    assert footprint(site_app, org) == before


def test_the_page_speaks_the_customers_language(site, site_app, org, inbox):
    _, path = anna_with_link(site_app, org, inbox, locale="en")
    shown = page(site.get(path))
    assert shown.h1 == ["Confirm your sign-up"]
    assert "Salon Sonnenschein asks you to confirm this sign-up:" in shown.text
    assert "This link is valid until 2026-11-27 10:00." in shown.text
    assert shown.buttons == ["Yes, confirm my sign-up"]
    done = page(site.post(path))
    assert done.h1 == ["Thank you!"]
    assert "Your sign-up for Newsletter by email with Salon Sonnenschein is confirmed." in done.text
