"""Consent texts are versioned; each consent points at the exact version and its hash."""

import hashlib

import pytest

from konsent.errors import InputError
from konsent.services import consents, customers, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

WORDING = "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten."


def test_a_new_wording_is_a_new_version_and_the_old_one_stays_as_shown(app, org):
    first = consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter", body=WORDING)
    second = consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter",
                                   body=WORDING + " Abmeldung jederzeit.")
    assert (first.version, second.version) == (1, 2)
    assert first.sha256 == hashlib.sha256(WORDING.encode()).hexdigest()
    with app.db.unit_of_work() as session:
        assert session.get(t.ConsentText, first.id).body == WORDING


def test_a_consent_records_the_version_and_hash_shown_and_freezes_the_text(app, org, clock):
    text = consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter", body=WORDING)
    anna = customers.add(app, org, NewCustomer(email="anna@example.com"))
    consent_id = consents.give(app, org, anna.id, ConsentDeclaration(
        channel="email", source="online_form", text_version_id=text.id))
    with app.db.unit_of_work() as session:
        given = next(e for e in ledger.events_of(session, org, anna.id) if e.id == consent_id)
        assert (given.data["text_version_id"], given.data["text_sha256"]) == (text.id, text.sha256)
        assert session.get(t.ConsentText, text.id).first_used_at == clock()


def test_a_text_of_another_organisation_cannot_be_referenced(app, org):
    other = organisations.create(app, slug=f"o-{org[:8]}", name="Other", jurisdiction="DE").id
    foreign = consents.consent_text(app, other, key="newsletter", locale="de", title="N", body=WORDING)
    anna = customers.add(app, org, NewCustomer(email="anna@example.com"))
    with pytest.raises(InputError) as error:
        consents.give(app, org, anna.id, ConsentDeclaration(
            channel="email", source="online_form", text_version_id=foreign.id))
    assert error.value.field == "text_version_id"
