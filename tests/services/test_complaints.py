"""Complaints (seed 000): a customer who bought tennis shoes complains about an email advertising
rackets. The desk records it, sees every message with the decision behind it, stops further
advertising at once, and answers with the facts and the proof dossier."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from konsent.domain.ledger import EventType
from konsent.errors import Conflict, InputError, NotFound
from konsent.services import complaints, customers, facts, organisations
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

ACTOR = "staff:desk"
RACKET_AD = facts.Asked("product_ad", "email", advertised_categories=("rackets",))


@pytest.fixture
def tom(app, org, clock):
    """A regular customer of the online shop: tennis shoes, email given at checkout."""
    customer = customers.add(app, org, NewCustomer(email="tom@example.com", first_name="Tom", locale="de")).id
    customers.record_purchase(app, org, customer, occurred_at=clock.current - timedelta(days=30),
                              categories=["tennis-shoes"], contact_collected=["email"],
                              objection_notice_at_collection=False)
    return customer


def sent(app, org, customer, asked, clock):
    """A message as the worker logs it: what went out, and the decision that let it."""
    _, decision = facts.decide_for(app, org, customer, asked)
    with app.db.unit_of_work() as session:
        session.add(t.Message(
            id=str(uuid.uuid4()), organisation_id=org, customer_id=customer, kind=asked.kind, channel=asked.channel,
            to_address="tom@example.com", subject="Neue Schläger", body_text="…", status="sent",
            decision=decision.to_dict(), created_at=clock.current, sent_at=clock.current,
        ))
    return decision


def count(app, table, org):
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org))


def test_a_complaint_asking_for_no_more_is_recorded_with_its_objection_in_one_go(app, org, tom, clock):
    recorded = complaints.record(app, org, customer_key="tom@example.com", arrived_by="email",
                                 summary="Werbung für Tennisschläger ohne Einwilligung", wants_no_more=True,
                                 actor=ACTOR)
    assert (recorded.customer_id, recorded.status, recorded.recorded_by) == (tom, "open", ACTOR)
    with app.db.unit_of_work() as session:
        kinds = [e.type for e in ledger.events_of(session, org, tom)]
        actions = set(session.scalars(select(t.AuditEntry.action).where(t.AuditEntry.organisation_id == org)))
    assert kinds[-2:] == [EventType.COMPLAINT, EventType.OBJECTION]
    assert {"complaint.recorded", "objection.recorded_by_staff"} <= actions
    assert count(app, t.Suppression, org) == 1
    assert "objection" in facts.decide_for(app, org, tom, facts.Asked("newsletter", "email"))[1].codes


def test_a_complaint_without_the_wish_to_stop_records_no_objection(app, org, tom):
    complaints.record(app, org, customer_key=tom, arrived_by="phone", summary="Zu viele Mails", wants_no_more=False,
                      actor=ACTOR)
    with app.db.unit_of_work() as session:
        kinds = [e.type for e in ledger.events_of(session, org, tom)]
    assert EventType.COMPLAINT in kinds
    assert EventType.OBJECTION not in kinds
    assert count(app, t.Suppression, org) == 0


def test_a_complaint_about_nobody_on_record_is_kept_without_a_customer(app, org):
    recorded = complaints.record(app, org, customer_key=None, arrived_by="authority",
                                 summary="Anfrage der Aufsichtsbehörde", wants_no_more=False, actor=ACTOR)
    assert recorded.customer_id is None
    case = complaints.case(app, org, recorded.id, lang="de")
    assert case.messages == []
    assert "Wir haben Ihnen bisher keine Nachrichten geschickt." in complaints.draft_answer(
        app, org, recorded.id, lang="de")


@pytest.mark.parametrize(("fields", "named"), [
    ({"arrived_by": "pigeon"}, "channel"),
    ({"summary": "   "}, "summary"),
    ({"customer_key": "unknown@example.com"}, "customer"),
    ({"about_channel": "fax"}, "about_channel"),
])
def test_bad_input_names_the_field_and_writes_nothing(app, org, tom, fields, named):
    values = {"customer_key": tom, "arrived_by": "email", "summary": "Beschwerde", "wants_no_more": True,
              "actor": ACTOR, **fields}
    with pytest.raises(InputError) as refused:
        complaints.record(app, org, **values)
    assert refused.value.field == named
    assert count(app, t.Complaint, org) == 0
    assert count(app, t.Suppression, org) == 0


def test_the_case_lists_every_message_with_its_decision_and_the_draft_names_the_basis(app, org, tom, clock):
    decision = sent(app, org, tom, RACKET_AD, clock)
    clock.advance(days=2)
    recorded = complaints.record(app, org, customer_key=tom, arrived_by="email", summary="Schlägerwerbung",
                                 wants_no_more=True, about_channel="email", actor=ACTOR)
    case = complaints.case(app, org, recorded.id, lang="de")
    [message] = case.messages
    assert (message.kind, message.decision, message.basis) == ("product_ad", decision.decision.value,
                                                              decision.basis.value if decision.basis else None)
    assert message.reasons == [reason.text("de") for reason in decision.reasons]
    assert case.objection_channel == "email"

    german = complaints.draft_answer(app, org, recorded.id, lang="de")
    assert german.startswith("Guten Tag Tom,")
    assert "Produktwerbung per E-Mail" in german
    assert "keine Werbung mehr per E-Mail" in german
    assert "Salon Sonnenschein" in german
    english = complaints.draft_answer(app, org, recorded.id, lang="en")
    assert english.startswith("Dear Tom,")
    assert "no more advertising from us by email" in english


def test_an_answer_closes_the_complaint_once(app, org, tom):
    recorded = complaints.record(app, org, customer_key=tom, arrived_by="email", summary="Beschwerde",
                                 wants_no_more=False, actor=ACTOR)
    answered = complaints.answer(app, org, recorded.id, text="Sehr geehrter Herr …", actor=ACTOR)
    assert (answered.status, answered.answer) == ("answered", "Sehr geehrter Herr …")
    with pytest.raises(Conflict):
        complaints.answer(app, org, recorded.id, text="noch einmal", actor=ACTOR)
    assert [c.id for c in complaints.listed(app, org, status="answered")] == [recorded.id]
    assert complaints.listed(app, org, status="open") == []


def test_an_objection_can_follow_later_from_the_complaint(app, org, tom):
    recorded = complaints.record(app, org, customer_key=tom, arrived_by="phone", summary="Beschwerde",
                                 wants_no_more=False, actor=ACTOR)
    assert complaints.case(app, org, recorded.id, lang="de").objection_channel is None
    complaints.object_now(app, org, recorded.id, actor=ACTOR)
    assert complaints.case(app, org, recorded.id, lang="de").objection_channel == "all"
    assert not facts.decide_for(app, org, tom, facts.Asked("newsletter", "email"))[1].allowed


def test_the_proof_dossier_for_the_answer_is_a_pdf(app, org, tom):
    recorded = complaints.record(app, org, customer_key=tom, arrived_by="email", summary="Beschwerde",
                                 wants_no_more=True, actor=ACTOR)
    assert complaints.dossier_pdf(app, org, recorded.id, lang="de").startswith(b"%PDF")


def test_another_organisations_complaint_is_not_found(app, org, tom):
    recorded = complaints.record(app, org, customer_key=tom, arrived_by="email", summary="Beschwerde",
                                 wants_no_more=False, actor=ACTOR)
    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="AT").id
    for attempt in (lambda: complaints.case(app, other, recorded.id, lang="de"),
                    lambda: complaints.answer(app, other, recorded.id, text="x", actor=ACTOR),
                    lambda: complaints.dossier_pdf(app, other, recorded.id, lang="de")):
        with pytest.raises(NotFound):
            attempt()
    assert complaints.listed(app, other) == []
