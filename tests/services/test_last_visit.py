"""A customer's last visit — the latest purchase or booking — is kept beside the purchases, so that a
segment by last visit and the win-back read one column; it must always equal what the purchases say."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from konsent.services import customers, rights
from konsent.storage import tables as t
from tests.services.test_automations import add, book


def last_visit(app, org, customer):
    with app.db.unit_of_work() as session:
        kept = session.scalar(select(t.Customer.last_visit_at).where(t.Customer.id == customer))
        latest = session.scalar(select(func.max(t.Purchase.occurred_at)).where(
            t.Purchase.organisation_id == org, t.Purchase.customer_id == customer))
    assert kept == latest
    return kept


def buy(app, org, customer, at):
    customers.record_purchase(app, org, customer, occurred_at=at, categories=["haircut"],
                              contact_collected=[], objection_notice_at_collection=False)


def test_an_earlier_purchase_recorded_later_leaves_the_last_visit_where_it_is(app, org):
    anna = add(app, org, "Anna")
    assert last_visit(app, org, anna) is None
    buy(app, org, anna, datetime(2026, 6, 17, 10, tzinfo=UTC))
    buy(app, org, anna, datetime(2026, 3, 1, 10, tzinfo=UTC))
    assert last_visit(app, org, anna) == datetime(2026, 6, 17, 10, tzinfo=UTC)
    buy(app, org, anna, datetime(2026, 7, 2, 10, tzinfo=UTC))
    assert last_visit(app, org, anna) == datetime(2026, 7, 2, 10, tzinfo=UTC)


def test_a_booking_posted_again_later_stays_the_visit_it_was(app, org, clock):
    anna = add(app, org, "Anna")
    booked = clock()
    book(app, org, "host-anna", booked + timedelta(days=2), key="k1", booking_id="b-1")
    clock.advance(days=1)
    book(app, org, "host-anna", booked + timedelta(days=5), key="k2", booking_id="b-1")
    assert last_visit(app, org, anna) == booked
    clock.advance(days=1)
    book(app, org, "host-anna", booked + timedelta(days=9), key="k3", booking_id="b-2")
    assert last_visit(app, org, anna) == clock()


def test_an_erasure_takes_the_last_visit_with_the_purchases(app, org):
    anna = add(app, org, "Anna")
    buy(app, org, anna, datetime(2026, 6, 17, 10, tzinfo=UTC))
    rights.erase(app, org, anna, actor="test")
    assert last_visit(app, org, anna) is None
