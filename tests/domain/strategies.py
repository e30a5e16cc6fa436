"""Hypothesis strategies for scenarios, with timestamps drawn near each other so that the edges
(same instant, 7-day window, 2-year staleness) come up often."""

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from konsent.domain import (
    Channel,
    Consent,
    ConsentMethod,
    ConsentSource,
    Jurisdiction,
    Message,
    MessageKind,
    Objection,
    ObjectionScope,
    Organisation,
    Purchase,
    Purpose,
    Reading,
    Recipient,
    RecipientType,
    Registers,
    Scenario,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CATEGORIES = ("shoes", "socks", "rackets", "balls", "whole-assortment")
GROUPS = (frozenset({"shoes", "socks"}), frozenset({"rackets", "balls"}), frozenset({"socks", "balls"}))

moments = st.builds(
    lambda days, minutes: NOW + timedelta(days=days, minutes=minutes),
    st.sampled_from([-800, -731, -729, -400, -30, -8, -7, -6, -1, 0, 1]),
    st.sampled_from([-60, -1, 0, 1, 60]),
)
maybe_moment = st.none() | moments
categories = st.frozensets(st.sampled_from(CATEGORIES), max_size=2)

consents = st.builds(
    Consent,
    channel=st.sampled_from(Channel),
    given_at=moments,
    purpose=st.sampled_from(Purpose),
    categories=categories,
    method=st.sampled_from(ConsentMethod),
    source=st.sampled_from(ConsentSource),
    doi_confirmed_at=maybe_moment,
    withdrawn_at=maybe_moment,
    evidence=st.booleans(),
    third_party=st.booleans(),
    last_used_at=maybe_moment,
)
objections = st.builds(
    Objection,
    at=moments,
    channel=st.none() | st.sampled_from(Channel),
    scope=st.sampled_from(ObjectionScope),
)
purchases = st.builds(
    Purchase,
    at=moments,
    categories=categories,
    contact_collected=st.frozensets(st.sampled_from(Channel)),
    objection_notice_at_collection=st.booleans(),
)
recipients = st.builds(
    Recipient,
    type=st.sampled_from(RecipientType),
    consents=st.lists(consents, max_size=4).map(tuple),
    objections=st.lists(objections, max_size=2).map(tuple),
    purchases=st.lists(purchases, max_size=3).map(tuple),
    transactional_opt_out=st.booleans(),
    registers=st.builds(Registers),
)


ANY_KIND = st.sampled_from(MessageKind)


def messages(kinds: st.SearchStrategy[MessageKind] = ANY_KIND) -> st.SearchStrategy[Message]:
    return st.builds(
        Message,
        channel=st.sampled_from(Channel),
        kind=kinds,
        advertised_categories=categories,
        contains_advertising=st.none() | st.booleans(),
        includes_opt_out_notice=st.booleans(),
        sender_identified=st.booleans(),
        automated=st.booleans(),
    )


def scenarios(
    message: st.SearchStrategy[Message] | None = None,
    recipient: st.SearchStrategy[Recipient] = recipients,
) -> st.SearchStrategy[Scenario]:
    return st.builds(
        Scenario,
        jurisdiction=st.sampled_from(Jurisdiction),
        at=st.just(NOW),
        message=message if message is not None else messages(),
        recipient=recipient,
        organisation=st.builds(
            Organisation,
            similar_categories=st.lists(st.sampled_from(GROUPS), max_size=3).map(tuple),
            reading=st.sampled_from(Reading),
        ),
    )
