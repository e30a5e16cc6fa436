"""A send plan: whom a campaign reaches, whom it leaves out and why — decided once per fact signature.

Deciding a million recipients one by one is the slow road. Most customers share a *fact signature*
(`View`): what the law reads about them on one channel at the moment of sending, with every
timestamp replaced by the only things the rules ask of it — is it before the send, within the 7-day
sign-up window, older than two years, after the latest objection. `decide` is asked about a
stand-in recipient with exactly those facts, and its answer counts for everyone who shares them.

A signature has three parts — the customer (`Core`), their consents on the channel, and what they
bought when they gave the channel's address — because one message reads far less than all of it: a
`Lens` gives every part the key of what this message reads of it (the engine's own consent checks,
`Organisation.similar` for the goods), so customers whose parts read alike are decided together.

A customer's signature changes only at known moments (`breakpoints`); storage keeps it now and at
the next few of those moments (`Slots`), so the database can group customers for any send moment.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from konsent.domain.decision import Decision
from konsent.domain.facts import (
    SELF_EVIDENT_SOURCES,
    Consent,
    ConsentMethod,
    ConsentSource,
    Jurisdiction,
    Message,
    Objection,
    ObjectionScope,
    Organisation,
    Purchase,
    Recipient,
    RecipientType,
    Registers,
    Scenario,
)
from konsent.domain.kinds import Channel, Nature, Purpose, nature_of
from konsent.domain.law import PACKS, decide
from konsent.domain.law.case import PENDING_SIGNUP_LIFETIME, STALE_AFTER, Case
from konsent.domain.ledger import Event, fold, recipient_facts
from konsent.domain.wording import localise

# Stored moments have microseconds: "after x" is "from x + TICK on", so every change starts a slot.
TICK = timedelta(microseconds=1)
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)

# Why a customer cannot be reached at all — before the law is even asked. Stable codes.
REACHABLE = "reachable"
NO_ADDRESS = "no_address"
ADDRESS_BOUNCED = "address_bounced"
CUSTOMER_ERASED = "customer_erased"

# Where a consent's date lies, seen from the moment of sending: a sign-up still waiting for its
# confirmation (within 7 days), older than two years, or between.
OLD, MIDDLE, RECENT = "old", "middle", "recent"
_ERAS = (OLD, MIDDLE, RECENT)
# What proves a consent (Art. 7 (1) GDPR), or why nothing does.
PROVEN, UNCONFIRMED, WITHOUT_EVIDENCE, INCONSISTENT = "proven", "unconfirmed", "without_evidence", "inconsistent"


@dataclass(frozen=True, slots=True)
class Core:
    """The customer's side of a signature: reachability, registers, objections, purchases."""

    reach: str = REACHABLE
    jurisdiction: str | None = None  # the customer's own; None: the organisation's
    type: str = RecipientType.CONSUMER.value
    registers: tuple[bool, bool, bool, bool] = (False, False, False, True)  # robinson, ecg, star, listed
    transactional_opt_out: bool = False
    objected: bool = False  # an objection to advertising (or everything) on the channel by then
    objected_to_all: bool = False  # ... to every message on the channel
    customer: bool = False  # a purchase or booking at or before the moment
    customer_before: bool = False  # ... strictly before it
    sale: bool = False  # a purchase before it where the channel's address was collected
    noticed: bool = False  # ... with the objection notice given at collection
    bought_any: tuple[str, ...] = ()  # categories of every earlier purchase: only calls read it


@dataclass(frozen=True, slots=True, order=True)
class ConsentView:
    """One consent on the channel, as the rules see it at the moment of sending."""

    era: str
    after_objection: bool  # given after the latest objection (True when there is none)
    purpose: str
    categories: tuple[str, ...]
    method: str
    third_party: bool
    proof: str
    withdrawn: bool  # withdrawn by then
    stale: bool  # older than two years and unused for two years


@dataclass(frozen=True, slots=True)
class View:
    """A fact signature: everything the law reads about a recipient on one channel at one moment."""

    core: Core = field(default_factory=Core)
    consents: tuple[ConsentView, ...] = ()
    bought: tuple[str, ...] = ()  # categories of the sales where the address was given (the noticed ones, if any)


UNREACHABLE = {code: View(Core(reach=code)) for code in (NO_ADDRESS, ADDRESS_BOUNCED, CUSTOMER_ERASED)}

# --- the parts as stored: documents and their digests ------------------------------------------

CORE, CONSENTS, BOUGHT = "core", "consents", "bought"
PARTS = (CORE, CONSENTS, BOUGHT)


def documents(view: View) -> tuple[Any, Any, Any]:
    """The three parts of a signature as JSON documents, in the order of PARTS."""
    return document_of(CORE, view.core), document_of(CONSENTS, view.consents), document_of(BOUGHT, view.bought)


def document_of(kind: str, part: Any) -> Any:
    if kind == CORE:
        return {"reach": part.reach, "jurisdiction": part.jurisdiction, "type": part.type,
                "registers": list(part.registers), "transactional_opt_out": part.transactional_opt_out,
                "objected": part.objected, "objected_to_all": part.objected_to_all, "customer": part.customer,
                "customer_before": part.customer_before, "sale": part.sale, "noticed": part.noticed,
                "bought_any": list(part.bought_any)}
    if kind == CONSENTS:
        return [[c.era, c.after_objection, c.purpose, list(c.categories), c.method, c.third_party, c.proof,
                 c.withdrawn, c.stale] for c in part]
    return list(part)


def from_documents(core: Mapping[str, Any], consents: Sequence[Sequence[Any]], bought: Sequence[str]) -> View:
    return View(part_from(CORE, core), part_from(CONSENTS, consents), part_from(BOUGHT, bought))


def part_from(kind: str, document: Any) -> Any:
    if kind == CORE:
        return Core(**{**document, "registers": tuple(document["registers"]),
                       "bought_any": tuple(document["bought_any"])})
    if kind == CONSENTS:
        return tuple(ConsentView(c[0], c[1], c[2], tuple(c[3]), *c[4:]) for c in document)
    return tuple(document)


def digest(document: Any) -> int:
    """A signed 64-bit digest of a part's document: equal parts, equal digests."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big", signed=True)


# --- from facts to a signature ---------------------------------------------------------------

def view_of(recipient: Recipient, channel: Channel, at: datetime, *, jurisdiction: str | None) -> View:
    """The signature of a recipient's facts for a message on `channel` sent at `at`."""
    objection, to_all = _objections(recipient.objections, channel, at)
    window, horizon = at - PENDING_SIGNUP_LIFETIME, at - STALE_AFTER
    consents = set()
    for c in recipient.consents:
        if c.channel is not channel or c.given_at > at:
            continue  # a consent given after the send does not exist yet
        confirmed, withdrawn = c.doi_confirmed_at, c.withdrawn_at
        after = objection is None or c.given_at > objection
        confirmed_by_then = confirmed is not None and confirmed <= at
        withdrawn_by_then = withdrawn is not None and withdrawn <= at
        if (confirmed is not None and confirmed < c.given_at) or (withdrawn is not None and withdrawn < c.given_at):
            proof = INCONSISTENT
        elif confirmed_by_then:
            proof = PROVEN
        elif c.source not in SELF_EVIDENT_SOURCES:
            proof = UNCONFIRMED
        else:
            proof = PROVEN if c.evidence else WITHOUT_EVIDENCE
        # A sign-up waiting for its confirmation may be asked once to confirm it.
        waiting = c.given_at >= window and after and not confirmed_by_then and not withdrawn_by_then
        consents.add(ConsentView(
            era=RECENT if waiting else MIDDLE if c.given_at >= horizon else OLD,
            after_objection=after, purpose=c.purpose.value, categories=tuple(sorted(c.categories)),
            method=c.method.value, third_party=c.third_party, proof=proof, withdrawn=withdrawn_by_then,
            stale=c.given_at < horizon and (c.last_used_at is None or c.last_used_at < horizon),
        ))
    before = [p for p in recipient.purchases if p.at < at]
    sales = [p for p in before if channel in p.contact_collected]
    noticed = [p for p in sales if p.objection_notice_at_collection]
    registers = recipient.registers
    core = Core(
        jurisdiction=jurisdiction, type=recipient.type.value,
        registers=(registers.robinson, registers.ecg, registers.star_marked, registers.directory_listed),
        transactional_opt_out=recipient.transactional_opt_out, objected=objection is not None,
        objected_to_all=to_all, customer=any(p.at <= at for p in recipient.purchases), customer_before=bool(before),
        sale=bool(sales), noticed=bool(noticed),
        # Presumed consent (BGH I ZR 191/03) looks at everything bought; it exists only for calls.
        bought_any=_categories(before) if channel is Channel.PHONE else (),
    )
    return View(core, tuple(sorted(consents)), _categories(noticed or sales))


def _objections(objections: Iterable[Objection], channel: Channel, at: datetime) -> tuple[datetime | None, bool]:
    latest: datetime | None = None
    to_all = False
    for o in objections:
        if o.at <= at and o.covers(channel):
            latest = o.at if latest is None or o.at > latest else latest
            to_all = to_all or o.scope is ObjectionScope.ALL
    return latest, to_all


def _categories(purchases: Iterable[Purchase]) -> tuple[str, ...]:
    return tuple(sorted({category for p in purchases for category in p.categories}))


# --- from a signature back to a recipient the engine can decide about ----------------------

_BASE = {OLD: timedelta(days=1000), MIDDLE: timedelta(days=100), RECENT: timedelta(hours=1)}
Timeline = tuple[list[ConsentView], list[datetime], tuple[Consent, ...]]  # in time order, given when, as facts


def stand_in(view: View, channel: Channel, at: datetime, consents: Timeline | None = None) -> Recipient:
    """A recipient with exactly the signature's facts: `decide` answers for it as for everyone
    who has the signature (same outcome, basis, reason and warning codes). Its dates are made up.
    `consents`: the consents' timeline, if already laid out (`timeline`)."""
    ordered, given, facts = consents or timeline(view.consents, channel, at)
    core = view.core
    objections: tuple[Objection, ...] = ()
    if core.objected:
        before = [g for g, c in zip(given, ordered, strict=True) if not c.after_objection]
        moment = max(before) if before else min(given, default=at) - timedelta(milliseconds=1)
        scope = ObjectionScope.ALL if core.objected_to_all else ObjectionScope.ADVERTISING
        objections = (Objection(at=moment, channel=channel, scope=scope),)
    return Recipient(
        type=RecipientType(core.type),
        consents=facts,
        objections=objections,
        purchases=_purchases(view, channel, at),
        transactional_opt_out=core.transactional_opt_out,
        registers=Registers(*core.registers),
    )


def timeline(consents: Sequence[ConsentView], channel: Channel, at: datetime) -> Timeline:
    """The consents in time order, when each was given, and each as the engine's fact."""
    ordered, given = _timeline(consents, at)
    return ordered, given, tuple(_consent(c, g, channel, at) for c, g in zip(ordered, given, strict=True))


def _timeline(consents: Sequence[ConsentView], at: datetime) -> tuple[list[ConsentView], list[datetime]]:
    # In time order: by era, and in each era those before the objection first — the only order real
    # records can have, since one objection splits their timeline once.
    ordered = sorted(consents, key=lambda c: (_ERAS.index(c.era), c.after_objection))
    given: list[datetime] = []
    per_era: Counter[str] = Counter()
    for c in ordered:
        given.append(at - _BASE[c.era] + timedelta(milliseconds=per_era[c.era]))
        per_era[c.era] += 1
    return ordered, given


_PROOF_SOURCE = {PROVEN: ConsentSource.PAPER_FORM, UNCONFIRMED: ConsentSource.ONLINE_FORM,
                 WITHOUT_EVIDENCE: ConsentSource.PAPER_FORM, INCONSISTENT: ConsentSource.ONLINE_FORM}


def _consent(c: ConsentView, given_at: datetime, channel: Channel, at: datetime) -> Consent:
    # A signed form proves a consent without leaving it confirmed, so a proven sign-up may still wait
    # for its confirmation; a record that contradicts itself was confirmed before it was given.
    stamp = given_at - TICK if c.proof == INCONSISTENT else given_at
    return Consent(
        channel=channel, given_at=given_at, purpose=Purpose(c.purpose), categories=frozenset(c.categories),
        method=ConsentMethod(c.method), source=_PROOF_SOURCE[c.proof],
        doi_confirmed_at=stamp if c.proof == INCONSISTENT else None, withdrawn_at=stamp if c.withdrawn else None,
        evidence=c.proof == PROVEN, third_party=c.third_party,
        last_used_at=at - timedelta(days=1) if c.era == OLD and not c.stale else None,
    )


def _purchases(view: View, channel: Channel, at: datetime) -> tuple[Purchase, ...]:
    core = view.core
    if not core.customer_before:
        return (Purchase(at=at),) if core.customer else ()
    earlier = at - timedelta(days=1)
    purchases = []
    if core.sale:
        purchases.append(Purchase(
            at=earlier, categories=frozenset(view.bought), contact_collected=frozenset({channel}),
            objection_notice_at_collection=core.noticed,
        ))
    if core.bought_any or not core.sale:
        purchases.append(Purchase(at=earlier, categories=frozenset(core.bought_any)))
    return tuple(purchases)


def decide_view(
    view: View, *, message: Message, at: datetime, organisation: Organisation, jurisdiction: Jurisdiction,
) -> Decision | None:
    """The engine's answer for everyone with this signature; None for whom nothing can reach."""
    if view.core.reach != REACHABLE:
        return None
    return decide(Scenario(
        jurisdiction=Jurisdiction(view.core.jurisdiction) if view.core.jurisdiction else jurisdiction, at=at,
        message=message, recipient=stand_in(view, message.channel, at), organisation=organisation,
    ))


# --- what one message reads of the parts -------------------------------------------------------

Key = tuple[int, int, int]
# Signatures hold no dates, so a lens answers alike at every moment; its stand-ins live at this one.
REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)

# What a message reads of the customer, beyond reach and jurisdiction — law/case.py and the packs,
# walked by hand. The property test turns each fact around in turn: should a rule start reading one
# not listed here, it fails.
_READS: dict[Nature, frozenset[str]] = {
    Nature.TRANSACTIONAL: frozenset({"transactional_opt_out", "customer"}),
    Nature.SERVICE: frozenset({"transactional_opt_out", "objected_to_all", "customer"}),
    Nature.CONSENT_FLOW: frozenset({"objected"}),
}
_ADVERTISING_READS: dict[Channel, frozenset[str]] = {
    Channel.EMAIL: frozenset({"objected", "sale", "noticed", "ecg"}),
    Channel.SMS: frozenset({"objected", "sale", "noticed"}),
    Channel.PHONE: frozenset({"objected", "type", "customer", "star_marked", "directory_listed", "bought_any"}),
    Channel.POST: frozenset({"objected", "robinson"}),
}
_REGISTERS = ("robinson", "ecg", "star_marked", "directory_listed")


class Lens:
    """Gives each part of a signature the key of what one message reads of it, numbered from 1.

    Of the customer, a message reads only some facts (`_READS`). Consents read alike when the engine's
    own consent checks (`Case.consents`) find the same: some valid one (given after the objection or
    not, all of them old and unused or not), or, with none valid, the same reasons. Goods read alike
    when the same advertised categories are similar to them (`Organisation.similar`). Everyone whose
    three keys agree is decided once, as a stand-in made of the first parts seen with those keys.
    """

    def __init__(self, message: Message, organisation: Organisation, jurisdiction: Jurisdiction) -> None:
        self.message, self.organisation, self.jurisdiction = message, organisation, jurisdiction
        self.nature = nature_of(message.kind, contains_advertising=message.contains_advertising)
        reads = _ADVERTISING_READS[message.channel] if self.nature is Nature.ADVERTISING else _READS[self.nature]
        self._facts = tuple(sorted(reads - {"bought_any"}))
        self._bought_any = "bought_any" in reads
        self._ids: dict[str, dict[Hashable, int]] = {part: {} for part in PARTS}
        self._first: dict[str, list[Any]] = {part: [None] for part in PARTS}  # id -> the first part seen
        self._seen: dict[str, dict[Any, int]] = {part: {} for part in PARTS}  # part -> id
        self._decided: dict[Key, Decision | None] = {}
        self._problems: dict[ConsentView | None, tuple[str, ...]] = {}
        self._timelines: dict[int, Timeline] = {}  # consents key -> its stand-in consents

    def _id(self, kind: str, part: Any, read: Callable[[Any], Hashable]) -> int:
        seen = self._seen[kind]
        number = seen.get(part)
        if number is None:
            ids, key = self._ids[kind], read(part)
            number = ids.get(key)
            if number is None:
                number = ids[key] = len(ids) + 1
                self._first[kind].append(part)
            seen[part] = number
        return number

    def core(self, core: Core) -> int:
        return self._id(CORE, core, self._core_key)

    def consents(self, consents: tuple[ConsentView, ...]) -> int:
        return self._id(CONSENTS, consents, self._consents_key)

    def bought(self, bought: tuple[str, ...]) -> int:
        return self._id(BOUGHT, bought, self._bought_key)

    def _core_key(self, core: Core) -> Hashable:
        if core.reach != REACHABLE:
            return core.reach
        own = core.jurisdiction or self.jurisdiction.value  # a customer without one has the organisation's
        read = tuple(core.registers[_REGISTERS.index(f)] if f in _REGISTERS else getattr(core, f)
                     for f in self._facts)
        return own, read, self._similar(core.bought_any) if self._bought_any else None

    def _bought_key(self, bought: tuple[str, ...]) -> Hashable:
        return self._similar(bought) if self.nature is Nature.ADVERTISING else None

    def key(self, view: View) -> Key:
        return self.core(view.core), self.consents(view.consents), self.bought(view.bought)

    def view(self, key: Key) -> View:
        core, consents, bought = (self._first[part][number] for part, number in zip(PARTS, key, strict=True))
        return View(core, consents, bought)

    def decide(self, key: Key) -> Decision | None:
        if key not in self._decided:
            view = self.view(key)
            if view.core.reach != REACHABLE:
                self._decided[key] = None
            else:
                laid_out = self._timelines.get(key[1])
                if laid_out is None:
                    laid_out = self._timelines[key[1]] = timeline(view.consents, self.message.channel, REFERENCE)
                own = view.core.jurisdiction
                self._decided[key] = decide(Scenario(
                    jurisdiction=Jurisdiction(own) if own else self.jurisdiction, at=REFERENCE, message=self.message,
                    recipient=stand_in(view, self.message.channel, REFERENCE, laid_out),
                    organisation=self.organisation,
                ))
        return self._decided[key]

    def _similar(self, bought: tuple[str, ...]) -> frozenset[str]:
        goods = frozenset(bought)
        return frozenset(a for a in self.message.advertised_categories if self.organisation.similar(a, goods))

    def _consents_key(self, consents: tuple[ConsentView, ...]) -> Hashable:
        if self.nature is Nature.CONSENT_FLOW:
            return consents  # a confirmation request looks at each sign-up's own dates
        if self.nature is not Nature.ADVERTISING:
            return None  # contracts and service messages need no consent
        if not consents:
            return "none valid", self._judged(None)
        # The engine judges each consent on its own; what is valid, and why the others are not, is
        # what the rules read of all of them together.
        valid = [c for c in consents if not self._judged(c)]
        if not valid:
            return "none valid", tuple(sorted({code for c in consents for code in self._judged(c)}))
        return "valid", any(c.after_objection for c in valid), all(c.stale for c in valid)

    def _judged(self, consent: ConsentView | None) -> tuple[str, ...]:
        """Why the engine finds this one consent (or none at all) not valid for the message."""
        if consent in self._problems:
            return self._problems[consent]
        facts = () if consent is None else (_consent(consent, _timeline([consent], REFERENCE)[1][0],
                                                     self.message.channel, REFERENCE),)
        scenario = Scenario(self.jurisdiction, REFERENCE, self.message, Recipient(consents=facts), self.organisation)
        _, failures = Case(scenario, PACKS[self.jurisdiction].CITATIONS, self.nature).consents()
        self._problems[consent] = codes = tuple(sorted(f.code for f in failures))
        return codes


# --- a customer's signatures over time ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class History:
    """Everything on record about one customer that a send plan reads."""

    events: tuple[Event, ...] = ()  # the customer's ledger events, in chain order
    purchases: tuple[Purchase, ...] = ()
    type: RecipientType = RecipientType.CONSUMER
    jurisdiction: str | None = None
    registers: Registers = field(default_factory=Registers)
    reach: Mapping[Channel, str] = field(default_factory=dict)  # REACHABLE or ADDRESS_BOUNCED; else none
    erased: bool = False


def reach_of(history: History, channel: Channel) -> str:
    return CUSTOMER_ERASED if history.erased else history.reach.get(channel, NO_ADDRESS)


def recipient_at(history: History, channel: Channel, at: datetime) -> Recipient:
    """The recipient as `facts.scenario_for` sees the customer at `at`: the ledger folded up to that
    moment, every purchase on record."""
    return recipient_facts(
        fold(history.events, until=at), channel=channel, purchases=history.purchases, type=history.type,
        registers=history.registers,
    )


def view_at(history: History, channel: Channel, at: datetime) -> View:
    reach = reach_of(history, channel)
    if reach != REACHABLE:
        return UNREACHABLE[reach]
    return view_of(recipient_at(history, channel, at), channel, at, jurisdiction=history.jurisdiction)


def decide_customer(
    history: History, *, message: Message, at: datetime, organisation: Organisation, jurisdiction: Jurisdiction,
) -> Decision | None:
    """One customer decided on their own records — what the worker does at send time."""
    if reach_of(history, message.channel) != REACHABLE:
        return None
    return decide(Scenario(
        jurisdiction=Jurisdiction(history.jurisdiction) if history.jurisdiction else jurisdiction, at=at,
        message=message, recipient=recipient_at(history, message.channel, at), organisation=organisation,
    ))


def breakpoints(history: History) -> list[datetime]:
    """Every moment from which a signature of this customer may differ from just before it."""
    moments = {event.occurred_at for event in history.events}
    for consent in recipient_facts(fold(history.events), channel=Channel.EMAIL).consents:
        moments.add(consent.given_at + PENDING_SIGNUP_LIFETIME + TICK)
        moments.add(consent.given_at + STALE_AFTER + TICK)
    for purchase in history.purchases:
        moments.update((purchase.at, purchase.at + TICK))
    return sorted(moments)


@dataclass(frozen=True, slots=True)
class Slots:
    """A customer's signature on a channel from `starts[0]` on, changing at each later start,
    known until `until` (FOREVER: it never changes again)."""

    starts: tuple[datetime, ...]
    views: tuple[View, ...]
    until: datetime

    def view(self, at: datetime) -> View | None:
        """The signature at `at`, or None outside what is known (then ask `view_at`)."""
        if at < self.starts[0] or at >= self.until:
            return None
        current = self.views[0]
        for start, view in zip(self.starts, self.views, strict=True):
            if at < start:
                break
            current = view
        return current


def slots(history: History, channel: Channel, since: datetime, *, count: int = 3) -> Slots:
    """The signature at `since` and at its next `count - 1` changes."""
    points = breakpoints(history)
    earlier = [b for b in points if b <= since]
    starts = [earlier[-1] if earlier else BEGINNING]
    views = [view_at(history, channel, since)]
    for moment in points[len(earlier):]:
        view = view_at(history, channel, moment)
        if view == views[-1]:
            continue  # a breakpoint of another channel, or a change that changed nothing here
        if len(views) == count:
            return Slots(tuple(starts), tuple(views), moment)
        starts.append(moment)
        views.append(view)
    return Slots(tuple(starts), tuple(views), FOREVER)


# --- the plan -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Reason:
    """One reason customers are left out: how many, a few of them, and the sentence an owner reads."""

    code: str
    count: int
    examples: tuple[str, ...]  # customer ids
    texts: Mapping[str, str]  # lang -> sentence, from the first example's own decision

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "count": self.count, "examples": list(self.examples), "texts": dict(self.texts)}


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    channel: str
    audience: int  # customers the filter selects
    included: int
    bases: Mapping[str, int]  # legal basis -> recipients
    warnings: Mapping[str, int]  # warning code -> recipients sent to despite it
    excluded: int
    reasons: tuple[Reason, ...]  # a customer left out for several reasons counts under each

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "audience": self.audience, "included": self.included,
            "bases": dict(self.bases), "warnings": dict(self.warnings), "excluded": self.excluded,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class SendPlan:
    at: datetime
    kind: str
    advertised_categories: tuple[str, ...]
    channels: tuple[ChannelPlan, ...]

    @property
    def included(self) -> int:
        return sum(c.included for c in self.channels)

    @property
    def excluded(self) -> int:
        return sum(c.excluded for c in self.channels)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "kind": self.kind, "advertised_categories": list(self.advertised_categories),
            "included": self.included, "excluded": self.excluded,
            "channels": [c.to_dict() for c in self.channels],
        }


class Tally:
    """Counts one channel's customers as `decide` answered for their keys, remembering which keys
    carry each reason so that a few example customers can be looked up afterwards."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.audience = self.included = self.excluded = 0
        self.bases: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.keys: dict[str, Counter[Key]] = {}  # reason code -> key -> customers

    def add(self, key: Key, view: View, decision: Decision | None, count: int) -> None:
        self.audience += count
        if decision is not None and decision.allowed:
            self.included += count
            self.bases[decision.basis.value if decision.basis else ""] += count
            for warning in decision.warnings:
                self.warnings[warning.code] += count
            return
        self.excluded += count
        for code in reasons_of(view, decision):
            self.reasons[code] += count
            self.keys.setdefault(code, Counter())[key] += count

    def plan(self, examples: Mapping[str, Sequence[str]], texts: Mapping[str, Mapping[str, str]]) -> ChannelPlan:
        order = sorted(self.reasons, key=lambda code: (-self.reasons[code], code))
        return ChannelPlan(
            channel=self.channel, audience=self.audience, included=self.included, bases=dict(self.bases),
            warnings=dict(self.warnings), excluded=self.excluded,
            reasons=tuple(
                Reason(code, self.reasons[code], tuple(examples.get(code, ())),
                       texts.get(code) or reach_texts(code, self.channel))
                for code in order
            ),
        )


def reasons_of(view: View, decision: Decision | None) -> tuple[str, ...]:
    return (view.core.reach,) if decision is None else decision.codes


_REACH_WORDING = {
    NO_ADDRESS: {"en": "The customer has no {address} on record.",
                 "de": "Von der Person ist keine {address} gespeichert."},
    ADDRESS_BOUNCED: {"en": "Messages to the customer's {address} bounced; nothing more is sent to it.",
                      "de": "Nachrichten an die {address} der Person kamen als unzustellbar zurück; "
                            "dorthin geht nichts mehr."},
    CUSTOMER_ERASED: {"en": "The customer's data was erased at their request.",
                      "de": "Die Daten der Person wurden auf ihren Wunsch gelöscht."},
}


def reach_texts(code: str, channel: str) -> dict[str, str]:
    """The sentence for a reason that is not the law's: the customer cannot be reached at all."""
    wording = _REACH_WORDING.get(code)
    if wording is None:
        return {}
    return {lang: text.format(address=localise(f"address:{channel}", lang)) for lang, text in wording.items()}
