"""Properties every decision keeps, on scenarios hypothesis makes up."""

import dataclasses
from datetime import timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from konsent.domain import (
    Basis,
    Consent,
    MessageKind,
    Nature,
    Objection,
    ObjectionScope,
    Purchase,
    Scenario,
    decide,
)
from konsent.domain.kinds import NATURE, nature_of
from tests.domain.strategies import consents, messages, moments, scenarios

settings.register_profile("konsent", max_examples=400, deadline=None)
settings.load_profile("konsent")

TRANSACTIONAL = [kind for kind, nature in NATURE.items() if nature is Nature.TRANSACTIONAL]


def with_recipient(scenario: Scenario, **changes: object) -> Scenario:
    return dataclasses.replace(scenario, recipient=dataclasses.replace(scenario.recipient, **changes))


@given(scenarios(), st.randoms(use_true_random=False))
def test_the_order_of_consents_objections_and_purchases_does_not_matter(scenario, rng):
    recipient = scenario.recipient
    shuffled = {
        name: tuple(rng.sample(getattr(recipient, name), len(getattr(recipient, name))))
        for name in ("consents", "objections", "purchases")
    }
    assert decide(with_recipient(scenario, **shuffled)).to_dict() == decide(scenario).to_dict()


@given(scenarios(), st.sampled_from([None, "channel"]), st.sampled_from(ObjectionScope), moments)
def test_an_objection_later_than_every_consent_denies_advertising_on_that_channel(
    scenario, covered, scope, moment
):
    message = scenario.message
    if nature_of(message.kind, contains_advertising=message.contains_advertising) is not Nature.ADVERTISING:
        message = dataclasses.replace(message, contains_advertising=True)
    latest_consent = max((c.given_at for c in scenario.recipient.consents), default=moment)
    objected_at = max(moment, latest_consent) + timedelta(seconds=1)
    assume(objected_at <= scenario.at)  # an objection still to come is no objection yet
    objection = Objection(
        at=objected_at, channel=message.channel if covered else None, scope=scope
    )
    scenario = dataclasses.replace(scenario, message=message)
    scenario = with_recipient(scenario, objections=(*scenario.recipient.objections, objection))
    decision = decide(scenario)
    assert not decision.allowed
    assert "objection" in decision.codes


@given(
    scenarios(message=messages(st.sampled_from(TRANSACTIONAL))),
    st.lists(consents, max_size=3),
    st.lists(st.builds(Objection, at=moments, scope=st.sampled_from(ObjectionScope)), max_size=2),
)
def test_transactional_messages_ignore_marketing_consent_unless_opted_out(scenario, others, objections):
    scenario = dataclasses.replace(
        scenario, message=dataclasses.replace(scenario.message, contains_advertising=False)
    )
    scenario = with_recipient(
        scenario, purchases=(*scenario.recipient.purchases, Purchase(at=scenario.at))
    )
    decision = decide(scenario)
    assert decision.allowed is (not scenario.recipient.transactional_opt_out)
    rewritten = with_recipient(scenario, consents=tuple(others), objections=tuple(objections))
    assert decide(rewritten).to_dict() == decision.to_dict()


@given(scenarios(), consents)
def test_adding_a_consent_never_turns_an_allow_into_a_deny(scenario, extra: Consent):
    before = decide(scenario)
    after = decide(with_recipient(scenario, consents=(*scenario.recipient.consents, extra)))
    if before.allowed:
        assert after.allowed, after.codes


@given(scenarios())
def test_every_decision_explains_itself(scenario):
    decision = decide(scenario)
    assert decision.reasons, "a decision without a reason"
    assert decision.citations, "a decision without a citation"
    assert (decision.basis is None) is (not decision.allowed)
    for lang in ("de", "en"):
        for finding in (*decision.reasons, *decision.warnings):
            assert finding.text(lang).strip()
    if not decision.allowed:
        assert decision.requirements == ()
        assert decision.warnings == ()


@given(scenarios())
def test_a_consent_request_never_rides_on_the_existing_customer_privilege(scenario):
    scenario = dataclasses.replace(
        scenario, message=dataclasses.replace(scenario.message, kind=MessageKind.CONSENT_REQUEST)
    )
    assert decide(scenario).basis is not Basis.EXISTING_CUSTOMER
