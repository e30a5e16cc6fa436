"""The shapes the REST API speaks, shared by its routers (and the OpenAPI schema built from them).

Requests forbid unknown fields, so a misspelt field is a named refusal instead of a silent default.
Timestamps must carry their zone: a naive one is refused with its field, never guessed.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from konsent.domain import Channel, ConsentMethod, ConsentSource, Jurisdiction, MessageKind, Purpose, Reading
from konsent.web.api.values import AwareMoment, Line, storable

# --- building blocks ------------------------------------------------------------------------------

Text = Annotated[str, AfterValidator(storable)]  # what PostgreSQL can store: no NUL, valid Unicode
Category = Annotated[Text, Field(min_length=1, max_length=200)]
Tag = Annotated[Text, Field(min_length=1, max_length=100)]
Locale = Literal["de", "en"]
Lang = Literal["de", "en"]
# Spelt out rather than `Channel | Literal["all"]`: a union would name its branch in a refusal's field.
ChannelOrAll = Literal["email", "sms", "phone", "post", "all"]
PurposeOrAll = Literal["advertising", "newsletter", "product_ad", "review_request", "feedback_survey",
                       "birthday_greeting", "winback", "all"]
SimilarCategories = Annotated[list[Annotated[list[Category], Field(min_length=1)]], Field(max_length=200)]


class In(BaseModel):
    """A request body: unknown fields are errors that name them."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors ---------------------------------------------------------------------------------------

class Problem(Out):
    field: str
    message: str


class ErrorDetail(Out):
    code: str
    message: str
    field: str | None = None
    problems: list[Problem] | None = None


class ErrorBody(Out):
    error: ErrorDetail


_ERROR_WORDS = {
    401: "No API key, or one that is not valid", 403: "The key lacks the scope this needs",
    404: "Not found in the caller's organisation", 409: "Conflicts with what is stored",
    413: "Request body too large", 422: "Invalid input; `field` names it", 429: "Too many; try again later",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses it may answer, each with the one error body."""
    return {status: {"model": ErrorBody, "description": _ERROR_WORDS[status]} for status in statuses}


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(401, 403, 404, 409, 413, 422, 429)


# --- organisation and API keys ----------------------------------------------------------------------

class OrganisationOut(Out):
    id: str
    slug: str
    name: str
    jurisdiction: Jurisdiction
    locale: Locale
    timezone: str
    reading: Reading
    sender_name: str | None
    sender_address: str | None
    logo_url: str | None
    imprint: str | None
    privacy_url: str | None
    similar_categories: list[list[str]]
    created_at: datetime


class _OptionalSettings(In):
    sender_name: Line | None = None
    sender_address: Annotated[Text, Field(max_length=500)] | None = None
    logo_url: Annotated[Text, Field(max_length=2000)] | None = Field(default=None, description="https only.")
    imprint: Annotated[Text, Field(max_length=5000)] | None = None
    privacy_url: Annotated[Text, Field(max_length=2000)] | None = None
    similar_categories: SimilarCategories | None = None


class OrganisationSettings(_OptionalSettings):
    """What an organisation may change about itself; `null` clears an optional setting."""

    name: Line | None = None
    jurisdiction: Jurisdiction | None = None
    locale: Locale | None = None
    timezone: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    reading: Reading | None = None


class NewOrganisation(_OptionalSettings):
    slug: Annotated[Text, Field(min_length=2, max_length=63)]
    name: Line
    jurisdiction: Jurisdiction
    locale: Locale = "de"
    timezone: Annotated[Text, Field(min_length=1, max_length=64)] = "Europe/Berlin"
    reading: Reading = Reading.PREVAILING
    api_key_name: Line = "default"


class ApiKeyOut(Out):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKey(In):
    name: Line
    scopes: Annotated[list[Literal["read", "write"]], Field(min_length=1)]


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown only now, never again.")


class OrganisationCreated(Out):
    organisation: OrganisationOut
    api_key: ApiKeyCreated


# --- customers and purchases ------------------------------------------------------------------------

class Registers(In):
    robinson: bool | None = None
    ecg: bool | None = None
    star_marked: bool | None = None
    directory_listed: bool | None = None


class CustomerFields(In):
    email: Annotated[Text, Field(max_length=320)] | None = None
    phone: Annotated[Text, Field(max_length=40)] | None = Field(default=None, description="E.164, e.g. +4915112345678")
    postal_address: Annotated[Text, Field(max_length=500)] | None = None
    external_id: Annotated[Text, Field(max_length=200)] | None = None
    type: Literal["consumer", "business"] | None = None
    jurisdiction: Jurisdiction | None = None
    locale: Locale | None = None
    first_name: Annotated[Text, Field(max_length=200)] | None = None
    last_name: Annotated[Text, Field(max_length=200)] | None = None
    birthday: date | None = None
    registers: Registers | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None


class NewCustomer(CustomerFields):
    type: Literal["consumer", "business"] = "consumer"


class CustomerChanges(CustomerFields):
    """Only the fields given change; `null` removes a contact point or clears a value."""


class CustomerOut(Out):
    id: str
    external_id: str | None
    type: str
    jurisdiction: Jurisdiction = Field(description="The customer's own, else the organisation's.")
    locale: Locale
    first_name: str | None
    last_name: str | None
    birthday: date | None
    email: str | None
    phone: str | None
    postal_address: str | None
    registers: dict[str, bool]
    tags: list[str]
    suppressed: list[str] = Field(description="Channels on which an earlier objection (suppression list) applies.")
    erased: bool
    erased_at: datetime | None
    created_at: datetime


class NewPurchase(In):
    external_id: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    occurred_at: AwareMoment
    categories: Annotated[list[Category], Field(max_length=100)] = []
    contact_collected: list[Channel] = Field(default=[], description="Channels whose address was given with it.")
    objection_notice_at_collection: bool = False


class PurchaseOut(Out):
    id: str
    customer_id: str
    external_id: str | None
    occurred_at: datetime
    categories: list[str]
    contact_collected: list[str]
    objection_notice_at_collection: bool
    created_at: datetime


# --- consents, objections, permissions, ledger -----------------------------------------------------

class Evidence(In):
    """How the declaration was made; personal data, kept beside the ledger and only its digest hashed."""

    ip: Annotated[Text, Field(max_length=2000)] | None = None
    user_agent: Annotated[Text, Field(max_length=2000)] | None = None
    page_url: Annotated[Text, Field(max_length=2000)] | None = None
    staff_actor: Annotated[Text, Field(max_length=2000)] | None = None
    document_hash: Annotated[Text, Field(max_length=2000)] | None = None
    recording_ref: Annotated[Text, Field(max_length=2000)] | None = None
    note: Annotated[Text, Field(max_length=2000)] | None = None


class NewConsent(In):
    channel: Channel
    source: ConsentSource
    purpose: Purpose = Purpose.ADVERTISING
    method: ConsentMethod = ConsentMethod.ACTIVE
    categories: Annotated[list[Category], Field(max_length=100)] = []
    text_version_id: Annotated[Text, Field(max_length=64)] | None = None
    third_party: bool = False
    occurred_at: AwareMoment | None = None
    evidence: Evidence = Evidence()
    double_opt_in: bool | None = Field(
        default=None, description="Send the confirmation request now. Default: yes for email and SMS sign-ups "
                                  "that no signed form, recording or staff record proves.")


class DoiRequestOut(Out):
    request_id: str
    consent_id: str
    message_id: str
    channel: str
    expires_at: datetime
    status: Literal["sent", "failed"]
    error: str | None = None
    permanent: bool | None = None


class DoiNotSent(Out):
    """Why no confirmation request went out with a recorded consent (the consent stands)."""

    status: Literal["not_sent"] = "not_sent"
    code: str
    message: str


class ConsentRecorded(Out):
    consent_id: str
    customer_id: str
    double_opt_in: DoiRequestOut | DoiNotSent | None


class NewWithdrawal(In):
    channel: ChannelOrAll = "all"
    purpose: PurposeOrAll = "all"


class NewObjection(In):
    channel: ChannelOrAll = "all"
    scope: Literal["advertising", "all"] = "advertising"


class Recorded(Out):
    customer_id: str
    type: str
    channel: str
    purpose: str | None = None
    scope: str | None = None
    recorded_at: datetime


class Reason(Out):
    code: str
    text: str
    texts: dict[str, str]
    citations: list[str]


class Permission(Out):
    channel: Channel
    purpose: Purpose
    kind: MessageKind = Field(description="The message kind the engine was asked about for this purpose.")
    status: Literal["allowed", "not_allowed", "waiting_for_confirmation", "objected"]
    basis: str | None
    reasons: list[Reason]
    reachable: bool = Field(description="The customer has an address for the channel.")
    since: datetime = Field(description="Since when this status holds: the last change that bears on it, else "
                                        "when the customer was added.")


class Permissions(Out):
    customer_id: str
    at: datetime
    rule_pack: str
    permissions: list[Permission]


class LedgerEventOut(Out):
    seq: int
    id: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    has_evidence: bool
    hash: str


# --- double opt-in -----------------------------------------------------------------------------------

class NewDoiRequest(In):
    channel: Literal["email", "sms"]
    consent_id: Annotated[Text, Field(max_length=64)] | None = Field(
        default=None, description="Default: the newest unconfirmed sign-up on the channel.")


class ConfirmationCode(In):
    request_id: Annotated[Text, Field(max_length=64)] = Field(
        description="The confirmation request whose code the person typed in.")
    code: Annotated[Text, Field(min_length=1, max_length=20)]


class DoiConfirmedOut(Out):
    request_id: str
    consent_id: str
    confirmed_at: datetime
    status: Literal["confirmed", "already_confirmed"]


# --- consent texts -----------------------------------------------------------------------------------

class NewConsentText(In):
    key: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")] = Field(
        description="Names the text across its versions, e.g. newsletter-signup.")
    locale: Locale
    title: Annotated[Text, Field(min_length=1, max_length=300)]
    body: Annotated[Text, Field(min_length=1, max_length=100_000)]


class ConsentTextOut(Out):
    id: str
    key: str
    version: int
    locale: str
    title: str
    body: str
    sha256: str
    created_at: datetime
    first_used_at: datetime | None = Field(description="Set once a consent points at it: from then on it is frozen.")


# --- decisions ---------------------------------------------------------------------------------------

class Question(In):
    """Either a stored customer and a message, or a whole scenario (shared/spec/decision-scenario.md)."""

    customer_id: Annotated[Text, Field(max_length=64, description="The customer's konsent id.")] | None = None
    channel: Channel | None = None
    kind: MessageKind | None = None
    advertised_categories: Annotated[list[Category], Field(max_length=100, default_factory=list)]
    at: AwareMoment | None = None
    contains_advertising: bool | None = None
    includes_opt_out_notice: bool = True
    sender_identified: bool = True
    hand_written: bool = Field(default=False, description="Written or called by a person one by one.")
    scenario: dict[str, Any] | None = None


class DecisionOut(Out):
    allowed: bool
    decision: Literal["allow", "deny"]
    basis: str | None
    reasons: list[Reason]
    citations: list[str]
    requirements: list[str]
    warnings: list[Reason]
    jurisdiction: Jurisdiction
    rule_pack: str
