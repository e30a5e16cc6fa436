"""The numbers behind the authority's answer pack, each counted straight from what konsent stores.

Plain numbers and dates only; services/answer_pack.py puts them in words and tables. Every count is
of this organisation's rows alone.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from konsent.config import Settings
from konsent.domain import Channel, ConsentSource
from konsent.domain.kinds import MessageKind, Nature, nature_of
from konsent.domain.ledger import ALL, ConsentRecord, EventType
from konsent.services import dossier
from konsent.services.reporting import addresses, ledger_facts
from konsent.services.reporting.ledger_facts import LedgerFacts, ObjectionFact
from konsent.services.reporting.periods import zone_of
from konsent.services.suppression import CONTACT_KIND
from konsent.storage import tables as t

CHANNELS = tuple(c.value for c in Channel)
SOURCES = tuple(s.value for s in ConsentSource)
DOI_CHANNELS = ("email", "sms")
_OBJECTION_CODES = frozenset({"objection", "objection_to_all_messages"})


@dataclass(frozen=True, slots=True)
class TextUse:
    id: str
    key: str
    version: int
    locale: str
    title: str
    body: str
    sha256: str
    created: date
    first_used: date | None
    last_used: date | None
    consents: int


@dataclass(frozen=True, slots=True)
class FormUse:
    page: str  # scheme, host and path: the query string may carry someone's address
    consents: int
    first_used: date
    last_used: date


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    id: str
    received: date
    arrived_by: str
    wants_no_more: bool
    status: str
    answered: date | None
    days_to_answer: float | None


@dataclass
class PackFigures:
    by_source: dict[str, Counter[str]] = field(default_factory=dict)  # source -> channel -> consents
    proof: dict[str, Counter[str]] = field(default_factory=dict)  # doi | record | unproven -> channel -> consents
    texts: list[TextUse] = field(default_factory=list)
    forms: list[FormUse] = field(default_factory=list)
    valid_today: dict[str, tuple[int, int]] = field(default_factory=dict)  # channel -> (with address, consented)
    ledger: dict[str, Any] = field(default_factory=dict)  # verification
    events: dict[str, int] = field(default_factory=dict)  # event type -> count
    sent_by_basis: dict[str, Counter[str]] = field(default_factory=dict)  # basis -> channel -> messages
    doi: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # channel -> (requested, confirmed, expired)
    objections: dict[str, Counter[str]] = field(default_factory=dict)  # via -> covered channel -> count
    suppressions: int = 0
    withheld_for_objection: int = 0
    sent_despite_objection: int = 0
    complaints: list[ComplaintRow] = field(default_factory=list)
    erased_customers: int = 0
    erased_events: int = 0
    purchases: dict[str, int] = field(default_factory=dict)
    processors: dict[str, str | None] = field(default_factory=dict)
    similar_categories: list[list[str]] = field(default_factory=list)


def gather(session: Session, organisation: t.Organisation, settings: Settings, now: datetime) -> PackFigures:
    zone = zone_of(organisation.timezone)
    facts = ledger_facts.read(session, organisation.id)
    consents = [c for state in facts.states.values() for c in state.consents]
    figures = PackFigures(similar_categories=[list(group) for group in organisation.similar_categories])
    figures.by_source = {source: Counter(c.channel.value for c in consents if c.source == source) for source in SOURCES}
    figures.proof = {kind: Counter(c.channel.value for c in consents if _proof(c) == kind)
                     for kind in ("doi", "record", "unproven")}
    figures.texts = _texts(session, organisation.id, consents, zone)
    figures.forms = _forms(session, organisation.id, zone)
    figures.valid_today = _valid_today(session, organisation.id, facts, now)
    figures.ledger = dossier.verification(session, organisation.id)
    figures.events = _events(session, organisation.id)
    figures.sent_by_basis = _sent_by_basis(session, organisation.id)
    figures.doi = _doi(session, organisation.id, now)
    figures.objections = _objections(facts.objections)
    figures.suppressions = _count(session, t.Suppression, t.Suppression.organisation_id == organisation.id)
    figures.withheld_for_objection, figures.sent_despite_objection = _after_objections(
        session, organisation.id, facts)
    figures.complaints = _complaints(session, organisation.id, zone)
    figures.erased_customers = _count(session, t.Customer, t.Customer.organisation_id == organisation.id,
                                      t.Customer.erased_at.is_not(None))
    figures.erased_events = _erased_events(session, organisation.id)
    figures.purchases = _purchases(session, organisation.id)
    figures.processors = processors(session, organisation.id, settings)
    return figures


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def _proof(consent: ConsentRecord) -> str:
    if consent.doi_confirmed_at is not None:
        return "doi"
    return "record" if ledger_facts.proven(consent, consent.given_at) else "unproven"


def _texts(session: Session, organisation_id: str, consents: list[ConsentRecord], zone: ZoneInfo) -> list[TextUse]:
    uses: dict[str, list[datetime]] = {}
    for consent in consents:
        if consent.text_version_id:
            uses.setdefault(consent.text_version_id, []).append(consent.given_at)
    rows = session.scalars(select(t.ConsentText).where(t.ConsentText.organisation_id == organisation_id).order_by(
        t.ConsentText.key, t.ConsentText.locale, t.ConsentText.version))
    found = []
    for text in rows:
        moments = uses.get(text.id, [])
        found.append(TextUse(
            id=text.id, key=text.key, version=text.version, locale=text.locale, title=text.title, body=text.body,
            sha256=text.sha256, created=local_day(text.created_at, zone),
            first_used=local_day(min(moments), zone) if moments else None,
            last_used=local_day(max(moments), zone) if moments else None, consents=len(moments),
        ))
    return found


def page_of(url: str) -> str | None:
    """The form's page without query or fragment (a query string may carry the person's address)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}{parts.path or '/'}"


def _forms(session: Session, organisation_id: str, zone: ZoneInfo) -> list[FormUse]:
    pages: dict[str, list[datetime]] = {}
    for at, evidence in session.execute(select(t.LedgerEvent.occurred_at, t.LedgerEvent.evidence).where(
        t.LedgerEvent.organisation_id == organisation_id, t.LedgerEvent.type == EventType.CONSENT_GIVEN.value,
        t.LedgerEvent.evidence.is_not(None),
    )):
        values = (evidence or {}).get("values") if isinstance(evidence, dict) else None
        url = values.get("page_url") if isinstance(values, dict) else None
        page = page_of(url) if isinstance(url, str) else None
        if page is not None:
            pages.setdefault(page, []).append(at)
    return [FormUse(page, len(moments), local_day(min(moments), zone), local_day(max(moments), zone))
            for page, moments in sorted(pages.items())]


def _valid_today(
    session: Session, organisation_id: str, facts: LedgerFacts, now: datetime,
) -> dict[str, tuple[int, int]]:
    first = addresses.first_addresses(session, organisation_id)
    found = {}
    for channel in Channel:
        reachable = first.get(CONTACT_KIND[channel], {})
        consented = sum(1 for customer, state in facts.states.items()
                        if not state.erased and customer in reachable and ledger_facts.consented(state, channel, now))
        found[channel.value] = (len(reachable), consented)
    return found


def _events(session: Session, organisation_id: str) -> dict[str, int]:
    rows = session.execute(select(t.LedgerEvent.type, func.count()).where(
        t.LedgerEvent.organisation_id == organisation_id).group_by(t.LedgerEvent.type))
    counted = {kind: int(number) for kind, number in rows}
    return {kind.value: counted[kind.value] for kind in EventType if counted.get(kind.value)}


def _sent_by_basis(session: Session, organisation_id: str) -> dict[str, Counter[str]]:
    m = t.Message
    basis = m.decision["basis"].as_string()
    found: dict[str, Counter[str]] = {}
    for code, channel, number in session.execute(select(basis, m.channel, func.count()).where(
        m.organisation_id == organisation_id, m.status == "sent").group_by(basis, m.channel)):
        found.setdefault(code or "none", Counter())[channel] += number
    return dict(sorted(found.items()))


def _doi(session: Session, organisation_id: str, now: datetime) -> dict[str, tuple[int, int, int]]:
    d = t.DoiRequest
    found = {}
    for channel in DOI_CHANNELS:
        mine = (d.organisation_id == organisation_id, d.channel == channel)
        found[channel] = (
            _count(session, d, *mine),
            _count(session, d, *mine, d.confirmed_at.is_not(None)),
            _count(session, d, *mine, d.confirmed_at.is_(None), d.expires_at <= now),
        )
    return found


def _objections(objections: list[ObjectionFact]) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for objection in objections:
        found.setdefault(objection.via, Counter())[objection.channel] += 1
    return dict(sorted(found.items()))


def covered(kind: str, scope: str) -> bool:
    """Whether an objection of `scope` stops a message of `kind`: advertising always; with scope
    `all` the service messages too. What a contract needs is never stopped (Art. 21 (3) GDPR)."""
    try:
        nature = nature_of(MessageKind(kind))
    except ValueError:
        return False
    return nature is Nature.ADVERTISING or (scope == ALL and nature is Nature.SERVICE)


def _after_objections(session: Session, organisation_id: str, facts: LedgerFacts) -> tuple[int, int]:
    """Messages the worker withheld because of an objection, and messages sent although an objection
    covered them (no newer consent on the channel): the measure of "takes effect at once"."""
    m = t.Message
    withheld = 0
    for (decision,) in session.execute(select(m.decision).where(
            m.organisation_id == organisation_id, m.status == "withheld")):
        reasons = (decision or {}).get("reasons") or []
        withheld += any(isinstance(r, dict) and r.get("code") in _OBJECTION_CODES for r in reasons)
    objectors: dict[str, list[ObjectionFact]] = {}
    for objection in facts.objections:
        objectors.setdefault(objection.customer, []).append(objection)
    despite = 0
    ids = sorted(objectors)
    for start in range(0, len(ids), 500):
        sent = session.execute(select(m.customer_id, m.kind, m.channel, m.sent_at).where(
            m.organisation_id == organisation_id, m.status == "sent", m.sent_at.is_not(None),
            m.customer_id.in_(ids[start:start + 500]),
        ))
        for customer, kind, channel, sent_at in sent:
            assert sent_at is not None  # selected so
            state = facts.states[customer]
            despite += any(
                o.covers(channel) and o.at <= sent_at and covered(kind, o.scope)
                and not any(c.channel == channel and o.at < c.given_at <= sent_at for c in state.consents)
                for o in objectors[customer]
            )
    return withheld, despite


def _complaints(session: Session, organisation_id: str, zone: ZoneInfo) -> list[ComplaintRow]:
    rows = session.scalars(select(t.Complaint).where(t.Complaint.organisation_id == organisation_id).order_by(
        t.Complaint.received_at, t.Complaint.id))
    return [
        ComplaintRow(
            id=row.id, received=local_day(row.received_at, zone), arrived_by=row.channel,
            wants_no_more=row.wants_no_more, status=row.status,
            answered=local_day(row.answered_at, zone) if row.answered_at else None,
            days_to_answer=round((row.answered_at - row.received_at).total_seconds() / 86_400, 1)
            if row.answered_at else None,
        )
        for row in rows
    ]


def _erased_events(session: Session, organisation_id: str) -> int:
    erased = select(t.Customer.id).where(t.Customer.organisation_id == organisation_id,
                                         t.Customer.erased_at.is_not(None))
    return _count(session, t.LedgerEvent, t.LedgerEvent.organisation_id == organisation_id,
                  t.LedgerEvent.customer_id.in_(erased))


def _purchases(session: Session, organisation_id: str) -> dict[str, int]:
    rows = session.execute(select(t.Purchase.customer_id, t.Purchase.contact_collected,
                                  t.Purchase.objection_notice_at_collection).where(
        t.Purchase.organisation_id == organisation_id)).all()
    collected = [notice for _, contacts, notice in rows if contacts]
    return {
        "purchases": len(rows), "customers": len({customer for customer, _, _ in rows}),
        "collected": len(collected), "noticed": sum(1 for notice in collected if notice),
        "unnoticed": sum(1 for notice in collected if not notice),
    }


def processors(session: Session, organisation_id: str, settings: Settings) -> dict[str, str | None]:
    """Who handles the data on konsent's behalf — host names and providers, never a credential."""
    smtp, sms = settings.smtp, settings.sms
    sms_host = urlsplit(sms.url).hostname if sms.url else ("api.twilio.com" if sms.provider == "twilio" else None)
    hooks = session.scalars(select(t.WebhookEndpoint.url).where(
        t.WebhookEndpoint.organisation_id == organisation_id, t.WebhookEndpoint.disabled_at.is_(None)))
    hosts = sorted({host for host in (urlsplit(url).hostname for url in hooks) if host})
    return {
        "email": f"{smtp.host}:{smtp.port}" if smtp.host else None,
        "sms": None if sms.provider == "file" else f"{sms.provider}: {sms_host or '-'}",
        "database": "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite",
        "webhooks": ", ".join(hosts) or None,
    }


def _count(session: Session, table: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)
