"""The building blocks every rule pack shares: GDPR-level rules and the tests of a valid consent.

A `Case` is one decision in the making. Rule packs call its methods in the order the statute
reads; each method either grants a basis or records why not. The pack supplies the citations,
so the same rule cites UWG in Germany, TKG in Austria and UWG-CH/DSG in Switzerland.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from konsent.domain.decision import Basis, Decision, Finding, Outcome, Requirement
from konsent.domain.facts import (
    SELF_EVIDENT_SOURCES,
    Consent,
    ConsentMethod,
    Objection,
    ObjectionScope,
    Purchase,
    Reading,
    Scenario,
)
from konsent.domain.kinds import (
    WHOLE_ASSORTMENT,
    Channel,
    MessageKind,
    Nature,
    Purpose,
)
from konsent.domain.wording import WORDINGS

PENDING_SIGNUP_LIFETIME = timedelta(days=7)
# BGH III ZR 196/17: time alone does not end a consent; lower courts disagree after ~2 years.
STALE_AFTER = timedelta(days=730)

_PURPOSES = {p.value: p for p in Purpose}
_PURPOSE_OF_KIND = {kind: _PURPOSES[kind.value] for kind in MessageKind if kind.value in _PURPOSES}

_REQUIREMENTS: dict[tuple[bool, Channel], tuple[Requirement, ...]] = {
    (True, Channel.EMAIL): (
        Requirement.OPT_OUT_NOTICE, Requirement.UNSUBSCRIBE_LINK, Requirement.SENDER_IDENTITY,
    ),
    (True, Channel.SMS): (Requirement.OPT_OUT_NOTICE, Requirement.SENDER_IDENTITY),
    (True, Channel.PHONE): (Requirement.SENDER_IDENTITY,),
    (True, Channel.POST): (Requirement.SENDER_IDENTITY,),
    (False, Channel.EMAIL): (Requirement.SENDER_IDENTITY,),
    (False, Channel.SMS): (Requirement.SENDER_IDENTITY,),
    (False, Channel.PHONE): (),
    (False, Channel.POST): (),
}


class Citations:
    """A pack's citations per reason code, optionally refined per channel (`"no_consent@phone"`)."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self.table = dict(table)
        self._resolved: dict[tuple[str, Channel], tuple[str, ...]] = {}
        for key, citations in table.items():
            code, _, channel = key.partition("@")
            for each in Channel:
                if not channel:
                    self._resolved.setdefault((code, each), citations)
                elif each.value == channel:
                    self._resolved[(code, each)] = citations

    def of(self, code: str, channel: Channel) -> tuple[str, ...]:
        return self._resolved[(code, channel)]

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(key.partition("@")[0] for key in self.table))


@dataclass(frozen=True, slots=True)
class Grant:
    basis: Basis
    reason: Finding
    warnings: tuple[Finding, ...] = ()


# A basis either holds (Grant) or says what it lacks (the findings that deny).
Attempt = Grant | list[Finding]


class Case:
    __slots__ = (
        "_consents", "at", "channel", "citations", "grant", "message", "nature",
        "organisation", "reasons", "recipient", "strict", "warnings",
    )

    def __init__(self, scenario: Scenario, citations: Citations, nature: Nature) -> None:
        self.at = scenario.at
        self.message = scenario.message
        self.channel = scenario.message.channel
        self.recipient = scenario.recipient
        self.organisation = scenario.organisation
        self.strict = scenario.organisation.reading is Reading.STRICT
        self.citations = citations
        self.nature = nature
        self.reasons: list[Finding] = []
        self.warnings: list[Finding] = []
        self.grant: Grant | None = None
        self._consents: tuple[list[Consent], list[Finding]] | None = None

    # --- recording -----------------------------------------------------------------------

    def finding(self, code: str, **params: Any) -> Finding:
        return Finding(code, self.citations.of(code, self.channel), params)

    def deny(self, code: str, **params: Any) -> None:
        self.reasons.append(self.finding(code, **params))

    def settle(self, *attempts: Callable[[], Attempt]) -> None:
        """The first basis that holds allows; if none does, every one says what it lacks."""
        missing: list[Finding] = []
        for attempt in attempts:
            outcome = attempt()
            if isinstance(outcome, Grant):
                self.grant = outcome
                return
            missing.extend(outcome)
        self.reasons.extend(missing)

    def decision(self, rule_pack: str, jurisdiction: Any) -> Decision:
        grant = self.grant
        if self.reasons or grant is None:
            # No rule granted a basis and none said why: a gap in the pack, never an allow.
            assert self.reasons, "a rule pack ended without a decision"
            return Decision(
                Outcome.DENY, None, tuple(self.reasons), (), (), jurisdiction, rule_pack
            )
        advertising = self.nature is Nature.ADVERTISING
        return Decision(
            Outcome.ALLOW,
            grant.basis,
            (grant.reason,),
            _REQUIREMENTS[(advertising, self.channel)],
            grant.warnings,
            jurisdiction,
            rule_pack,
        )

    # --- time-bound views of the facts: what is on record at the moment of sending ------

    def purchases_so_far(self) -> list[Purchase]:
        """Purchases and bookings on record at the moment of sending — enough for a contract."""
        at = self.at
        return [p for p in self.recipient.purchases if p.at <= at]

    def earlier_purchases(self) -> list[Purchase]:
        """Purchases strictly before the send: what the privilege and presumed consent rest on."""
        at = self.at
        return [p for p in self.recipient.purchases if p.at < at]

    def latest_objection(self, *, to_everything: bool = False) -> Objection | None:
        at, channel = self.at, self.channel
        latest: Objection | None = None
        for objection in self.recipient.objections:
            if objection.at > at or not objection.covers(channel):
                continue
            if to_everything and objection.scope is not ObjectionScope.ALL:
                continue
            if latest is None or objection.at > latest.at:
                latest = objection
        return latest

    # --- messages that are not advertising (Art. 6 (1) b and f GDPR) ---------------------

    def transactional(self) -> None:
        if self.recipient.transactional_opt_out:
            self.deny("transactional_opt_out", channel=self.channel)
        if not self.purchases_so_far():
            self.deny("no_contract", kind=self.message.kind)
        if not self.reasons:
            self.grant = Grant(
                Basis.CONTRACT, self.finding("contract_performance", kind=self.message.kind)
            )

    def service(self) -> None:
        if self.recipient.transactional_opt_out:
            self.deny("transactional_opt_out", channel=self.channel)
        objection = self.latest_objection(to_everything=True)
        if objection is not None:
            self.deny("objection_to_all_messages", channel=self.channel, date=objection.at)
        if not self.purchases_so_far():
            self.deny("not_a_customer", kind=self.message.kind)
        if not self.reasons:
            self.grant = Grant(
                Basis.NO_ADVERTISING, self.finding("information_only", kind=self.message.kind)
            )

    def confirmation_request(self) -> None:
        """One plain request to confirm a sign-up the person just made on this channel."""
        at, channel = self.at, self.channel
        objection = self.latest_objection()
        # A sign-up the person has since objected to is no longer waiting for anything.
        since = objection.at if objection is not None else None
        pending = [
            c for c in self.recipient.consents
            if c.channel is channel
            and c.given_at <= at <= c.given_at + PENDING_SIGNUP_LIFETIME
            and (since is None or c.given_at > since)
            and (c.doi_confirmed_at is None or c.doi_confirmed_at > at)
            and (c.withdrawn_at is None or c.withdrawn_at > at)
        ]
        if not pending:
            self.deny("no_pending_signup", channel=channel)
            return
        latest = max(pending, key=_given_at)
        self.grant = Grant(
            Basis.DOI_REQUEST, self.finding("pending_signup", channel=channel, date=latest.given_at)
        )

    # --- blockers of advertising on every channel -----------------------------------------

    def deny_if_objected(self) -> None:
        """An objection takes effect at once (LG Paderborn, 12.03.2024) until a newer consent."""
        objection = self.latest_objection()
        if objection is None:
            return
        valid, _ = self.consents()
        if any(c.given_at > objection.at for c in valid):
            return
        self.deny("objection", channel=self.channel, date=objection.at)

    def deny_if_sender_hidden(self) -> None:
        if not self.message.sender_identified:
            self.deny("sender_hidden")

    def deny_if_no_opt_out_notice(self) -> None:
        if not self.message.includes_opt_out_notice:
            self.deny("missing_opt_out_notice")

    # --- consent (Art. 4 Nr. 11, Art. 7 GDPR) ------------------------------------------------

    def consents(self) -> tuple[list[Consent], list[Finding]]:
        """The valid consents covering this message, and why each other one on the channel fails."""
        if self._consents is None:
            self._consents = self._judge_consents()
        return self._consents

    def _judge_consents(self) -> tuple[list[Consent], list[Finding]]:
        at, channel, message = self.at, self.channel, self.message
        wanted = _PURPOSE_OF_KIND.get(message.kind)
        advertised = message.advertised_categories
        valid: list[Consent] = []
        failures: dict[str, Finding] = {}
        # Consents given after the moment of sending do not exist yet.
        on_channel = [c for c in self.recipient.consents if c.channel is channel and c.given_at <= at]
        if len(on_channel) > 1:
            on_channel.sort(key=_consent_order)  # the order of the record never changes the answer
        for c in on_channel:
            problems = self._problems_of(c, wanted, advertised)
            if not problems:
                valid.append(c)
            for code, params in problems:
                failures.setdefault(code, self.finding(code, **params))
        if not valid and not failures:
            failures["no_consent"] = self.finding("no_consent", channel=channel)
        return valid, sorted(failures.values(), key=_code_order)

    def _problems_of(
        self, c: Consent, wanted: Purpose | None, advertised: frozenset[str]
    ) -> list[tuple[str, dict[str, Any]]]:
        """Every test the consent fails, so that the owner sees all that is missing at once."""
        at, channel = self.at, self.channel
        problems: list[tuple[str, dict[str, Any]]] = []
        confirmed, withdrawn = c.doi_confirmed_at, c.withdrawn_at
        consistent = not (
            (confirmed is not None and confirmed < c.given_at)
            or (withdrawn is not None and withdrawn < c.given_at)
        )
        if not consistent:
            problems.append(("consent_record_inconsistent", {"channel": channel}))
        if withdrawn is not None and withdrawn <= at:
            problems.append(("consent_withdrawn", {"channel": channel, "date": withdrawn}))
        if c.purpose is not Purpose.ADVERTISING and c.purpose is not wanted:
            problems.append((
                "consent_wrong_purpose",
                {"channel": channel, "purpose": c.purpose, "wanted": wanted or Purpose.ADVERTISING},
            ))
        if c.categories and not (advertised and advertised <= c.categories):
            problems.append((
                "consent_wrong_categories", {"covered": c.categories, "advertised": advertised}
            ))
        # Planet49 (CJEU C-673/17) and Payback (BGH VIII ZR 348/06): only an active yes counts.
        if c.method is ConsentMethod.PRE_TICKED:
            problems.append(("consent_pre_ticked", {}))
        elif c.method is ConsentMethod.IMPLIED:
            problems.append(("consent_implied", {}))
        if c.third_party:
            problems.append(("consent_third_party", {}))
        # Art. 7 (1) GDPR: the sender proves the consent — by double opt-in over the consent's own
        # channel, or by the signed form, recording or staff record behind it.
        if consistent and (confirmed is None or confirmed > at):
            if c.source not in SELF_EVIDENT_SOURCES:
                problems.append(("unconfirmed_consent", {"channel": channel}))
            elif not c.evidence:
                problems.append(("consent_without_evidence", {"channel": channel}))
        if self.strict and self._stale(c):
            problems.append(("consent_stale", {"date": c.given_at}))
        return problems

    def _stale(self, consent: Consent) -> bool:
        horizon = self.at - STALE_AFTER
        last_used = consent.last_used_at
        return consent.given_at < horizon and (last_used is None or last_used < horizon)

    def consent(self) -> Attempt:
        valid, failures = self.consents()
        if not valid:
            return failures
        # Rely on the newest consent that is still in use; warn only if every one is old and idle.
        best = max(valid, key=lambda c: (not self._stale(c), c.given_at))
        warnings: tuple[Finding, ...] = ()
        if self._stale(best):
            warnings = (self.finding("stale_consent", date=best.given_at),)
        reason = self.finding(
            "valid_consent", channel=self.channel, purpose=best.purpose, date=best.given_at
        )
        return Grant(Basis.CONSENT, reason, warnings)

    # --- the existing-customer privilege (§7 (3) UWG, §174 (4) TKG, Art. 3 (1) o UWG-CH) ---

    def existing_customer(self, *, sms_contested: bool = False, ecg_list: bool = False) -> Attempt:
        message, channel = self.message, self.channel
        if message.kind is MessageKind.CONSENT_REQUEST:
            return [self.finding("consent_request_needs_consent", channel=channel)]
        warnings: list[Finding] = []
        if sms_contested and channel is Channel.SMS:
            if self.strict:
                return [self.finding("sms_privilege_strict")]
            warnings.append(self.finding("contested_sms_privilege"))
        if message.kind is MessageKind.REVIEW_REQUEST:
            if self.strict:
                return [self.finding("review_request_strict")]
            warnings.append(self.finding("contested_review_request"))

        address = f"address:{channel.value}"
        missing: list[Finding] = []
        sales = [p for p in self.earlier_purchases() if channel in p.contact_collected]
        noticed = [p for p in sales if p.objection_notice_at_collection]
        if not sales:
            missing.append(self.finding("existing_customer_no_sale", address=address))
        elif not noticed:
            missing.append(
                self.finding("existing_customer_no_notice_at_collection", address=address)
            )
        bought = _union(p.categories for p in (noticed or sales))
        advertised = message.advertised_categories
        if not advertised:
            missing.append(self.finding("existing_customer_no_categories"))
        elif WHOLE_ASSORTMENT in advertised:
            missing.append(self.finding("existing_customer_whole_assortment"))
        elif sales:
            similar = self.organisation.similar
            dissimilar = frozenset(a for a in advertised if not similar(a, bought))
            if dissimilar:
                missing.append(
                    self.finding("existing_customer_not_similar", advertised=dissimilar, bought=bought)
                )
        if ecg_list and channel is Channel.EMAIL and self.recipient.registers.ecg:
            missing.append(self.finding("ecg_list"))
        if missing:
            return missing
        reason = self.finding(
            "existing_customer_privilege", bought=bought, advertised=advertised, address=address
        )
        return Grant(Basis.EXISTING_CUSTOMER, reason, tuple(warnings))

    # --- phone and post ------------------------------------------------------------------

    def presumed_consent(self) -> Attempt:
        """A business that bought similar goods shows a concrete interest (BGH I ZR 191/03)."""
        bought = _union(p.categories for p in self.earlier_purchases())
        advertised = self.message.advertised_categories
        similar = self.organisation.similar
        if (
            bought
            and advertised
            and WHOLE_ASSORTMENT not in advertised
            and all(similar(a, bought) for a in advertised)
        ):
            reason = self.finding("presumed_consent", bought=bought, advertised=advertised)
            return Grant(Basis.PRESUMED_CONSENT, reason)
        return [self.finding("no_presumed_consent", advertised=advertised)]

    def business_relationship(self) -> Attempt:
        if self.purchases_so_far():
            return Grant(Basis.BUSINESS_RELATIONSHIP, self.finding("business_relationship"))
        return []

    def listed_number(self) -> Attempt:
        registers = self.recipient.registers
        if registers.star_marked:
            return [self.finding("star_marked")]
        if not registers.directory_listed:
            return [self.finding("not_listed")]
        return Grant(Basis.LEGITIMATE_INTEREST, self.finding("listed_number"))

    def personal_message(self) -> Attempt:
        return Grant(Basis.LEGITIMATE_INTEREST, self.finding("personal_message"))

    def postal_advertising(self) -> None:
        """Letters: allowed on legitimate interest (Recital 47) unless refused; an own consent
        outweighs a do-not-advertise register."""
        consent = self.consent()
        if isinstance(consent, Grant):
            self.grant = consent
        elif self.recipient.registers.robinson:
            self.deny("robinson_list")
        else:
            self.grant = Grant(Basis.LEGITIMATE_INTEREST, self.finding("postal_advertising"))


def _given_at(consent: Consent) -> datetime:
    return consent.given_at


def _consent_order(c: Consent) -> tuple[Any, ...]:
    return (
        c.given_at, str(c.doi_confirmed_at), str(c.withdrawn_at), str(c.last_used_at),
        c.purpose.value, c.method.value, c.source.value, sorted(c.categories), c.evidence,
        c.third_party,
    )


_CODE_ORDER = {code: index for index, code in enumerate(WORDINGS)}


def _code_order(finding: Finding) -> int:
    return _CODE_ORDER[finding.code]


def _union(groups: Iterable[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*groups)
