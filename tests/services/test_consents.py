"""Customers, consent, withdrawal and objection — and what the engine then says about them."""

import pytest
from sqlalchemy import func, select

from konsent.errors import Conflict, InputError, NotFound
from konsent.services import consents, customers, facts, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

NEWSLETTER = facts.Asked(kind="newsletter", channel="email")


def add_anna(app, org, **fields):
    return customers.add(app, org, NewCustomer(email=" Anna.Berg@Example.COM ", phone="0151 2345 6789", **fields))


def test_contact_points_are_normalised(app, org):
    anna = add_anna(app, org)
    assert anna.contacts == {"email": "anna.berg@example.com", "phone": "+4915123456789"}
    assert customers.show(app, org, "ANNA.berg@example.com").id == anna.id
    assert customers.show(app, org, "+4915123456789").id == anna.id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "anna@@example"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"email": "a@example.com\r\nBcc: x@example.com"}, "email"),
        ({"type": "robot"}, "type"),
        ({"jurisdiction": "FR"}, "jurisdiction"),
        ({"postal_address": "Hauptstraße 1"}, "postal_address"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(app, org, fields, field):
    with pytest.raises(InputError) as error:
        customers.add(app, org, NewCustomer(**fields))
    assert error.value.field == field
    with app.db.unit_of_work() as session:
        stored = select(func.count()).select_from(t.Customer).where(t.Customer.organisation_id == org)
        assert session.scalar(stored) == 0


def test_a_second_customer_with_the_same_address_is_refused(app, org):
    add_anna(app, org)
    with pytest.raises(Conflict, match="email"):
        customers.add(app, org, NewCustomer(email="anna.berg@example.com"))


def test_a_confirmed_consent_allows_the_newsletter_and_a_withdrawal_ends_it(app, org, clock):
    anna = add_anna(app, org)
    consent_id = consents.give(app, org, anna.id, ConsentDeclaration(
        channel="email", source="online_form", evidence={"ip": "192.0.2.7", "user_agent": "Firefox"}))
    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert decision.codes == ("unconfirmed_consent", "existing_customer_no_sale", "existing_customer_no_categories")

    with app.db.unit_of_work() as session:  # the DOI confirmation, as the DOI flow records it
        ledger.append(session, org, [ledger.Draft(
            ledger.EventType.DOI_CONFIRMED, anna.id, clock.advance(minutes=3), {"consent_id": consent_id})],
            now=clock())
    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert (decision.decision.value, decision.basis.value) == ("allow", "consent")

    clock.advance(days=1)
    consents.withdraw(app, org, anna.id, channel="email")
    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert decision.codes == ("consent_withdrawn", "existing_customer_no_sale", "existing_customer_no_categories")


def test_a_staff_consent_with_a_signed_form_is_proven_without_doi(app, org):
    anna = add_anna(app, org)
    consents.give(app, org, anna.id, ConsentDeclaration(
        channel="sms", source="paper_form", evidence={"document_hash": "ab" * 32}), actor="staff:mia")
    _, decision = facts.decide_for(app, org, anna.id, facts.Asked(kind="birthday_greeting", channel="sms"))
    assert decision.basis.value == "consent"


def test_a_staff_consent_without_evidence_stays_unproven(app, org):
    anna = add_anna(app, org)
    consents.give(app, org, anna.id, ConsentDeclaration(channel="sms", source="manual_staff"))
    _, decision = facts.decide_for(app, org, anna.id, facts.Asked(kind="birthday_greeting", channel="sms"))
    assert "consent_without_evidence" in decision.codes


def test_an_unsubscribe_withdraws_and_objects_so_the_privilege_cannot_bring_them_back(app, org, clock):
    anna = add_anna(app, org)
    customers.record_purchase(app, org, anna.id, occurred_at=clock.advance(days=-30), categories=["haircut"],
                              contact_collected=["email"], objection_notice_at_collection=True)
    clock.advance(days=30)
    offer = facts.Asked(kind="product_ad", channel="email", advertised_categories=("hair-care",))
    assert facts.decide_for(app, org, anna.id, offer)[1].basis.value == "existing_customer"
    consents.unsubscribe(app, org, anna.id, channel="email")
    clock.advance(minutes=1)
    _, decision = facts.decide_for(app, org, anna.id, offer)
    assert decision.codes == ("objection",)
    assert customers.show(app, org, anna.id).suppressed == ["email"]


def test_a_consent_on_a_channel_without_an_address_is_refused(app, org):
    bea = customers.add(app, org, NewCustomer(email="bea@example.com"))
    with pytest.raises(InputError) as error:
        consents.give(app, org, bea.id, ConsentDeclaration(channel="sms", source="online_form"))
    assert error.value.field == "channel"


def test_a_complaint_asking_to_stop_is_an_objection(app, org):
    anna = add_anna(app, org)
    consents.complaint(app, org, anna.id, asked_to_stop=True, actor="staff:mia")
    _, decision = facts.decide_for(app, org, anna.id, facts.Asked(kind="newsletter", channel="post"))
    assert decision.codes == ("objection",)


def test_transactional_messages_can_be_switched_off_and_on(app, org, clock):
    anna = add_anna(app, org)
    customers.record_purchase(app, org, anna.id, occurred_at=clock(), categories=["haircut"],
                              contact_collected=["sms"], objection_notice_at_collection=False)
    reminder = facts.Asked(kind="appointment_reminder", channel="sms")
    consents.set_transactional(app, org, anna.id, channel="sms", enabled=False)
    assert facts.decide_for(app, org, anna.id, reminder)[1].codes == ("transactional_opt_out",)
    clock.advance(minutes=5)
    consents.set_transactional(app, org, anna.id, channel="sms", enabled=True)
    assert facts.decide_for(app, org, anna.id, reminder)[1].basis.value == "contract"


def test_tenants_never_see_each_others_customers(app, org):
    anna = add_anna(app, org)
    other = organisations.create(app, slug=f"other-{anna.id[:8]}", name="Other", jurisdiction="DE").id
    with pytest.raises(NotFound):
        customers.show(app, other, anna.id)
    with pytest.raises(NotFound):
        customers.show(app, other, "anna.berg@example.com")
    # the same person may be a customer of both businesses
    assert customers.add(app, other, NewCustomer(email="anna.berg@example.com")).id != anna.id


@pytest.mark.parametrize("field", ["name", "sender_name"])
def test_an_organisation_name_with_a_line_break_is_refused(app, field):
    values = {"name": "Salon", "sender_name": "Salon", field: "Salon\r\nBcc: all@example.com"}
    with pytest.raises(InputError) as error:
        organisations.create(app, slug="salon-crlf", jurisdiction="DE", **values)
    assert error.value.field == field


@pytest.mark.parametrize(("fields", "field"), [
    ({"first_name": "A" * 201}, "first_name"),
    ({"external_id": "x" * 201}, "external_id"),
    ({"last_name": "Berg\r\nBcc: all@example.com"}, "last_name"),
])
def test_overlong_or_multiline_fields_are_refused_by_name(app, org, fields, field):
    with pytest.raises(InputError) as error:
        customers.add(app, org, NewCustomer(email="zoe@example.com", **fields))
    assert error.value.field == field


def test_an_unknown_time_zone_is_refused(app):
    with pytest.raises(InputError) as error:
        organisations.create(app, slug="salon-tz", name="Salon", jurisdiction="DE", timezone="Mars/Olympus_Mons")
    assert error.value.field == "timezone"
