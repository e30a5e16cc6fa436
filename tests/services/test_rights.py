"""Access (Art. 15) and erasure (Art. 17): everything is shown, then nothing personal is left —
except the objection, which must outlive the person's data."""

import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from konsent.errors import InputError
from konsent.services import consents, customers, doi, dossier, facts, organisations, rights
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

EMAIL, PHONE, IP, AGENT = "anna.berg@example.com", "+4915123456789", "192.0.2.7", "Mozilla/5.0 (Anna's laptop)"
CONFIRM_IP = "198.51.100.23"
LINK = re.compile(r"/c/(\S+)")
WORDING = "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten."
NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
PRODUCT_AD = facts.Asked(kind="product_ad", channel="email", advertised_categories=("hair-care",))


def add_anna(app, org, **fields):
    person = {"email": EMAIL, "phone": PHONE, "first_name": "Anna", "last_name": "Berg",
              "birthday": date(1990, 5, 17), "external_id": "shop-4711", "tags": ["vip"], **fields}
    return customers.add(app, org, NewCustomer(**person), actor="staff:mia")


def newsletter_text(app, org):
    return consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter", body=WORDING)


def sign_up(app, org, customer, text=None):
    return consents.give(app, org, customer, ConsentDeclaration(
        channel="email", source="online_form", text_version_id=text.id if text else None,
        evidence={"ip": IP, "user_agent": AGENT, "page_url": "https://salon.example/newsletter"}))


def anna_who_objected(app, org, clock):
    """Anna signs up, confirms by DOI (the confirmation mail lands in the test's outbox), buys,
    and unsubscribes."""
    anna = add_anna(app, org)
    sign_up(app, org, anna.id, newsletter_text(app, org))
    doi.request(app, org, anna.id, channel="email")
    clock.advance(minutes=5)
    with app.db.unit_of_work() as session:
        sent = session.scalars(select(t.Message.body_text).where(t.Message.customer_id == anna.id)).one()
    doi.confirm(app, LINK.search(sent).group(1), evidence={"ip": CONFIRM_IP, "user_agent": AGENT})
    customers.record_purchase(app, org, anna.id, occurred_at=clock(), categories=["haircut"],
                              contact_collected=["email"], objection_notice_at_collection=True,
                              external_id="order-0815")
    clock.advance(days=2)
    consents.unsubscribe(app, org, anna.id, channel="email", evidence={"ip": IP, "user_agent": AGENT})
    clock.advance(minutes=1)
    return anna


PERSONAL = (EMAIL, PHONE, "Anna", "Berg", "1990-05-17", "shop-4711", "order-0815", "vip", IP, CONFIRM_IP, AGENT,
            "salon.example/newsletter", "anna.berg")


def personal_values_in(text, also=()):
    return [value for value in (*PERSONAL, *also) if value in text]


def message_contents(export):
    """What the DOI message said to this one person — the greeting by name and the personal
    link — and its subject: they must go with the erasure (the shop's own address may stay)."""
    [message] = export["messages"]
    lines = [line.strip() for line in message["body_text"].splitlines() if "Anna" in line or "/c/" in line]
    assert len(lines) == 2
    return (message["subject"], *lines)


# --- access -----------------------------------------------------------------------------


def test_the_export_holds_the_evidence_the_texts_and_the_messages(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    export = rights.export(app, org, EMAIL)

    assert export["customer"]["first_name"] == "Anna"
    assert export["contact_points"][0]["value"] == EMAIL
    assert export["purchases"][0]["external_id"] == "order-0815"
    given = next(e for e in export["events"] if e["type"] == "consent.given")
    assert given["evidence"] == {"ip": IP, "user_agent": AGENT, "page_url": "https://salon.example/newsletter"}
    assert [e["type"] for e in export["events"]] == [
        "consent.given", "doi.requested", "doi.confirmed", "consent.withdrawn", "objection.received"]
    assert export["events"][2]["evidence"] == {"ip": CONFIRM_IP, "user_agent": AGENT}
    [text] = export["consent_texts"]
    assert (text["body"], text["version"], text["intact"]) == (WORDING, 1, True)
    [message] = export["messages"]
    assert (message["kind"], message["to_address"], message["status"]) == ("doi_confirmation", EMAIL, "sent")
    assert LINK.search(message["body_text"])
    assert [r["channel"] for r in export["doi_requests"]] == ["email"]
    assert export["doi_requests"][0]["confirmed_at"] is not None
    assert export["suppression"] == [
        {"address": "email", "channel": "email", "scope": "advertising", "since": export["events"][-1]["occurred_at"]}
    ]
    assert {a["action"] for a in export["audit"]} == {"customer.created"}
    assert export["state"]["objections"][0]["channel"] == "email"
    assert json.loads(json.dumps(export)) == export  # ready for the wire as it is
    assert export["customer"]["id"] == anna.id


def test_the_export_page_speaks_the_customers_language_and_escapes_what_people_typed(app, org):
    anna = add_anna(app, org, first_name="<script>alert(1)</script>", locale="en")
    sign_up(app, org, anna.id)
    export = rights.export(app, org, anna.id)
    page = rights.render_export_html(export, export["customer"]["locale"])
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Access under Art. 15 GDPR" in page
    assert IP in page
    assert "Auskunft nach Art. 15 DSGVO" in rights.render_export_html(export, "de")


def test_a_page_in_an_unknown_language_is_refused(app, org):
    export = rights.export(app, org, add_anna(app, org).id)
    with pytest.raises(InputError) as error:
        rights.render_export_html(export, "fr")
    assert error.value.field == "lang"


# --- erasure ----------------------------------------------------------------------------


def test_an_erased_objector_re_added_with_the_same_address_stays_unreachable(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    rights.erase(app, org, anna.id, actor="staff:mia")

    again = customers.add(app, org, NewCustomer(email=EMAIL))
    assert again.id != anna.id
    assert again.suppressed == ["email"]
    for asked in (NEWSLETTER, PRODUCT_AD):
        _, decision = facts.decide_for(app, org, again.id, asked)
        assert not decision.allowed
        assert "objection" in decision.codes

    # a new sign-up that the person has not confirmed by DOI does not lift the objection
    sign_up(app, org, again.id)
    clock.advance(minutes=1)
    _, decision = facts.decide_for(app, org, again.id, NEWSLETTER)
    assert not decision.allowed
    assert "objection" in decision.codes


def test_nothing_personal_is_left_in_the_export_or_the_dossier_of_an_erased_customer(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    export = rights.export(app, org, anna.id)
    sent = message_contents(export)
    before = json.dumps(export, ensure_ascii=False)
    assert set(personal_values_in(before, sent)) == {*PERSONAL, *sent}  # the check below has something to miss

    rights.erase(app, org, anna.id, actor="staff:mia")

    export = rights.export(app, org, anna.id)
    proof = dossier.build(app, org, anna.id)
    for lang in ("de", "en"):
        renderings = [json.dumps(export, ensure_ascii=False), json.dumps(proof, ensure_ascii=False),
                      rights.render_export_html(export, lang), dossier.render_html(proof, lang)]
        for rendering in renderings:
            assert personal_values_in(rendering, sent) == []
    assert [e["type"] for e in export["events"]][-3:] == [
        "consent.withdrawn", "objection.received", "customer.erased"]
    assert all(e["evidence"] is None for e in proof["events"])
    assert {e["evidence_status"] for e in proof["events"]} <= {"erased", "none"}
    [message] = proof["doi_messages"]
    assert (message["status"], message["decision"]["basis"]) == ("sent", "doi_request")  # kind, status, decision stay
    assert (message["to_address"], message["subject"], message["body_text"], message["body_html"]) == (None,) * 4


def test_the_outbox_copy_of_a_message_goes_with_the_erasure(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    outbox = app.settings.data_dir / "outbox"
    assert [EMAIL in mail.read_text() for mail in outbox.iterdir()] == [True]
    rights.erase(app, org, anna.id, actor="staff:mia")
    assert list(outbox.iterdir()) == []


def test_the_ledger_still_verifies_after_an_erasure(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    rights.erase(app, org, anna.id, actor="staff:mia")
    with app.db.unit_of_work() as session:
        result = ledger.verify(session, org)
        assert result.ok, result.breaks
        assert ledger.load_state(session, org, anna.id).erased
    assert dossier.build(app, org, anna.id)["verification"]["ok"]


def test_an_erasure_keeps_the_suppression_entries_and_says_who_erased(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    result = rights.erase(app, org, anna.id, actor="staff:mia")
    assert (result.contact_points, result.purchases, result.messages, result.already_erased) == (2, 1, 1, False)
    assert result.events == 5
    with app.db.unit_of_work() as session:
        suppressed = select(func.count()).select_from(t.Suppression).where(t.Suppression.organisation_id == org)
        assert session.scalar(suppressed) == 1
        entry = session.scalars(select(t.AuditEntry).where(
            t.AuditEntry.organisation_id == org, t.AuditEntry.action == "customer.erased")).one()
        assert (entry.actor, entry.subject) == ("staff:mia", anna.id)


def test_erasing_twice_is_harmless(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    first = rights.erase(app, org, anna.id, actor="staff:mia")
    clock.advance(hours=1)
    second = rights.erase(app, org, anna.id, actor="staff:tom")
    assert second.already_erased
    assert second.erased_at == first.erased_at
    assert (second.contact_points, second.purchases) == (0, 0)
    types = [e["type"] for e in dossier.build(app, org, anna.id)["events"]]
    assert types.count("customer.erased") == 1


def test_a_consent_does_not_outlive_the_address_it_was_given_for(app, org):
    anna = add_anna(app, org)
    consents.give(app, org, anna.id, ConsentDeclaration(
        channel="email", source="paper_form", evidence={"document_hash": "ab" * 32}), actor="staff:mia")
    assert facts.decide_for(app, org, anna.id, NEWSLETTER)[1].allowed
    rights.erase(app, org, anna.id, actor="staff:mia")
    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert "consent_withdrawn" in decision.codes
    email = next(d for d in dossier.build(app, org, anna.id)["newsletter_decisions"] if d["channel"] == "email")
    assert (email["decision"]["decision"], email["address_on_file"]) == ("deny", False)


def test_an_erased_customer_cannot_be_given_a_new_consent(app, org):
    anna = add_anna(app, org)
    rights.erase(app, org, anna.id, actor="staff:mia")
    with pytest.raises(InputError) as error:
        consents.give(app, org, anna.id, ConsentDeclaration(channel="email", source="online_form"))
    assert error.value.field == "customer"


def test_an_erasure_without_an_actor_is_refused_and_writes_nothing(app, org):
    anna = add_anna(app, org)
    with pytest.raises(InputError) as error:
        rights.erase(app, org, anna.id, actor=" ")
    assert error.value.field == "actor"
    assert customers.show(app, org, anna.id).first_name == "Anna"


def test_an_erasure_in_one_business_leaves_the_same_person_at_another_untouched(app, org):
    anna = add_anna(app, org)
    other = organisations.create(app, slug=f"other-{anna.id[:8]}", name="Other", jurisdiction="DE").id
    elsewhere = add_anna(app, other)
    rights.erase(app, org, anna.id, actor="staff:mia")
    kept = customers.show(app, other, EMAIL)
    assert (kept.id, kept.first_name, kept.contacts["email"]) == (elsewhere.id, "Anna", EMAIL)
