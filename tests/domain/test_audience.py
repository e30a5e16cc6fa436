"""Fact signatures decide exactly as the recipients behind them, and a send plan counts them right."""

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konsent.domain import (
    Channel,
    Consent,
    ConsentMethod,
    ConsentSource,
    Decision,
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
    decide,
)
from konsent.domain import audience as plan
from konsent.domain.audience import History, View
from konsent.domain.ledger import ALL, Event, EventType
from tests.domain.strategies import NOW, categories, messages, moments, purchases, scenarios


def summary(decision: Decision | None) -> tuple[object, ...]:
    """Everything a send plan counts; the sentences' dates belong to each customer and are not compared."""
    if decision is None:
        return ("unreachable",)
    return (decision.decision, decision.basis, decision.codes, decision.requirements,
            tuple(w.code for w in decision.warnings), decision.rule_pack)


# --- a signature decides as its recipient --------------------------------------------------

@settings(max_examples=1500, deadline=None)
@given(scenarios(), st.booleans())
def test_deciding_a_signature_equals_deciding_the_recipient(scenario, own_jurisdiction):
    channel = scenario.message.channel
    jurisdiction = scenario.jurisdiction.value if own_jurisdiction else None
    view = plan.view_of(scenario.recipient, channel, scenario.at, jurisdiction=jurisdiction)
    grouped = plan.decide_view(view, message=scenario.message, at=scenario.at,
                               organisation=scenario.organisation, jurisdiction=scenario.jurisdiction)
    assert summary(grouped) == summary(decide(scenario))


def edge(kind: MessageKind, channel: Channel, recipient: Recipient, *, categories: tuple[str, ...] = (),
         reading: Reading = Reading.PREVAILING) -> Scenario:
    return Scenario(Jurisdiction.DE, NOW, Message(channel, kind, advertised_categories=frozenset(categories)),
                    recipient, Organisation(similar_categories=(frozenset({"shoes", "socks"}),), reading=reading))


PROVEN = {"source": ConsentSource.PAPER_FORM, "evidence": True}
EDGES = {
    "consent given at the very moment of the objection": edge(
        MessageKind.NEWSLETTER, Channel.EMAIL,
        Recipient(consents=(Consent(Channel.EMAIL, NOW - timedelta(days=3), **PROVEN),),
                  objections=(Objection(NOW - timedelta(days=3)),))),
    "a business that bought similar goods without leaving its number": edge(
        MessageKind.PRODUCT_AD, Channel.PHONE,
        Recipient(type=RecipientType.BUSINESS,
                  purchases=(Purchase(NOW - timedelta(days=40), frozenset({"shoes"})),)), categories=("socks",)),
    "a sign-up exactly seven days old": edge(
        MessageKind.DOI_CONFIRMATION, Channel.EMAIL,
        Recipient(consents=(Consent(Channel.EMAIL, NOW - timedelta(days=7)),))),
    "a consent exactly two years old, strict reading": edge(
        MessageKind.NEWSLETTER, Channel.SMS,
        Recipient(consents=(Consent(Channel.SMS, NOW - timedelta(days=730), **PROVEN),)), reading=Reading.STRICT),
    "a booking at the very moment of sending": edge(
        MessageKind.PRODUCT_AD, Channel.EMAIL,
        Recipient(purchases=(Purchase(NOW, frozenset({"shoes"}), frozenset({Channel.EMAIL}), True),)),
        categories=("shoes",)),
}


@pytest.mark.parametrize("scenario", EDGES.values(), ids=EDGES.keys())
def test_a_signature_decides_as_its_recipient_at_the_edges(scenario):
    view = plan.view_of(scenario.recipient, scenario.message.channel, NOW, jurisdiction=None)
    grouped = plan.decide_view(view, message=scenario.message, at=NOW, organisation=scenario.organisation,
                               jurisdiction=Jurisdiction.DE)
    assert summary(grouped) == summary(decide(scenario))


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_a_signature_survives_storage_and_its_digests_are_stable(scenario):
    view = plan.view_of(scenario.recipient, scenario.message.channel, scenario.at, jurisdiction="AT")
    stored = plan.documents(view)
    assert plan.from_documents(*stored) == view
    assert [plan.digest(part) for part in plan.documents(plan.from_documents(*stored))] == [
        plan.digest(part) for part in stored]


def look_alikes(channel: Channel) -> st.SearchStrategy[Recipient]:
    """Recipients drawn from few values, so that many share parts and keys: mostly sound consents on
    the channel, given before or after an objection, old or new; purchases of a few goods."""
    day = st.sampled_from([800, 400, 100, 3]).map(lambda days: NOW - timedelta(days=days))
    mostly = st.sampled_from
    consent = st.builds(
        Consent, channel=st.just(channel), given_at=day,
        purpose=mostly([Purpose.ADVERTISING] * 3 + [Purpose.NEWSLETTER]),
        categories=mostly([frozenset()] * 3 + [frozenset({"socks"})]),
        method=mostly([ConsentMethod.ACTIVE] * 5 + [ConsentMethod.PRE_TICKED]),
        source=mostly([ConsentSource.PAPER_FORM, ConsentSource.ONLINE_FORM]),
        doi_confirmed_at=st.none() | day, withdrawn_at=mostly([None] * 4 + [NOW - timedelta(days=50)]),
        evidence=mostly([True, True, False]),
    )
    bought = st.builds(
        Purchase, at=day, categories=mostly([frozenset({"shoes"}), frozenset({"socks"}), frozenset({"rackets"})]),
        contact_collected=mostly([frozenset({channel}), frozenset()]), objection_notice_at_collection=st.booleans())
    return st.builds(
        Recipient, type=st.sampled_from(RecipientType), consents=st.lists(consent, max_size=2).map(tuple),
        objections=st.lists(st.builds(Objection, at=day, channel=st.just(channel),
                                      scope=st.sampled_from(ObjectionScope)), max_size=1).map(tuple),
        purchases=st.lists(bought, max_size=2).map(tuple), registers=st.builds(Registers, ecg=st.booleans()),
    )


IMPLIED = {"customer_before": ("customer",), "sale": ("customer_before", "customer"),
           "noticed": ("sale", "customer_before", "customer"), "objected_to_all": ("objected",)}


def one_flag_flipped(core: plan.Core) -> list[plan.Core]:
    """The core, and each copy of it with one fact turned around (and what that fact implies, so that
    the customer could exist): every fact a message reads must be part of its key."""
    flags = ("transactional_opt_out", "objected", "objected_to_all", "customer", "customer_before", "sale", "noticed")
    variants: list[plan.Core] = [core]
    for flag in flags:
        value = not getattr(core, flag)
        if value:
            changes = dict.fromkeys((flag, *IMPLIED.get(flag, ())), True)
        else:
            changes = {flag: False, **{other: False for other, implied in IMPLIED.items() if flag in implied}}
            if "customer_before" in changes:
                changes["bought_any"] = ()  # goods bought before imply a purchase before
        variants.append(replace(core, **changes))
    variants.append(replace(core, type="business" if core.type == "consumer" else "consumer"))
    variants.append(replace(core, bought_any=()))  # earlier purchases, but of no named goods
    variants += [replace(core, registers=tuple(not r if i == n else r for i, r in enumerate(core.registers)))
                 for n in range(4)]
    return variants


def could_exist(core: plan.Core, bought: tuple[str, ...], channel: Channel) -> bool:
    """Goods bought with the address given come from a sale, and are among everything bought."""
    if bought and not core.sale:
        return False
    return channel is not Channel.PHONE or set(bought) <= set(core.bought_any)


campaign_messages = st.builds(
    Message, channel=st.sampled_from(list(Channel)),
    kind=st.sampled_from([MessageKind.NEWSLETTER, MessageKind.PRODUCT_AD, MessageKind.REVIEW_REQUEST,
                          MessageKind.CONSENT_REQUEST, MessageKind.INVOICE, MessageKind.AFTER_SALES_INFO,
                          MessageKind.DOI_CONFIRMATION]),
    advertised_categories=st.sampled_from([frozenset(), frozenset({"socks"}), frozenset({"shoes", "rackets"})]),
    includes_opt_out_notice=st.sampled_from([True, True, False]),
)


@settings(max_examples=250, deadline=None)
@given(st.data(), campaign_messages, st.sampled_from(list(Jurisdiction)), st.sampled_from(list(Reading)))
def test_signatures_whose_parts_read_alike_are_decided_alike(data, message, jurisdiction, reading):
    """One message's lens, over every mix of some customers' parts: whoever gets the same keys gets
    the decision of the first signature seen with them."""
    recipients = data.draw(st.lists(look_alikes(message.channel), min_size=3, max_size=5))
    organisation = Organisation(similar_categories=(frozenset({"shoes", "socks"}),), reading=reading)
    lens = plan.Lens(message, organisation, jurisdiction)
    seen = [plan.view_of(r, message.channel, NOW, jurisdiction=data.draw(st.sampled_from([None, "AT"])))
            for r in recipients]
    for core in dict.fromkeys(flipped for v in seen for flipped in one_flag_flipped(v.core)):
        for consents in dict.fromkeys(v.consents for v in seen):
            for bought in dict.fromkeys(v.bought for v in seen):
                if not could_exist(core, bought, message.channel):
                    continue
                view = View(core, consents, bought)
                alone = plan.decide_view(view, message=message, at=NOW, organisation=organisation,
                                         jurisdiction=jurisdiction)
                assert summary(lens.decide(lens.key(view))) == summary(alone)


SHOES = Purchase(NOW - timedelta(days=40), frozenset({"shoes"}))
PAIRS = {
    "a business that bought similar goods, and one that bought unnamed goods": (
        Message(Channel.PHONE, MessageKind.PRODUCT_AD, advertised_categories=frozenset({"socks"})),
        Recipient(type=RecipientType.BUSINESS, purchases=(SHOES,)),
        Recipient(type=RecipientType.BUSINESS, purchases=(Purchase(SHOES.at),))),
    "an address on the Austrian ECG list, and one not": (
        Message(Channel.EMAIL, MessageKind.PRODUCT_AD, advertised_categories=frozenset({"shoes"})),
        Recipient(purchases=(Purchase(SHOES.at, SHOES.categories, frozenset({Channel.EMAIL}), True),),
                  registers=Registers(ecg=True)),
        Recipient(purchases=(Purchase(SHOES.at, SHOES.categories, frozenset({Channel.EMAIL}), True),))),
    "a valid consent older than the objection beside a newer invalid one, and a valid one after it": (
        Message(Channel.EMAIL, MessageKind.NEWSLETTER),
        Recipient(consents=(Consent(Channel.EMAIL, NOW - timedelta(days=400), **PROVEN),
                            Consent(Channel.EMAIL, NOW - timedelta(days=3), method=ConsentMethod.PRE_TICKED, **PROVEN)),
                  objections=(Objection(NOW - timedelta(days=100)),)),
        Recipient(consents=(Consent(Channel.EMAIL, NOW - timedelta(days=3), **PROVEN),),
                  objections=(Objection(NOW - timedelta(days=100)),))),
    "an objection to all messages, and to advertising only": (
        Message(Channel.SMS, MessageKind.AFTER_SALES_INFO),
        Recipient(objections=(Objection(SHOES.at, scope=ObjectionScope.ALL),), purchases=(SHOES,)),
        Recipient(objections=(Objection(SHOES.at),), purchases=(SHOES,))),
}


@pytest.mark.parametrize(("message", "first", "second"), PAIRS.values(), ids=PAIRS.keys())
def test_a_lens_keeps_apart_what_its_message_reads(message, first, second):
    organisation = Organisation(similar_categories=(frozenset({"shoes", "socks"}),))
    lens = plan.Lens(message, organisation, Jurisdiction.AT if message.channel is Channel.EMAIL else Jurisdiction.DE)
    views = [plan.view_of(r, message.channel, NOW, jurisdiction=None) for r in (first, second)]
    decisions = [summary(lens.decide(lens.key(view))) for view in views]
    assert decisions[0] != decisions[1]
    assert decisions == [summary(plan.decide_view(view, message=message, at=NOW, organisation=organisation,
                                                  jurisdiction=lens.jurisdiction)) for view in views]


def test_dates_that_say_the_same_make_the_same_signature():
    def anna(days_ago: int, *, confirm: bool = True) -> View:
        events = [signed_up(days_ago), *([confirmed(days_ago)] if confirm else [])]
        return plan.view_at(history(events, [purchase(days_ago + 3)]), Channel.EMAIL, NOW)

    assert anna(3) == anna(30) == anna(200)  # a confirmed consent and a purchase, within two years
    assert anna(3, confirm=False) != anna(30, confirm=False)  # a sign-up in its 7-day window may be asked to confirm
    assert anna(30) != anna(800)  # older than two years


# --- a customer's signatures over time -----------------------------------------------------

def event(kind: EventType, days: float, seq: int, **data: object) -> Event:
    return Event(seq, str(uuid.uuid4()), kind, "c-1", NOW + timedelta(days=days), data)


def signed_up(days_ago: float, channel: str = "email", seq: int = 1, **data: object) -> Event:
    fields = {"channel": channel, "purpose": "advertising", "source": "online_form", "method": "active",
              "categories": [], "third_party": False, "evidence": False, **data}
    return Event(seq, f"consent-{seq}", EventType.CONSENT_GIVEN, "c-1", NOW - timedelta(days=days_ago), fields)


def confirmed(days_ago: float, seq: int = 1) -> Event:
    return Event(seq + 100, str(uuid.uuid4()), EventType.DOI_CONFIRMED, "c-1", NOW - timedelta(days=days_ago),
                 {"consent_id": f"consent-{seq}"})


def purchase(days_ago: float, *collected: Channel) -> Purchase:
    return Purchase(at=NOW - timedelta(days=days_ago), categories=frozenset({"haircut"}),
                    contact_collected=frozenset(collected), objection_notice_at_collection=True)


def history(events: list[Event], purchases_: list[Purchase] = (), **fields: object) -> History:
    reach = {Channel.EMAIL: plan.REACHABLE, Channel.SMS: plan.REACHABLE}
    return History(events=tuple(events), purchases=tuple(purchases_), reach=reach, **fields)


def ledger_events(draw: st.DrawFn) -> tuple[Event, ...]:
    events: list[Event] = []
    consent_ids: list[str] = []
    for seq in range(1, draw(st.integers(0, 7)) + 1):
        kind = draw(st.sampled_from([EventType.CONSENT_GIVEN] * 3 + [
            EventType.DOI_CONFIRMED, EventType.CONSENT_WITHDRAWN, EventType.OBJECTION,
            EventType.TRANSACTIONAL_OPT_OUT, EventType.TRANSACTIONAL_OPT_IN]))
        at = draw(moments) - timedelta(days=draw(st.sampled_from([0, 0, 2])))
        channel = draw(st.sampled_from([c.value for c in Channel]))
        data: dict[str, object]
        if kind is EventType.CONSENT_GIVEN:
            data = {"channel": channel, "purpose": draw(st.sampled_from([p.value for p in Purpose])),
                    "source": draw(st.sampled_from([s.value for s in ConsentSource])),
                    "method": draw(st.sampled_from([m.value for m in ConsentMethod])),
                    "categories": sorted(draw(categories)), "third_party": draw(st.booleans()),
                    "evidence": draw(st.booleans())}
            consent_ids.append(f"consent-{seq}")
            events.append(Event(seq, f"consent-{seq}", kind, "c-1", at, data))
            continue
        if kind is EventType.DOI_CONFIRMED:
            if not consent_ids:
                continue
            data = {"consent_id": draw(st.sampled_from(consent_ids))}
        elif kind is EventType.OBJECTION:
            data = {"channel": draw(st.sampled_from([ALL, channel])),
                    "scope": draw(st.sampled_from([s.value for s in ObjectionScope]))}
        elif kind is EventType.CONSENT_WITHDRAWN:
            data = {"channel": draw(st.sampled_from([ALL, channel])), "purpose": ALL}
        else:
            data = {"channel": draw(st.sampled_from([ALL, channel]))}
        events.append(Event(seq, str(uuid.uuid4()), kind, "c-1", at, data))
    return tuple(events)


histories = st.composite(lambda draw: history(
    list(ledger_events(draw)), draw(st.lists(purchases, max_size=3)),
    jurisdiction=draw(st.sampled_from([None, "DE", "AT", "CH"])),
))()


@settings(max_examples=500, deadline=None)
@given(histories, st.sampled_from(list(Channel)), moments, st.lists(moments, min_size=1, max_size=6))
def test_the_slots_name_the_signature_of_every_moment_they_cover(record, channel, since, probes):
    known = plan.slots(record, channel, since)
    edges = [edge + shift for edge in plan.breakpoints(record) for shift in (-plan.TICK, timedelta(0))]
    for at in [since, *probes, *edges]:
        view = known.view(at)
        if view is not None:
            assert view == plan.view_at(record, channel, at)
    assert known.view(since) is not None  # the present is always known


@settings(max_examples=300, deadline=None)
@given(histories, messages(st.sampled_from(list(MessageKind))), moments)
def test_a_customer_decided_on_their_records_equals_their_signature(record, message, at):
    organisation = Organisation(similar_categories=(frozenset({"shoes", "socks"}),))
    view = plan.view_at(record, message.channel, at)
    alone = plan.decide_customer(record, message=message, at=at, organisation=organisation,
                                 jurisdiction=Jurisdiction.DE)
    grouped = plan.decide_view(view, message=message, at=at, organisation=organisation,
                               jurisdiction=Jurisdiction.DE)
    assert summary(grouped) == summary(alone)


def test_a_new_sign_up_changes_its_signature_when_the_window_closes_and_after_two_years():
    record = history([signed_up(1)])
    known = plan.slots(record, Channel.EMAIL, NOW)
    assert known.starts[1:] == (NOW + timedelta(days=6) + plan.TICK, NOW + timedelta(days=729) + plan.TICK)
    assert [v.consents[0].era for v in known.views] == [plan.RECENT, plan.MIDDLE, plan.OLD]
    assert known.until == plan.FOREVER
    assert known.view(NOW - timedelta(days=2)) is None  # before what the slots know: work it out anew


def test_a_customer_without_an_address_or_erased_is_never_asked_about():
    nobody = History(events=(signed_up(10),), reach={Channel.SMS: plan.REACHABLE})
    assert plan.view_at(nobody, Channel.EMAIL, NOW).core.reach == plan.NO_ADDRESS
    bounced = History(reach={Channel.EMAIL: plan.ADDRESS_BOUNCED})
    assert plan.view_at(bounced, Channel.EMAIL, NOW).core.reach == plan.ADDRESS_BOUNCED
    erased = History(reach={Channel.EMAIL: plan.REACHABLE}, erased=True)
    assert plan.view_at(erased, Channel.EMAIL, NOW) == plan.UNREACHABLE[plan.CUSTOMER_ERASED]
    assert plan.decide_view(plan.UNREACHABLE[plan.NO_ADDRESS], message=Message(Channel.EMAIL, MessageKind.NEWSLETTER),
                            at=NOW, organisation=Organisation(), jurisdiction=Jurisdiction.DE) is None


# --- the plan ------------------------------------------------------------------------------

def test_a_tally_counts_included_by_basis_and_excluded_under_each_of_their_reasons():
    newsletter = Message(Channel.EMAIL, MessageKind.NEWSLETTER)
    lens = plan.Lens(newsletter, Organisation(), Jurisdiction.DE)
    subscriber = plan.view_at(history([signed_up(30), confirmed(30)]), Channel.EMAIL, NOW)
    stranger = plan.view_at(history([]), Channel.EMAIL, NOW)
    unreachable = plan.UNREACHABLE[plan.NO_ADDRESS]
    tally = plan.Tally("email")
    for view, count in ((subscriber, 5), (stranger, 3), (unreachable, 2)):
        key = lens.key(view)
        tally.add(key, view, lens.decide(key), count)
    result = tally.plan({"no_address": ["c-9"]}, {})
    assert (result.audience, result.included, result.excluded) == (10, 5, 5)
    assert result.bases == {"consent": 5}
    assert [(r.code, r.count) for r in result.reasons] == [
        ("existing_customer_no_categories", 3), ("existing_customer_no_sale", 3), ("no_consent", 3),
        ("no_address", 2),
    ]
    no_address = result.reasons[-1]
    assert no_address.examples == ("c-9",)
    assert no_address.texts["en"] == "The customer has no email address on record."
    assert tally.keys["no_consent"] == {lens.key(stranger): 3}


def test_consents_that_fail_alike_share_a_key_whatever_their_dates():
    lens = plan.Lens(Message(Channel.EMAIL, MessageKind.NEWSLETTER), Organisation(), Jurisdiction.DE)
    unconfirmed = [plan.view_at(history([signed_up(days)]), Channel.EMAIL, NOW) for days in (20, 300, 900)]
    assert len({lens.key(view) for view in unconfirmed}) == 1
    proven = plan.view_at(history([signed_up(20), confirmed(20)]), Channel.EMAIL, NOW)
    assert lens.key(proven) != lens.key(unconfirmed[0])
