"""The worker reads a chunk's facts in a few queries; what it hands the engine must be exactly what
`services.facts.scenario_for` builds one customer at a time."""

from dataclasses import replace
from datetime import timedelta

import pytest

from konsent.domain import Scenario
from konsent.services import consents, customer_updates, customers, facts, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.services.facts import Asked
from konsent.storage import tables as t
from konsent.worker import snapshot
from konsent.worker.claim import Claimed
from tests.worker.audience import mixed

ASKED = [
    Asked(kind="product_ad", channel="email", advertised_categories=("hair-care",)),
    Asked(kind="newsletter", channel="email"),
    Asked(kind="appointment_reminder", channel="sms"),
    Asked(kind="birthday_greeting", channel="sms"),
]


def more_people(app, org, clock) -> dict[str, str]:
    """Beyond the mixed audience: a business, an Austrian on the ECG list, SMS consent, a late event."""
    ids = {
        "firma": customers.add(app, org, NewCustomer(email="info@firma.example", type="business")).id,
        "ida": customers.add(app, org, NewCustomer(email="ida@example.at", phone="+436641234567", jurisdiction="AT",
                                                   registers={"ecg": True}, locale="en")).id,
        "jan": customers.add(app, org, NewCustomer(phone="+4915199999999")).id,
        "kai": customers.add(app, org, NewCustomer(email="kai@example.com")).id,
    }
    # Kai's email changed after his purchase: the sale collected the old address, not this one.
    customers.record_purchase(app, org, ids["kai"], occurred_at=clock() - timedelta(days=10), categories=["haircut"],
                              contact_collected=["email"], objection_notice_at_collection=True)
    customer_updates.update(app, org, ids["kai"], {"email": "kai.neu@example.com"})
    consents.give(app, org, ids["jan"], ConsentDeclaration(channel="sms", source="paper_form",
                                                          evidence={"document_hash": "cd" * 32}))
    customers.record_purchase(app, org, ids["ida"], occurred_at=clock() - timedelta(days=3), categories=["haircut"],
                              contact_collected=["sms", "email"], objection_notice_at_collection=False)
    consents.give(app, org, ids["ida"], ConsentDeclaration(
        channel="email", source="paper_form", evidence={"document_hash": "ef" * 32},
        occurred_at=clock() - timedelta(hours=1)))
    return ids


def ordered(scenario: Scenario) -> Scenario:
    # The purchases' order is the database's in both; the engine does not depend on it.
    return replace(scenario, recipient=replace(
        scenario.recipient, purchases=tuple(sorted(scenario.recipient.purchases, key=lambda p: p.at))))


@pytest.mark.parametrize("asked", ASKED, ids=lambda a: f"{a.kind}-{a.channel}")
def test_the_chunk_reader_builds_the_same_scenario_as_the_one_by_one_bridge(app, org, clock, asked):
    people = {**mixed(app, org), **more_people(app, org, clock)}
    clock.advance(minutes=5)
    at = clock()
    rows = [Claimed(f"row-{name}", org, customer_id, asked.channel, asked.kind, "autumn", asked.advertised_categories,
                    {}, None, 1, at, at) for name, customer_id in people.items()]
    with app.db.unit_of_work() as session:
        seen = snapshot.load(session, rows, at=at)
        organisation = organisations.get(session, org)
        for row in rows:
            person = seen.person(row)
            assert person is not None
            customer = session.get(t.Customer, row.customer_id)
            expected = facts.scenario_for(session, organisation, customer, asked, at)
            assert ordered(seen.scenario(row, person, asked)) == ordered(expected)


def test_events_after_the_moment_of_sending_are_not_yet_facts(app, org, clock):
    people = mixed(app, org)
    at = clock()
    clock.advance(minutes=5)
    consents.withdraw(app, org, people["anna"], channel="email")
    row = Claimed("row", org, people["anna"], "email", "newsletter", "autumn", (), {}, None, 1, at, at)
    with app.db.unit_of_work() as session:
        person = snapshot.load(session, [row], at=at).person(row)
    assert person is not None
    assert [c.withdrawn_at for c in person.state.consents] == [None]


def test_a_customer_of_another_organisation_is_not_read(app, org):
    people = mixed(app, org)
    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="DE").id
    row = Claimed("row", other, people["anna"], "email", "newsletter", "autumn", (), {}, None, 1, app.now(), app.now())
    with app.db.unit_of_work() as session:
        assert snapshot.load(session, [row], at=app.now()).person(row) is None
