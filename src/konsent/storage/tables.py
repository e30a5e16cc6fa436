"""The tables. Every row belongs to an organisation (tenant); every query filters by it."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — SQLite forgets the zone, PostgreSQL does not."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: konsent stores only timezone-aware moments")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as class configuration
        datetime: UTCDateTime, dict[str, Any]: Document, list[Any]: Document}


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True)


def _tenant(*, index: bool = True) -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("organisations.id"), index=index)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = _id()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    secret: Mapped[str] = mapped_column(String(64))  # keys suppression hashes and signed links
    reading: Mapped[str] = mapped_column(String(16), default="prevailing")
    similar_categories: Mapped[list[Any]] = mapped_column(default=list)
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_address: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(String(2000))  # shown on the public pages
    imprint: Mapped[str | None] = mapped_column(Text)  # the Impressum: who runs the pages a customer sees
    privacy_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id"),
        # The staff search: newest-first pages walk this; names match through trigrams (PostgreSQL's
        # pg_trgm; on SQLite these are plain indexes and a search scans, which is fine at its size).
        Index("ix_customers_listing", "organisation_id", "created_at", "id"),
        Index("ix_customers_first_name_trgm", "first_name", postgresql_using="gin",
              postgresql_ops={"first_name": "gin_trgm_ops"}),
        Index("ix_customers_last_name_trgm", "last_name", postgresql_using="gin",
              postgresql_ops={"last_name": "gin_trgm_ops"}),
        Index("ix_customers_last_visit", "organisation_id", "last_visit_at"),
    )

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    external_id: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16), default="consumer")
    jurisdiction: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(5))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[date | None] = mapped_column(Date)
    registers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # The latest purchase or booking, kept beside the purchases so that a campaign segment by last
    # visit reads one column instead of every purchase (services/customers.visited keeps it).
    last_visit_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]


class ContactPoint(Base):
    __tablename__ = "contact_points"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kind", "value"),
        Index("ix_contact_points_value_trgm", "value", postgresql_using="gin",
              postgresql_ops={"value": "gin_trgm_ops"}),
    )

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    customer_id: Mapped[str] = mapped_column(String(36), ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | phone | postal
    value: Mapped[str] = mapped_column(String(500))  # normalised: lower-case email, E.164 phone
    created_at: Mapped[datetime]
    bounced_at: Mapped[datetime | None]  # a hard bounce: nothing more is sent to this address
    # When the address was added to a customer already on record (a new email replacing the old one):
    # a sale before then collected an earlier address, not this one (§7 (3) UWG). None: the customer
    # has had it since the record began.
    changed_at: Mapped[datetime | None]


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    customer_id: Mapped[str] = mapped_column(String(36), ForeignKey("customers.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    categories: Mapped[list[Any]] = mapped_column(default=list)
    contact_collected: Mapped[list[Any]] = mapped_column(default=list)
    objection_notice_at_collection: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ConsentText(Base):
    """The exact wording a person saw; immutable once a consent points at it."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("organisation_id", "key", "version", "locale"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    first_used_at: Mapped[datetime | None]


class LedgerEvent(Base):
    """Append-only. `body` is what was hashed; the other columns are copies for querying."""

    __tablename__ = "ledger_events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "seq"),
        Index("ix_ledger_events_customer", "organisation_id", "customer_id", "seq"),
    )

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = mapped_column(String(36), ForeignKey("organisations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(36))  # a pseudonym once the customer is erased
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    previous: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
    evidence: Mapped[dict[str, Any] | None]  # personal; erased on request, its digest stays hashed


class LedgerHead(Base):
    """The last link of each organisation's chain; appending locks this row."""

    __tablename__ = "ledger_heads"

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class CustomerState(Base):
    """The projection: fold(ledger events of one customer), kept for fast reads."""

    __tablename__ = "customer_states"

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[dict[str, Any]]
    last_seq: Mapped[int] = mapped_column(Integer)


class Suppression(Base):
    """A keyed hash of an address that objected: outlives erasure, blocks resurrection."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("organisation_id", "address_hash", "channel"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    address_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | phone | post | all
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class DoiRequest(Base):
    __tablename__ = "doi_requests"

    id: Mapped[str] = _id()  # the only thing a confirmation link carries, signed
    organisation_id: Mapped[str] = _tenant()
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    consent_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(16))
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # SMS short code, keyed hash
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message_id: Mapped[str | None] = mapped_column(String(36))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]  # when `doi.expired` was recorded


class Message(Base):
    """A message as sent — part of the proof (what went to whom, on which basis)."""

    __tablename__ = "messages"
    # A logged message is about 2.5 kB, seldom compressible: kept whole, not tried (migration 0011).
    __table_args__ = ({"postgresql_with": {"toast_tuple_target": 8160}},)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(16))
    to_address: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(500))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    decision: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    transport_id: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    outbox_id: Mapped[str | None] = mapped_column(String(36), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(36), index=True)
    template_id: Mapped[str | None] = mapped_column(String(36))  # the exact template version used
    states: Mapped[dict[str, Any] | None] = mapped_column(default=dict)  # state -> when it was entered


class MessageTemplate(Base):
    """A message's wording per channel and locale; editing makes a new version, old ones stay."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("organisation_id", "key", "channel", "locale", "version"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    advertised_categories: Mapped[list[Any]] = mapped_column(default=list)
    template_key: Mapped[str] = mapped_column(String(100))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the segment filter
    scheduled_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))  # draft|scheduled|sending|paused|cancelled|completed
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Automation(Base):
    __tablename__ = "automations"
    __table_args__ = (UniqueConstraint("organisation_id", "trigger", "channel"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    trigger: Mapped[str] = mapped_column(String(40))  # booking_confirmation, appointment_reminder, ...
    channel: Mapped[str] = mapped_column(String(16))
    template_key: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. {"hours_before": 24}
    created_at: Mapped[datetime]


class HostEvent(Base):
    """An event the host system posted (booking created, order shipped); its key makes it count once."""

    __tablename__ = "host_events"
    __table_args__ = (UniqueConstraint("organisation_id", "idempotency_key"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    idempotency_key: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]


class OutboxItem(Base):
    """One message to one recipient, written with its decision in the scheduling transaction;
    workers claim, re-decide, send and record it. `dedupe_key` makes it happen at most once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("organisation_id", "dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # A row is leased exactly while it is in flight: a worker writes its outcome by the lease alone
        # (worker/claim.finish), so this must hold whoever else changes a row (migration 0012).
        CheckConstraint("(lease_owner IS NULL) = (status <> 'in_flight')", name="leased_in_flight"),
    )

    id: Mapped[str] = _id()
    # No index of its own: (organisation_id, dedupe_key) serves it, and every claim and every outcome
    # writes a new row version into each index (migration 0011).
    organisation_id: Mapped[str] = _tenant(index=False)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[str | None] = mapped_column(String(36), index=True)
    automation_id: Mapped[str | None] = mapped_column(String(36))
    template_key: Mapped[str] = mapped_column(String(100))
    advertised_categories: Mapped[list[Any]] = mapped_column(default=list)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. the booking's time for a reminder
    status: Mapped[str] = mapped_column(String(20))  # queued|in_flight|sent|failed|awaiting_retry|withheld
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    decision: Mapped[dict[str, Any]]  # the decision when it was scheduled
    message_id: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """What a person changed: kept apart from technical logs, never deleted."""

    __tablename__ = "audit_log"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))  # namespaced: consent.recorded_by_staff
    subject: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FactPart(Base):
    """A part of a fact signature (domain/audience.py): the customer, their consents on a channel, or
    the goods they bought giving its address. Numbered from 1 per organisation and kind, so that a
    preview can hand the database an array saying what each number means to one campaign."""

    __tablename__ = "fact_parts"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "digest"),)

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # core | consents | bought
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[int] = mapped_column(BigInteger)
    facts: Mapped[Any] = mapped_column(Document)
    created_at: Mapped[datetime]


class CustomerSignature(Base):
    """The audience projection: a customer's fact signature on a channel, as the numbers of its three
    parts, from `since` on and after its next two changes, known until `until`. Previews group a
    million customers by it in one index-only scan."""

    __tablename__ = "customer_signatures"
    __table_args__ = (
        # Without the moments, equal signatures share one index entry (PostgreSQL deduplicates): the
        # preview counts everyone from this small index and corrects for the few changed by then.
        Index("ix_customer_signatures_parts", "organisation_id", "channel", "core", "consents", "bought"),
        Index("ix_customer_signatures_next", "organisation_id", "channel", "next_at"),
        Index("ix_customer_signatures_since", "organisation_id", "channel", "since"),
    )

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    since: Mapped[datetime]
    core: Mapped[int] = mapped_column(Integer)
    consents: Mapped[int] = mapped_column(Integer)
    bought: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime]
    next_core: Mapped[int | None] = mapped_column(Integer)
    next_consents: Mapped[int | None] = mapped_column(Integer)
    next_bought: Mapped[int | None] = mapped_column(Integer)
    later_at: Mapped[datetime]
    later_core: Mapped[int | None] = mapped_column(Integer)
    later_consents: Mapped[int | None] = mapped_column(Integer)
    later_bought: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[datetime]


class SignatureCount(Base):
    """How many customers' rows in `customer_signatures` hold each stored signature (slot 0): kept with
    the rows, so that a preview reads a few thousand counts instead of a million rows."""

    __tablename__ = "signature_counts"

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    core: Mapped[int] = mapped_column(Integer, primary_key=True)
    consents: Mapped[int] = mapped_column(Integer, primary_key=True)
    bought: Mapped[int] = mapped_column(Integer, primary_key=True)
    customers: Mapped[int] = mapped_column(Integer)


class AudienceBacklog(Base):
    """Customers whose ledger moved since their projection rows were written. An append only marks
    them here (one statement, so that recording a consent stays a quick transaction); a preview or a
    scheduling projects them first (`audience.catch_up`), and the worker drains what is left."""

    __tablename__ = "audience_backlog"

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class AudienceBuild(Base):
    """An organisation whose audience projection covers every customer (built, then kept current)."""

    __tablename__ = "audience_builds"

    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id"), primary_key=True
    )
    built_at: Mapped[datetime]


# --- the service: callers, webhooks, idempotency, shared counters --------------------------------

class ApiKey(Base):
    """A vendor's key for one organisation. Only its SHA-256 is kept; `prefix` finds it and shows it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(default=list)  # "read", "write"
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class StaffAccount(Base):
    """A person who signs in to the staff UI: owner, staff, or data protection officer (read-only)."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # owner | staff | dpo
    locale: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    # Signing out ends every session of the account, wherever it was opened: a session cookie copied
    # before is worth nothing after (services/staff.fingerprint).
    signed_out_at: Mapped[datetime | None]


class WebhookEndpoint(Base):
    """Where the host system wants to hear about consent changes and message outcomes."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 key of the bodies sent
    events: Mapped[list[Any]] = mapped_column(default=list)  # empty: every event
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one endpoint, written in the transaction that caused it; workers deliver it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    endpoint_id: Mapped[str] = mapped_column(String(36), ForeignKey("webhook_endpoints.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))  # consent.changed | message.sent | message.failed | …
    payload: Mapped[dict[str, Any]]  # ids and codes only, never an address or a name
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class IdempotentRequest(Base):
    """A write the API answered, by the caller's Idempotency-Key: a retry gets the same answer."""

    __tablename__ = "idempotent_requests"

    organisation_id: Mapped[str] = mapped_column(String(36), ForeignKey("organisations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body: a reused key with another body
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class RateCounter(Base):
    """Hits per key and fixed window, shared by every process on every machine (public pages,
    DOI requests, transports). Keys are hashed: an IP address is personal data."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # window start, seconds since the epoch
    hits: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(Base):
    """A person's complaint (seed 000) and how it was answered."""

    __tablename__ = "complaints"

    id: Mapped[str] = _id()
    organisation_id: Mapped[str] = _tenant()
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))  # how it arrived: email | phone | letter | authority
    summary: Mapped[str] = mapped_column(Text)
    wants_no_more: Mapped[bool] = mapped_column(Boolean, default=False)  # recorded as an objection too
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | answered
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
