"""What the law needs to know about a recipient, a message and the sender — as frozen facts.

Every timestamp is timezone-aware. Nothing here reads the clock: the moment of sending is
always passed in (`Scenario.at`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from konsent.domain.kinds import Channel, MessageKind, Purpose


class Jurisdiction(StrEnum):
    DE = "DE"
    AT = "AT"
    CH = "CH"


class RecipientType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"


class ConsentMethod(StrEnum):
    ACTIVE = "active"  # the person ticked the box or said yes
    PRE_TICKED = "pre_ticked"
    IMPLIED = "implied"  # hidden in terms, opt-out style


class ConsentSource(StrEnum):
    ONLINE_FORM = "online_form"
    BOOKING = "booking"
    MANUAL_STAFF = "manual_staff"
    PAPER_FORM = "paper_form"
    RECORDED_CALL = "recorded_call"
    IMPORT = "import"
    API = "api"


# Sources whose own record (signature, recording, staff log) proves the declaration; every
# other source needs a double opt-in over the consent's own channel (BGH I ZR 164/09).
SELF_EVIDENT_SOURCES = frozenset(
    {ConsentSource.MANUAL_STAFF, ConsentSource.PAPER_FORM, ConsentSource.RECORDED_CALL}
)


class ObjectionScope(StrEnum):
    ADVERTISING = "advertising"  # direct marketing (Art. 21 (2) GDPR)
    ALL = "all"  # every message on the channel, except what an open contract needs


class Reading(StrEnum):
    """How contested questions of law are answered (shared/legal/rules.md)."""

    PREVAILING = "prevailing"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class Consent:
    channel: Channel
    given_at: datetime
    purpose: Purpose = Purpose.ADVERTISING
    categories: frozenset[str] = frozenset()  # empty: all of the organisation's goods
    method: ConsentMethod = ConsentMethod.ACTIVE
    source: ConsentSource = ConsentSource.ONLINE_FORM
    doi_confirmed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    evidence: bool = True
    third_party: bool = False
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Objection:
    at: datetime
    channel: Channel | None = None  # None: every channel
    scope: ObjectionScope = ObjectionScope.ADVERTISING

    def covers(self, channel: Channel) -> bool:
        return self.channel is None or self.channel is channel


@dataclass(frozen=True, slots=True)
class Purchase:
    """A sale or booking — not an aborted checkout or a mere sign-up (LG München I 4 HK O 8135/17)."""

    at: datetime
    categories: frozenset[str] = frozenset()
    contact_collected: frozenset[Channel] = frozenset()
    objection_notice_at_collection: bool = False


@dataclass(frozen=True, slots=True)
class Registers:
    robinson: bool = False
    ecg: bool = False  # Austrian ECG list: refuses commercial email
    star_marked: bool = False  # Swiss directory star: no advertising calls
    directory_listed: bool = True


@dataclass(frozen=True, slots=True)
class Recipient:
    type: RecipientType = RecipientType.CONSUMER
    consents: tuple[Consent, ...] = ()
    objections: tuple[Objection, ...] = ()
    purchases: tuple[Purchase, ...] = ()
    transactional_opt_out: bool = False
    registers: Registers = field(default_factory=Registers)


@dataclass(frozen=True, slots=True)
class Message:
    channel: Channel
    kind: MessageKind
    advertised_categories: frozenset[str] = frozenset()
    contains_advertising: bool | None = None
    includes_opt_out_notice: bool = True
    sender_identified: bool = True
    automated: bool = True


@dataclass(frozen=True, slots=True)
class Organisation:
    """The sender's settings that the law refers to."""

    # Groups of categories the organisation treats as similar goods; not transitive across groups.
    similar_categories: tuple[frozenset[str], ...] = ()
    reading: Reading = Reading.PREVAILING

    def similar(self, advertised: str, bought: frozenset[str]) -> bool:
        if advertised in bought:
            return True
        return any(advertised in group and not group.isdisjoint(bought) for group in self.similar_categories)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One question: may `organisation` send `message` to `recipient` at `at` under `jurisdiction`?"""

    jurisdiction: Jurisdiction
    at: datetime
    message: Message
    recipient: Recipient = field(default_factory=Recipient)
    organisation: Organisation = field(default_factory=Organisation)
