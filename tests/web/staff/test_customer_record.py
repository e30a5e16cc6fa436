"""The customer record (Kundenakte): search, contact points, purchases, what may be sent on each
channel and why — the same answer `decide` gives —, the ledger with its evidence, messages with
their basis, and the proof dossier."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from konsent.services import consents, customer_record, customers, doi, facts, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customer_record import PURPOSES
from konsent.services.customers import NewCustomer
from tests.web.staff.conftest import token_in


def status_of(html: str, channel: str, purpose: str) -> str:
    marker = f'id="permission-{channel}-{purpose}" data-status="'
    assert marker in html, (channel, purpose)
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture(params=["few", "many"])
def matches(request, monkeypatch):
    """A search answers rare queries from the indexes and common ones by walking the customers in
    order (customer_record._FEW tells them apart): both ways must find the same."""
    if request.param == "many":
        monkeypatch.setattr(customer_record, "_FEW", 0)
    return request.param


def test_the_search_finds_a_customer_by_name_email_phone_and_external_id(app, org, desk, anna, matches):
    external = customers.show(app, org, anna).external_id
    for query in ("anna", "Anna Berg", "BERG", "anna.berg@EXAMPLE", "+4915123456789", "015123456789", external):
        html = desk.page("/staff/customers", q=query)
        assert f'href="/staff/customers/{anna}"' in html, query
    nobody = desk.page("/staff/customers", q="Zoe")
    assert 'id="no-results"' in nobody


def test_the_search_treats_wildcards_as_text(desk, anna, matches):
    assert 'id="no-results"' in desk.page("/staff/customers", q="%")
    assert 'id="no-results"' in desk.page("/staff/customers", q="_nna")


def test_the_search_is_paged_without_skipping_or_repeating(app, org, desk, clock, matches):
    made = []
    for number in range(30):
        clock.advance(seconds=1)
        made.append(customers.add(app, org, NewCustomer(email=f"kunde{number}@example.com",
                                                        last_name="Sommer")).id)
    seen, params = [], {"q": "sommer"}
    while True:
        html = desk.page("/staff/customers", **params)
        seen += re.findall(r'href="/staff/customers/([0-9a-f-]{36})" class="customer-link"', html)
        following = re.search(r'cursor=([^"]+)" id="next-page"', html)
        if following is None:
            break
        params = {"q": "sommer", "cursor": unquote(following.group(1))}
    assert len(seen) == 30
    assert seen == made


def test_the_record_shows_contacts_purchases_and_the_engines_answer_per_channel_and_purpose(app, org, desk, anna,
                                                                                           clock):
    customers.record_purchase(app, org, anna, occurred_at=clock.current - timedelta(days=3),
                              categories=["haircut"], contact_collected=["email"],
                              objection_notice_at_collection=True, external_id=f"B-{anna[:6]}")
    consents.give(app, org, anna, ConsentDeclaration(channel="sms", source="manual_staff",
                                                    evidence={"staff_actor": "staff:someone"}))
    html = desk.page(f"/staff/customers/{anna}")
    assert "anna.berg@example.com" in html
    assert "+4915123456789" in html
    assert f"B-{anna[:6]}" in html
    for channel in ("email", "sms", "phone", "post"):
        for purpose in PURPOSES:
            _, decision = facts.decide_for(app, org, anna, facts.Asked(purpose, channel))
            shown = status_of(html, channel, purpose)
            assert (shown == "allowed") == decision.allowed, (channel, purpose, shown)
    assert status_of(html, "sms", "newsletter") == "allowed"
    assert status_of(html, "phone", "newsletter") == "not_allowed"
    # The reasons in the staff member's language (English here), as the engine words them.
    _, decision = facts.decide_for(app, org, anna, facts.Asked("newsletter", "phone"))
    assert decision.reasons[0].text("en") in html


def test_an_unconfirmed_sign_up_shows_as_waiting_and_an_objection_as_objected(app, org, desk, anna):
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="online_form",
                                                    evidence={"ip": "192.0.2.7"}))
    html = desk.page(f"/staff/customers/{anna}")
    assert status_of(html, "email", "newsletter") == "waiting"
    assert 'id="open-signups"' in html
    consents.object_to(app, org, anna, channel="email", actor="staff:someone")
    html = desk.page(f"/staff/customers/{anna}")
    assert status_of(html, "email", "newsletter") == "objected"
    assert status_of(html, "email", "birthday_greeting") == "objected"


def test_the_timeline_shows_each_event_with_its_evidence_and_who_recorded_it(app, org, desk, owner, anna):
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="paper_form",
                                                    evidence={"document_hash": "ab" * 32, "note": "Ordner 7"}),
                  actor=owner.account.actor)
    html = desk.page(f"/staff/customers/{anna}")
    assert 'data-type="consent.given"' in html
    assert "ab" * 32 in html
    assert "Ordner 7" in html
    assert owner.account.name in html.split('id="timeline"')[1]


def test_messages_sent_are_listed_with_their_basis(app, org, desk, anna):
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="online_form",
                                                    evidence={"ip": "192.0.2.7"}))
    doi.request(app, org, anna, channel="email")
    html = desk.page(f"/staff/customers/{anna}")
    messages = html.split('id="messages"')[1].split("</table>")[0]
    assert "Confirmation request" in messages
    assert "confirmation of the customer&#39;s own sign-up" in messages


def test_the_proof_dossier_downloads_as_a_pdf(desk, anna):
    response = desk.client.get(f"/staff/customers/{anna}/dossier.pdf", params={"lang": "de"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"


def test_another_organisations_customer_is_not_found(app, org, desk):
    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="DE").id
    theirs = customers.add(app, other, NewCustomer(email="olga@example.com", first_name="Olga")).id
    for path in (f"/staff/customers/{theirs}", f"/staff/customers/{theirs}/dossier.pdf",
                 f"/staff/customers/{theirs}/consents/new"):
        response = desk.client.get(path)
        assert response.status_code == 404, path
        assert "Olga" not in response.text
    assert 'id="no-results"' in desk.page("/staff/customers", q="olga")
    response = desk.client.post(f"/staff/customers/{theirs}/consents", data={
        "csrf": desk.token("/staff/customers"), "channel": "email", "source": "manual_staff", "agreed_now": "yes"})
    assert response.status_code == 404
    assert not consents_of(app, other, theirs)


def consents_of(app, org, customer):
    from konsent.storage import ledger  # noqa: PLC0415

    with app.db.unit_of_work() as session:
        return ledger.load_state(session, org, customer).consents


@pytest.mark.parametrize(("person", "words"), [("owner", ("Kundenakte", "Was dürfen wir senden?", "Abmelden")),
                                               ("desk", ("Customer record", "What may we send?", "Sign out"))])
def test_the_record_is_in_the_staff_members_language(request, person, words, anna):
    html = request.getfixturevalue(person).page(f"/staff/customers/{anna}")
    for word in words:
        assert word in html
    assert token_in(html)
