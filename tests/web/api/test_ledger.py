"""The ledger's check through the API: intact, or each break named — in the caller's chain only."""

import json
import uuid

from sqlalchemy import select, update

from konsent.domain import chain
from konsent.services import api_keys, consents, customers, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t


def consenting(app, org) -> str:
    customer = customers.add(app, org, NewCustomer(email="anna@example.com")).id
    consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form",
                                                         evidence={"document_hash": "ab" * 32}))
    consents.withdraw(app, org, customer, channel="email")
    return customer


def edit_first_event(app, org) -> str:
    with app.db.unit_of_work() as session:
        target = session.scalars(select(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org)
                                 .order_by(t.LedgerEvent.seq)).first()
        assert target is not None
        body = json.loads(target.body)
        body["data"]["channel"] = "sms"
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == target.id).values(body=chain.canonical(body)))
        return target.id


def test_an_untouched_ledger_verifies_intact(app, org, web, auth):
    consenting(app, org)
    answer = web.get("/api/v1/ledger/verify", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "events": 2, "head_seq": 2, "breaks": []}


def test_an_edited_event_is_named(app, org, web, auth):
    consenting(app, org)
    edited = edit_first_event(app, org)
    answer = web.get("/api/v1/ledger/verify", headers=auth).json()
    assert answer["ok"] is False
    assert [(b["seq"], b["event_id"], b["problem"]) for b in answer["breaks"]] == [(1, edited, "edited")]


def test_another_organisations_broken_chain_is_theirs_alone(app, org, web, auth):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    consenting(app, other)
    edit_first_event(app, other)
    assert web.get("/api/v1/ledger/verify", headers=auth).json() == {"ok": True, "events": 0, "head_seq": 0,
                                                                     "breaks": []}


def test_a_read_only_key_may_verify_and_no_key_may_not(app, org, web):
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='dpo', scopes=['read'])[1]}"}
    assert web.get("/api/v1/ledger/verify", headers=read).status_code == 200
    assert web.get("/api/v1/ledger/verify").status_code == 401
