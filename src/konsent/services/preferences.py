"""The preference centre: one person sees what an organisation may send them, and changes it.

The link is signed for one customer of one organisation (purpose PREFERENCES). What the page
shows is the engine's own answer for each channel and kind of advertising, so it cannot promise
what a campaign would then do differently. Withdrawing is one click; a new consent goes through
double opt-in like any other sign-up.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent import tokens
from konsent.domain import Channel, MessageKind, ObjectionScope, Purpose, decide
from konsent.domain.ledger import ALL, ConsentRecord
from konsent.errors import InputError
from konsent.services import audit, consents, customers, doi, facts, signups, suppression
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t

LIFETIME = timedelta(days=90)
VIA = "preference_centre"
ACTOR = "customer (preference centre)"  # the person themselves, in the audit log
DATA_REQUESTED = "rights.access_requested"
# The kinds of advertising a person can tell apart; "advertising" as a purpose covers them all.
KINDS = (Purpose.NEWSLETTER, Purpose.PRODUCT_AD, Purpose.BIRTHDAY_GREETING, Purpose.WINBACK,
         Purpose.REVIEW_REQUEST, Purpose.FEEDBACK_SURVEY)


def preferences_url(public_url: str, organisation: t.Organisation, customer_id: str, now: datetime) -> str:
    token = tokens.issue(organisation.secret, tokens.PREFERENCES, organisation_id=organisation.id,
                         subject=customer_id, expires_at=now + LIFETIME)
    return f"{public_url.rstrip('/')}/p/{token}"


def url_for(app: Konsent, organisation_id: str, customer_id: str) -> str:
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, organisation_id)
        assert organisation is not None
    return preferences_url(app.settings.server.public_url, organisation, customer_id, app.now())


@dataclass(frozen=True, slots=True)
class Cell:
    channel: str
    purpose: str
    allowed: bool
    basis: str | None  # consent, legitimate_interest, …: why the engine allows it


@dataclass(frozen=True, slots=True)
class Agreement:
    """A consent the person gave and has not withdrawn."""

    consent_id: str
    channel: str
    purpose: str
    categories: tuple[str, ...]
    given_at: datetime
    status: str  # confirmed | proven | awaiting | expired


@dataclass(frozen=True)
class Centre:
    organisation: t.Organisation
    customer_id: str
    locale: str
    contacts: dict[str, str]  # kind -> the address, masked
    channels: tuple[str, ...]  # the channels konsent has an address for
    cells: tuple[Cell, ...]
    agreements: tuple[Agreement, ...]
    objections: dict[str, datetime]  # channel (or "all") -> since when advertising is objected to
    text: t.ConsentText | None  # the words a new consent is given to
    data_requested_at: datetime | None


def open_centre(app: Konsent, token: str) -> Centre:
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation, customer = _holder(session, token, now)
        return _centre(session, organisation, customer, now)


def withdraw(app: Konsent, token: str, *, channel: str, purpose: str, evidence: dict[str, str]) -> Centre:
    organisation, customer = _resolve(app, token)
    _offered_channel(app, organisation, customer, channel)
    if purpose not in {p.value for p in Purpose}:
        raise InputError("purpose", "unknown")
    consents.withdraw(app, organisation.id, customer.id, channel=channel, purpose=purpose, via=VIA,
                      evidence=evidence)
    return open_centre(app, token)


def stop_channel(app: Konsent, token: str, *, channel: str, evidence: dict[str, str]) -> Centre:
    """No more advertising on one channel: withdraw and object, as an unsubscribe link does."""
    organisation, customer = _resolve(app, token)
    _offered_channel(app, organisation, customer, channel)
    consents.unsubscribe(app, organisation.id, customer.id, channel=channel, via=VIA, evidence=evidence)
    return open_centre(app, token)


def stop_everything(app: Konsent, token: str, *, evidence: dict[str, str]) -> Centre:
    """Withdraw every consent and object to all advertising on every channel."""
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation, customer = _holder(session, token, now)
        consents.object_in(session, organisation, customer, channel=ALL, scope=ObjectionScope.ADVERTISING.value,
                           via=VIA, now=now, evidence=evidence, also_withdraw=True)
    return open_centre(app, token)


def request_data(app: Konsent, token: str) -> Centre:
    """Art. 15 GDPR: the request goes to the organisation's audit log; the data never goes out by mail
    (a link can be forwarded — an export is handed over once the organisation knows who asks)."""
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation, customer = _holder(session, token, now)
        if _data_requested_at(session, organisation.id, customer.id, since=now - timedelta(days=1)) is None:
            audit.record(session, organisation.id, actor=ACTOR, action=DATA_REQUESTED, at=now, subject=customer.id,
                         via=VIA)
    return open_centre(app, token)


def ask(
    app: Konsent, token: str, *, channel: str, purpose: str, text_id: str, evidence: dict[str, str],
) -> doi.DoiRequested | None:
    """A new consent from the preference centre, confirmed like every other (None: the engine allows
    no confirmation request now)."""
    if channel not in doi.CHANNELS:
        raise InputError("channel", "a new consent is confirmed by email or sms")
    if purpose not in {p.value for p in Purpose}:
        raise InputError("purpose", "unknown")
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation, customer = _holder(session, token, now)
        if customers.address_for(session, organisation.id, customer.id, Channel(channel)) is None:
            raise InputError("channel", "no address for this channel")
        consent_id = consents.give_in(session, organisation, customer, ConsentDeclaration(
            channel=channel, source="online_form", purpose=purpose, text_version_id=text_id or None,
            evidence=evidence), now=now)
    try:
        return doi.request(app, organisation.id, customer.id, channel=channel, consent_id=consent_id,
                           evidence=evidence)
    except doi.DoiRefused:
        return None


def _resolve(app: Konsent, token: str) -> tuple[t.Organisation, t.Customer]:
    with app.db.unit_of_work() as session:
        return _holder(session, token, app.now())


def _holder(session: Session, token: str, now: datetime) -> tuple[t.Organisation, t.Customer]:
    organisation = session.get(t.Organisation, tokens.organisation_of(token))
    if organisation is None:
        raise tokens.TokenInvalid
    customer = session.get(t.Customer, tokens.verify(organisation.secret, tokens.PREFERENCES, token, now=now))
    if customer is None or customer.organisation_id != organisation.id or customer.erased_at is not None:
        raise tokens.TokenInvalid
    return organisation, customer


def _offered_channel(app: Konsent, organisation: t.Organisation, customer: t.Customer, channel: str) -> None:
    with app.db.unit_of_work() as session:
        if channel not in _channels(customers.contacts_of(session, organisation.id, customer.id)):
            raise InputError("channel", "no address for this channel")


def _channels(contacts: dict[str, str]) -> tuple[str, ...]:
    return tuple(c.value for c in Channel if suppression.CONTACT_KIND[c] in contacts)


def _centre(session: Session, organisation: t.Organisation, customer: t.Customer, now: datetime) -> Centre:
    contacts = customers.contacts_of(session, organisation.id, customer.id)
    channels = _channels(contacts)
    cells = []
    for channel in channels:
        scenario = facts.scenario_for(session, organisation, customer,
                                      facts.Asked(kind=KINDS[0].value, channel=channel), now)
        for purpose in KINDS:
            decision = decide(replace(scenario, message=replace(scenario.message, kind=MessageKind(purpose.value))))
            cells.append(Cell(channel, purpose.value, decision.allowed,
                              decision.basis.value if decision.allowed and decision.basis else None))
    state = ledger.load_state(session, organisation.id, customer.id, until=now)
    objections: dict[str, datetime] = {}
    for objection in state.objections:
        if objection.scope in (ObjectionScope.ADVERTISING, ObjectionScope.ALL):
            objections.setdefault(objection.channel.value if objection.channel else ALL, objection.at)
    locale = customer.locale or organisation.locale
    return Centre(
        organisation=organisation, customer_id=customer.id, locale=locale,
        contacts={kind: mask(kind, value) for kind, value in contacts.items()}, channels=channels,
        cells=tuple(cells), agreements=tuple(_agreement(c) for c in state.consents if c.withdrawn_at is None),
        objections=objections, text=signups.current_text(session, organisation.id, signups.DEFAULT_TEXT_KEY, locale),
        data_requested_at=_data_requested_at(session, organisation.id, customer.id),
    )


def _agreement(record: ConsentRecord) -> Agreement:
    if record.doi_confirmed_at is not None:
        status = "confirmed"
    elif record.evidence:
        status = "proven"
    elif record.doi_expired_at is not None:
        status = "expired"
    else:
        status = "awaiting"
    return Agreement(record.consent_id, record.channel.value, record.purpose.value, tuple(sorted(record.categories)),
                     record.given_at, status)


def _data_requested_at(
    session: Session, organisation_id: str, customer_id: str, since: datetime | None = None,
) -> datetime | None:
    query = select(t.AuditEntry.at).where(
        t.AuditEntry.organisation_id == organisation_id, t.AuditEntry.subject == customer_id,
        t.AuditEntry.action == DATA_REQUESTED,
    )
    if since is not None:
        query = query.where(t.AuditEntry.at > since)
    return session.scalar(query.order_by(t.AuditEntry.at.desc()).limit(1))


def mask(kind: str, value: str) -> str:
    """Enough of an address to recognise it, too little to learn it from a forwarded link."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    if kind == "phone":
        return f"{value[:3]} ••• {value[-2:]}"
    return "•••"
