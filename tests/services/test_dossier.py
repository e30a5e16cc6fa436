"""The proof dossier: every event with its evidence and hashes, the texts as shown, the messages as
sent — readable as HTML and PDF, checkable as JSON without trusting konsent."""

import hashlib
import json
import re
import uuid
import zlib

import pytest
from sqlalchemy import update

from konsent.domain import chain
from konsent.domain.ledger import EventType
from konsent.errors import InputError
from konsent.services import consents, customers, doi, dossier, rights
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from tests.services.test_rights import (
    AGENT,
    EMAIL,
    IP,
    WORDING,
    add_anna,
    anna_who_objected,
    message_contents,
    newsletter_text,
    sign_up,
)


def confirm(app, org, clock, customer, consent_id):
    """The DOI confirmation, as the DOI flow records it."""
    with app.db.unit_of_work() as session:
        ledger.append(session, org, [ledger.Draft(
            EventType.DOI_CONFIRMED, customer, clock.advance(minutes=3), {"consent_id": consent_id},
            evidence={"ip": "198.51.100.4"})], now=clock())


def store_message(app, org, customer, *, kind, body):
    """A message as the sending code will store it: what went to whom, on which decision."""
    with app.db.unit_of_work() as session:
        session.add(t.Message(
            id=str(uuid.uuid4()), organisation_id=org, customer_id=customer, kind=kind, channel="email",
            to_address=EMAIL, subject="Ihr Termin", body_text=body, body_html=None, status="sent",
            created_at=app.now(), sent_at=app.now(),
            decision={"decision": "allow", "basis": "contract", "reasons": [{"code": "contract_performance"}]},
        ))


def pdf_text(document: bytes) -> str:
    """The words the PDF draws: fpdf2 writes core-font text as Latin-1 `(...) Tj` in deflated streams."""
    drawn = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", document, re.S):
        try:  # a decompressor object ignores the line break after the data, whatever its bytes
            content = zlib.decompressobj().decompress(stream)
        except zlib.error:
            content = stream
        drawn += re.findall(rb"\(((?:\\.|[^\\)])*)\) ?Tj", content)
    text = re.sub(r"\\(.)", r"\1", b"\n".join(drawn).decode("latin-1"))
    return " ".join(text.split())  # a phrase wrapped across lines reads as one


def test_every_event_comes_with_its_evidence_and_hashes_a_reader_can_recompute(app, org, clock):
    anna = add_anna(app, org)
    consent_id = sign_up(app, org, anna.id, newsletter_text(app, org))
    confirm(app, org, clock, anna.id, consent_id)
    proof = dossier.build(app, org, anna.id)

    given, confirmed = proof["events"]
    assert (given["type"], confirmed["type"]) == ("consent.given", "doi.confirmed")
    assert given["evidence"]["ip"] == IP
    assert confirmed["evidence"] == {"ip": "198.51.100.4"}
    previous = bytes(32)
    for event in proof["events"]:
        assert event["previous"] == previous.hex()
        assert hashlib.sha256(previous + event["body"].encode()).hexdigest() == event["hash"]
        body = json.loads(event["body"])
        assert body["evidence_digest"] == chain.evidence_digest(event["evidence_salt"], event["evidence"])
        assert event["evidence_status"] == "intact"
        previous = bytes.fromhex(event["hash"])
    assert proof["verification"] == {"ok": True, "events": 2, "head": {"seq": 2, "hash": confirmed["hash"]},
                                     "breaks": []}


def test_the_consent_text_is_shown_as_it_was_and_an_edit_behind_its_back_is_noticed(app, org):
    anna = add_anna(app, org)
    text = newsletter_text(app, org)
    sign_up(app, org, anna.id, text)
    [shown] = dossier.build(app, org, anna.id)["consent_texts"]
    assert (shown["id"], shown["body"], shown["intact"]) == (text.id, WORDING, True)
    assert shown["sha256"] == hashlib.sha256(WORDING.encode()).hexdigest()

    with app.db.unit_of_work() as session:
        session.execute(update(t.ConsentText).where(t.ConsentText.id == text.id).values(body="Ja, alles."))
    [edited] = dossier.build(app, org, anna.id)["consent_texts"]
    assert not edited["intact"]
    assert "WORDING ALTERED" in dossier.render_html(dossier.build(app, org, anna.id), "en")


def test_doi_messages_appear_as_sent_and_other_messages_with_their_decision(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    doi.request(app, org, anna.id, channel="email")
    store_message(app, org, anna.id, kind="appointment_reminder", body="Ihr Termin morgen um 10 Uhr")
    proof = dossier.build(app, org, anna.id)
    [request] = proof["doi_messages"]
    [reminder] = proof["messages"]
    assert (request["to_address"], request["status"], request["decision"]["basis"]) == (EMAIL, "sent", "doi_request")
    assert (reminder["kind"], reminder["decision"]["basis"]) == ("appointment_reminder", "contract")
    page = dossier.render_html(proof, "de")
    assert request["subject"] in page
    assert "/c/" in page  # the confirmation link, as it went out
    assert "Ihr Termin morgen" not in page  # only the DOI message's content is part of the proof


def test_it_says_in_words_whether_a_newsletter_may_go_on_each_channel(app, org, clock):
    anna = add_anna(app, org)
    confirm(app, org, clock, anna.id, sign_up(app, org, anna.id))
    decisions = {d["channel"]: d for d in dossier.build(app, org, anna.id)["newsletter_decisions"]}
    assert set(decisions) == {"email", "sms", "phone", "post"}
    email = decisions["email"]
    assert (email["decision"]["decision"], email["decision"]["basis"], email["address_on_file"]) == (
        "allow", "consent", True)
    assert email["explanation"]["de"].startswith("ERLAUBT")
    assert decisions["phone"]["decision"]["decision"] == "deny"
    assert not decisions["post"]["address_on_file"]


def test_a_broken_chain_shows_in_the_dossier(app, org):
    anna = add_anna(app, org)
    sign_up(app, org, anna.id)
    consents.object_to(app, org, anna.id, channel="sms")
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org, t.LedgerEvent.seq == 1)
                        .values(body=b'{"forged":true}'))
    proof = dossier.build(app, org, anna.id)
    assert not proof["verification"]["ok"]
    assert proof["verification"]["breaks"][0]["seq"] == 1
    assert "THE HASH CHAIN IS BROKEN" in dossier.render_html(proof, "en")
    assert "DIE HASH-KETTE IST BESCH" in pdf_text(dossier.render_pdf(proof, "de"))
    export = rights.export(app, org, anna.id)  # the person's access does not depend on the chain
    assert export["state"] is None
    assert "Auskunft" in rights.render_export_html(export, "de")


def test_the_html_escapes_whatever_people_typed(app, org):
    anna = customers.add(app, org, NewCustomer(email="x@example.com", last_name='<img src=x onerror="alert(1)">'))
    text = consents.consent_text(app, org, key="k", locale="de", title="<b>Titel</b>", body="<script>steal()</script>")
    sign_up(app, org, anna.id, text)
    page = dossier.render_html(dossier.build(app, org, anna.id), "de")
    assert "<img" not in page
    assert "<script>" not in page
    assert "<b>Titel" not in page
    assert "&lt;script&gt;steal()&lt;/script&gt;" in page


def test_the_pdf_prints_umlauts_and_does_not_stumble_over_letters_outside_latin1(app, org):
    anna = customers.add(app, org, NewCustomer(
        email="z@example.com", first_name="Zoë Jürgen", last_name="Łukasiewicz 李"))
    text = consents.consent_text(app, org, key="k", locale="de", title="Newsletter",
                                 body="Ja – ich möchte „Angebote“ für Größe 42 … ✓ (Preis 5 €)")
    sign_up(app, org, anna.id, text)
    document = dossier.render_pdf(dossier.build(app, org, anna.id), "de")
    assert document.startswith(b"%PDF-")
    assert document.rstrip().endswith(b"%%EOF")
    assert len(document) > 2_000
    drawn = pdf_text(document)
    assert "Zoë Jürgen Lukasiewicz ?" in drawn
    assert 'Ja - ich möchte "Angebote" für Größe 42 ... v (Preis 5 EUR)' in drawn
    assert "Nachweis der Einwilligung" in drawn
    assert "Prüfung des Protokolls" in drawn


def test_the_pdf_of_an_erased_customer_names_no_one(app, org, clock):
    anna = anna_who_objected(app, org, clock)
    subject = message_contents(rights.export(app, org, anna.id))[0]
    personal = (EMAIL, "Anna Berg", IP, AGENT, subject)
    before = pdf_text(dossier.render_pdf(dossier.build(app, org, anna.id), "en"))
    assert [value for value in personal if value in before] == list(personal)
    rights.erase(app, org, anna.id, actor="staff:mia")
    after = pdf_text(dossier.render_pdf(dossier.build(app, org, anna.id), "en"))
    assert [value for value in (*personal, "Anna", "Berg", "+49151") if value in after] == []
    assert "Personal data erased" in after


def test_a_dossier_in_an_unknown_language_is_refused(app, org):
    proof = dossier.build(app, org, add_anna(app, org).id)
    for render in (dossier.render_html, dossier.render_pdf):
        with pytest.raises(InputError) as error:
            render(proof, "fr")
        assert error.value.field == "lang"
