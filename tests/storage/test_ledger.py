"""The ledger is append-only and tamper-evident: verify names each kind of tampering."""

import json
import uuid

from sqlalchemy import delete, select, update

from konsent.domain import chain
from konsent.domain.ledger import EventType, state_to_dict
from konsent.services import organisations
from konsent.storage import ledger
from konsent.storage import tables as t


def seed_events(app, org, count=6):
    customer = str(uuid.uuid4())
    with app.db.unit_of_work() as session:
        for index in range(count):
            drafts = [ledger.Draft(
                EventType.CONSENT_GIVEN, customer, app.now(),
                {"channel": "email", "purpose": "advertising", "source": "online_form", "n": index},
                evidence={"ip": f"192.0.2.{index}"},
            )]
            ledger.append(session, org, drafts, now=app.now())
    return customer


def verify(app, org):
    with app.db.unit_of_work() as session:
        return ledger.verify(session, org)


def rows(app, org):
    with app.db.unit_of_work() as session:
        return list(session.scalars(
            select(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org).order_by(t.LedgerEvent.seq)
        ))


def test_an_untouched_chain_verifies(app, org):
    seed_events(app, org)
    result = verify(app, org)
    assert result.ok
    assert (result.events, result.head_seq) == (6, 6)


def test_it_names_an_edited_event(app, org):
    seed_events(app, org)
    target = rows(app, org)[2]
    body = json.loads(target.body)
    body["data"]["channel"] = "sms"
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == target.id).values(body=chain.canonical(body)))
    result = verify(app, org)
    assert [(b.seq, b.event_id, b.problem) for b in result.breaks] == [(3, target.id, "edited")]


def test_it_names_an_edited_event_whose_hash_was_recomputed(app, org):
    seed_events(app, org)
    target = rows(app, org)[2]
    body = json.loads(target.body)
    body["data"]["purpose"] = "newsletter"
    forged = chain.canonical(body)
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == target.id).values(
            body=forged, hash=chain.link(target.previous, forged)))
    assert [(b.event_id, b.problem) for b in verify(app, org).breaks] == [(target.id, "edited")]


def test_it_names_a_deleted_event(app, org):
    seed_events(app, org)
    victim = rows(app, org)[3]
    with app.db.unit_of_work() as session:
        session.execute(delete(t.LedgerEvent).where(t.LedgerEvent.id == victim.id))
    breaks = verify(app, org).breaks
    assert [(b.seq, b.problem) for b in breaks] == [(5, "deleted")]
    assert "4" in breaks[0].detail


def test_it_names_a_deleted_last_event(app, org):
    seed_events(app, org)
    victim = rows(app, org)[-1]
    with app.db.unit_of_work() as session:
        session.execute(delete(t.LedgerEvent).where(t.LedgerEvent.id == victim.id))
    assert [(b.seq, b.problem) for b in verify(app, org).breaks] == [(5, "deleted")]


def test_it_names_an_inserted_event(app, org):
    customer = seed_events(app, org)
    stored = rows(app, org)
    # A forger makes room after event 2 and slips in a consent with a valid hash of its own.
    with app.db.unit_of_work() as session:
        for row in reversed(stored[2:]):
            session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == row.id).values(seq=row.seq + 100))
        for row in stored[2:]:
            session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == row.id).values(seq=row.seq + 1))
        forged_id = str(uuid.uuid4())
        body = chain.canonical({"v": 1, "id": forged_id, "organisation": org, "seq": 3,
                                "type": "consent.given", "customer": customer})
        session.add(t.LedgerEvent(
            id=forged_id, organisation_id=org, seq=3, type="consent.given", customer_id=customer,
            occurred_at=app.now(), recorded_at=app.now(), body=body, previous=stored[1].hash,
            hash=chain.link(stored[1].hash, body), evidence=None,
        ))
    breaks = verify(app, org).breaks
    assert (3, forged_id, "inserted") in [(b.seq, b.event_id, b.problem) for b in breaks]


def test_it_names_two_swapped_events(app, org):
    seed_events(app, org)
    first, second = rows(app, org)[1:3]
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == first.id).values(seq=-1))
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == second.id).values(seq=first.seq))
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == first.id).values(seq=second.seq))
    breaks = {(b.event_id, b.problem) for b in verify(app, org).breaks}
    assert breaks == {(first.id, "reordered"), (second.id, "reordered")}


def test_erasing_evidence_keeps_the_chain_verifiable(app, org):
    seed_events(app, org)
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org).values(evidence=None))
    assert verify(app, org).ok


def test_the_stored_projection_equals_a_rebuild_from_the_events(app, org):
    customer = str(uuid.uuid4())
    kinds = [
        (EventType.CONSENT_GIVEN, {"channel": "email", "purpose": "advertising", "source": "online_form"}),
        (EventType.TRANSACTIONAL_OPT_OUT, {"channel": "sms"}),
        (EventType.CONSENT_WITHDRAWN, {"channel": "email", "purpose": "all"}),
        (EventType.OBJECTION, {"channel": "all", "scope": "advertising"}),
        (EventType.CONSENT_GIVEN, {"channel": "sms", "purpose": "newsletter", "source": "booking"}),
        (EventType.TRANSACTIONAL_OPT_IN, {"channel": "sms"}),
    ]
    for kind, data in kinds:  # one transaction each, as events arrive in life
        with app.db.unit_of_work() as session:
            app.clock.advance(hours=1)
            ledger.append(session, org, [ledger.Draft(kind, customer, app.now(), data)], now=app.now())
    with app.db.unit_of_work() as session:
        stored = ledger.stored_state(session, org, customer)
        rebuilt = state_to_dict(ledger.load_state(session, org, customer))
    assert stored == rebuilt
    assert rebuilt["transactional_opt_out"] == []
    assert rebuilt["consents"][0]["withdrawn_at"] is not None
    assert rebuilt["consents"][1]["withdrawn_at"] is None
    assert len(rebuilt["objections"]) == 1


def test_organisations_have_separate_chains(app, org):
    other = organisations.create(app, slug=f"shop-{uuid.uuid4().hex[:8]}", name="Shop", jurisdiction="AT").id
    seed_events(app, org, count=3)
    seed_events(app, other, count=2)
    assert (verify(app, org).events, verify(app, other).events) == (3, 2)


def test_a_body_that_is_no_longer_json_is_named_as_edited(app, org):
    seed_events(app, org)
    target = rows(app, org)[1]
    with app.db.unit_of_work() as session:
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == target.id).values(body=b"\xff not json"))
    assert [(b.event_id, b.problem) for b in verify(app, org).breaks] == [(target.id, "edited")]
