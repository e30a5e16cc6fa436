"""No personal data in technical logs, even with every logger at DEBUG."""

import logging

import pytest

from konsent.errors import Conflict
from konsent.services import consents, customers, facts
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer

PERSONAL = ("anna.berg@example.com", "+4915123456789", "Berg", "192.0.2.44", "Firefox/999")


def test_a_whole_consent_lifecycle_logs_no_personal_data(app, org, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "alembic"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        anna = customers.add(app, org, NewCustomer(email="anna.berg@example.com", phone="+4915123456789",
                                                   last_name="Berg"))
        consents.give(app, org, anna.id, ConsentDeclaration(
            channel="email", source="online_form", evidence={"ip": "192.0.2.44", "user_agent": "Firefox/999"}))
        consents.unsubscribe(app, org, anna.id, channel="email")
        facts.decide_for(app, org, "anna.berg@example.com", facts.Asked(kind="newsletter", channel="email"))
        with pytest.raises(Conflict) as refusal:
            customers.add(app, org, NewCustomer(email="anna.berg@example.com"))
        assert "anna.berg@example.com" not in str(refusal.value)
    finally:
        for name in ("sqlalchemy.engine", "sqlalchemy.pool", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert caplog.records, "the test must see the SQL log to mean anything"
    for value in PERSONAL:
        assert value not in caplog.text
