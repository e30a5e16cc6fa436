"""The data subject's rights: access (Art. 15 GDPR) and erasure (Art. 17 GDPR).

Erasure deletes what names the person and keeps what proves: the ledger's events stay (their
bodies never held personal data, so every hash still verifies), the evidence beside them goes,
and the suppression entries stay — an objection must outlive the person's data, or the next
import would bring them back.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, null, select, update
from sqlalchemy.orm import Session

from konsent.domain.ledger import ALL, EventType, state_to_dict
from konsent.errors import InputError
from konsent.services import audit, customers, dossier, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t


def export(app: Konsent, organisation_key: str, customer_key: str) -> dict[str, Any]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        return export_in(session, organisation, customer, now=app.now())


def export_in(session: Session, organisation: t.Organisation, customer: t.Customer, *, now: datetime) -> dict[str, Any]:
    """Everything konsent holds about the person, as JSON-ready data."""
    events = dossier.ledger_entries(session, organisation.id, customer.id)
    shown = ("seq", "id", "type", "occurred_at", "recorded_at", "actor", "data", "evidence", "evidence_status")
    return {
        "document": "konsent.export", "version": 1, "generated_at": dossier.iso(now),
        "organisation": dossier.organisation_record(organisation),
        "customer": dossier.customer_record(session, organisation, customer),
        "contact_points": [
            {"kind": p.kind, "value": p.value, "created_at": dossier.iso(p.created_at)}
            for p in _owned(session, t.ContactPoint, organisation.id, customer.id, t.ContactPoint.kind)
        ],
        "purchases": [
            {"id": p.id, "external_id": p.external_id, "occurred_at": dossier.iso(p.occurred_at),
             "categories": p.categories, "contact_collected": p.contact_collected,
             "objection_notice_at_collection": p.objection_notice_at_collection}
            for p in _owned(session, t.Purchase, organisation.id, customer.id, t.Purchase.occurred_at)
        ],
        "events": [{key: event[key] for key in shown} for event in events],
        "state": _state(session, organisation.id, customer.id),
        "consent_texts": dossier.texts_shown(session, organisation.id, events),
        "messages": dossier.messages_of(session, organisation.id, customer.id),
        "doi_requests": [
            {"id": r.id, "channel": r.channel, "requested_at": dossier.iso(r.requested_at),
             "expires_at": dossier.iso(r.expires_at), "confirmed_at": dossier.iso(r.confirmed_at)}
            for r in _owned(session, t.DoiRequest, organisation.id, customer.id, t.DoiRequest.requested_at)
        ],
        "suppression": _suppression(session, organisation, customer),
        "audit": [
            {"at": dossier.iso(a.at), "actor": a.actor, "action": a.action, "details": a.details}
            for a in session.scalars(select(t.AuditEntry).where(
                t.AuditEntry.organisation_id == organisation.id, t.AuditEntry.subject == customer.id,
            ).order_by(t.AuditEntry.at, t.AuditEntry.id))
        ],
    }


def _state(session: Session, organisation_id: str, customer_id: str) -> dict[str, Any] | None:
    try:
        return state_to_dict(ledger.load_state(session, organisation_id, customer_id))
    except (KeyError, ValueError, TypeError):
        return None  # a tampered event cannot be folded; `konsent ledger verify` names it


def render_export_html(export: dict[str, Any], lang: str) -> str:
    from konsent.reports import html  # noqa: PLC0415 - Jinja2 loads only when a page is asked for

    return html.export(export, dossier.checked_lang(lang))


def _owned(session: Session, table: Any, organisation_id: str, customer_id: str, order: Any) -> list[Any]:
    return list(session.scalars(select(table).where(
        table.organisation_id == organisation_id, table.customer_id == customer_id,
    ).order_by(order, table.id)))


def _suppression(session: Session, organisation: t.Organisation, customer: t.Customer) -> list[dict[str, Any]]:
    contacts = customers.contacts_of(session, organisation.id, customer.id)
    return [
        {"address": kind, "channel": entry.channel, "scope": entry.scope, "since": dossier.iso(entry.created_at)}
        for kind, value in sorted(contacts.items())
        for entry in suppression.entries_for(session, organisation, kind, value)
    ]


@dataclass(frozen=True)
class Erasure:
    customer: str
    erased_at: datetime
    already_erased: bool
    contact_points: int  # deleted
    purchases: int  # deleted
    events: int  # now pseudonymous: evidence removed, body and hash untouched
    messages: int  # recipient, subject and bodies blanked; kind, status and decision kept

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "erased_at": self.erased_at.isoformat()}


def erase(app: Konsent, organisation_key: str, customer_key: str, *, actor: str) -> Erasure:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        sent = list(session.scalars(select(t.Message.id).where(
            t.Message.organisation_id == organisation.id, t.Message.customer_id == customer.id)))
        result = erase_in(session, organisation, customer, now=app.now(), actor=actor)
    _forget_outbox_copies(app.settings.data_dir / "outbox", sent)
    return result


def _forget_outbox_copies(outbox: Path, message_ids: list[str]) -> None:
    # Without an SMTP server every message is also a file `<id>.eml` or `<id>.txt` in the outbox;
    # those copies are personal data too. Removed only after the erasure has committed.
    for message_id in message_ids:
        for suffix in (".eml", ".txt"):
            (outbox / f"{Path(message_id).name}{suffix}").unlink(missing_ok=True)


def erase_in(
    session: Session, organisation: t.Organisation, customer: t.Customer, *, now: datetime, actor: str
) -> Erasure:
    """Art. 17 in one transaction. Erasing again scrubs again and records nothing new."""
    if not actor.strip():
        raise InputError("actor", "must name who erases")
    org, who = organisation.id, customer.id
    first_time = customer.erased_at is None
    events = session.scalar(select(func.count()).select_from(t.LedgerEvent).where(
        t.LedgerEvent.organisation_id == org, t.LedgerEvent.customer_id == who))
    contact_points = _count_deleted(session, t.ContactPoint, org, who)
    purchases = _count_deleted(session, t.Purchase, org, who)
    customer.first_name = customer.last_name = customer.birthday = customer.external_id = None
    customer.registers, customer.tags, customer.last_visit_at = {}, [], None
    customer.erased_at = customer.erased_at or now
    session.execute(update(t.LedgerEvent).where(
        t.LedgerEvent.organisation_id == org, t.LedgerEvent.customer_id == who,
    ).values(evidence=null()))
    blanked = session.execute(update(t.Message).where(
        t.Message.organisation_id == org, t.Message.customer_id == who,
    ).values(to_address=None, subject=None, body_text=None, body_html=None, error=None))
    if first_time:
        _record_erasure(session, organisation, customer, now=now, actor=actor)
    return Erasure(
        customer=who, erased_at=customer.erased_at, already_erased=not first_time,
        contact_points=contact_points, purchases=purchases, events=events or 0,
        messages=blanked.rowcount,  # type: ignore[attr-defined]  # UPDATE results carry rowcount
    )


def _count_deleted(session: Session, table: Any, organisation_id: str, customer_id: str) -> int:
    result = session.execute(delete(table).where(
        table.organisation_id == organisation_id, table.customer_id == customer_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _record_erasure(
    session: Session, organisation: t.Organisation, customer: t.Customer, *, now: datetime, actor: str
) -> None:
    # A consent cannot outlive the address it was given for; saying so in the ledger keeps the
    # dossier of an erased customer from reading "allowed".
    state = _state(session, organisation.id, customer.id)
    drafts = []
    if state is None or any(consent["withdrawn_at"] is None for consent in state["consents"]):
        drafts.append(ledger.Draft(EventType.CONSENT_WITHDRAWN, customer.id, now,
                                   {"channel": ALL, "purpose": ALL, "via": "erasure"}, actor=actor))
    drafts.append(ledger.Draft(EventType.ERASURE, customer.id, now, {"via": "request"}, actor=actor))
    ledger.append(session, organisation.id, drafts, now=now)
    audit.record(session, organisation.id, actor=actor, action="customer.erased", at=now, subject=customer.id)
