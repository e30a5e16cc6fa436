"""The proof dossier: what a customer agreed to, how it was shown and confirmed, and that the
record is whole — for an owner to hand to an authority (Art. 7 (1) GDPR: the controller proves).

Each event carries its hashed body and both hashes, so a reader can recompute the chain without
trusting konsent; the evidence beside it carries its salt, so its digest in the body can be checked.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Channel, decide
from konsent.domain.chain import evidence_digest
from konsent.domain.explain import explain
from konsent.domain.ledger import state_to_dict
from konsent.errors import InputError
from konsent.services import customers, facts, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t

DOI_KIND = "doi_confirmation"


def build(app: Konsent, organisation_key: str, customer_key: str) -> dict[str, Any]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        return build_in(session, organisation, customer, now=app.now())


def build_in(session: Session, organisation: t.Organisation, customer: t.Customer, *, now: datetime) -> dict[str, Any]:
    events = ledger_entries(session, organisation.id, customer.id)
    sent = messages_of(session, organisation.id, customer.id)
    try:
        state = state_to_dict(ledger.load_state(session, organisation.id, customer.id))
        decisions = newsletter_decisions(session, organisation, customer, now)
    except (KeyError, ValueError, TypeError):
        # A tampered event cannot be folded; the verification in the dossier says which one.
        state, decisions = None, []
    return {
        "document": "konsent.dossier", "version": 1, "generated_at": iso(now),
        "organisation": organisation_record(organisation),
        "customer": customer_record(session, organisation, customer),
        "events": events,
        "state": state,
        "consent_texts": texts_shown(session, organisation.id, events),
        "doi_messages": [m for m in sent if m["kind"] == DOI_KIND],
        "messages": [m for m in sent if m["kind"] != DOI_KIND],
        "verification": verification(session, organisation.id),
        "newsletter_decisions": decisions,
    }


def render_html(dossier: dict[str, Any], lang: str) -> str:
    from konsent.reports import html  # noqa: PLC0415 - Jinja2 loads only when a page is asked for

    return html.dossier(dossier, checked_lang(lang))


def render_pdf(dossier: dict[str, Any], lang: str) -> bytes:
    from konsent.reports import pdf  # noqa: PLC0415 - fpdf2 loads only when a PDF is asked for

    return pdf.dossier(dossier, checked_lang(lang))


def checked_lang(lang: str) -> str:
    if lang not in {"de", "en"}:
        raise InputError("lang", "must be de or en")
    return lang


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def organisation_record(organisation: t.Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id, "slug": organisation.slug, "name": organisation.name,
        "jurisdiction": organisation.jurisdiction, "sender_name": organisation.sender_name,
        "sender_address": organisation.sender_address,
    }


def customer_record(session: Session, organisation: t.Organisation, customer: t.Customer) -> dict[str, Any]:
    return {
        "id": customer.id, "external_id": customer.external_id, "type": customer.type,
        "jurisdiction": customer.jurisdiction or organisation.jurisdiction,
        "locale": customer.locale or organisation.locale, "first_name": customer.first_name,
        "last_name": customer.last_name, "birthday": iso(customer.birthday),
        "registers": dict(customer.registers), "tags": list(customer.tags),
        "contacts": customers.contacts_of(session, organisation.id, customer.id),
        "created_at": iso(customer.created_at), "erased_at": iso(customer.erased_at),
    }


def ledger_entries(session: Session, organisation_id: str, customer_id: str) -> list[dict[str, Any]]:
    """Every event of the customer as hashed, with its evidence (if not erased) beside it."""
    rows = session.scalars(select(t.LedgerEvent).where(
        t.LedgerEvent.organisation_id == organisation_id, t.LedgerEvent.customer_id == customer_id,
    ).order_by(t.LedgerEvent.seq))
    entries = []
    for row in rows:
        body = _readable(row)
        evidence = row.evidence or None
        entries.append({
            "seq": body["seq"], "id": body["id"], "type": body["type"],
            "occurred_at": body["occurred_at"], "recorded_at": body["recorded_at"],
            "actor": body.get("actor"), "data": body["data"],
            "evidence": dict(evidence["values"]) if evidence else None,
            "evidence_salt": evidence["salt"] if evidence else None,
            "evidence_digest": body.get("evidence_digest"),
            "evidence_status": _evidence_status(body.get("evidence_digest"), evidence),
            "body": bytes(row.body).decode(errors="replace"), "previous": bytes(row.previous).hex(),
            "hash": bytes(row.hash).hex(),
        })
    return entries


_BODY_KEYS = ("seq", "id", "type", "occurred_at", "recorded_at", "data")


def _readable(row: t.LedgerEvent) -> dict[str, Any]:
    """The hashed body — or, where someone broke it, the stored columns, so the dossier still
    shows the event and the verification beside it says what happened."""
    try:
        body = json.loads(row.body)
    except ValueError:
        body = None
    if isinstance(body, dict) and all(key in body for key in _BODY_KEYS) and isinstance(body["data"], dict):
        return body
    return {"seq": row.seq, "id": row.id, "type": row.type, "occurred_at": iso(row.occurred_at),
            "recorded_at": iso(row.recorded_at), "data": {}, "evidence_digest": None}


def _evidence_status(digest: str | None, evidence: dict[str, Any] | None) -> str:
    if digest is None:
        return "none"
    if evidence is None:
        return "erased"
    return "intact" if evidence_digest(evidence["salt"], evidence["values"]) == digest else "altered"


def texts_shown(session: Session, organisation_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each consent text an event points at, and whether it still reads as it did when shown."""
    cited: dict[str, set[str]] = {}
    for event in events:
        text_id = event["data"].get("text_version_id")
        if event["type"] == "consent.given" and text_id:
            cited.setdefault(text_id, set()).add(event["data"].get("text_sha256") or "")
    texts = session.scalars(select(t.ConsentText).where(
        t.ConsentText.organisation_id == organisation_id, t.ConsentText.id.in_(cited),
    ).order_by(t.ConsentText.key, t.ConsentText.version))
    return [
        {
            "id": text.id, "key": text.key, "version": text.version, "locale": text.locale,
            "title": text.title, "body": text.body, "sha256": text.sha256,
            "intact": hashlib.sha256(text.body.encode()).hexdigest() == text.sha256
            and cited[text.id] <= {text.sha256, ""},
        }
        for text in texts
    ]


def messages_of(session: Session, organisation_id: str, customer_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(t.Message).where(
        t.Message.organisation_id == organisation_id, t.Message.customer_id == customer_id,
    ).order_by(t.Message.created_at, t.Message.id))
    return [
        {
            "id": m.id, "kind": m.kind, "channel": m.channel, "to_address": m.to_address, "subject": m.subject,
            "body_text": m.body_text, "body_html": m.body_html, "status": m.status, "decision": m.decision,
            "created_at": iso(m.created_at), "sent_at": iso(m.sent_at), "transport_id": m.transport_id,
            "error": m.error,
        }
        for m in rows
    ]


def verification(session: Session, organisation_id: str) -> dict[str, Any]:
    result = ledger.verify(session, organisation_id)
    head = session.get(t.LedgerHead, organisation_id)
    return {
        "ok": result.ok, "events": result.events,
        "head": {"seq": head.seq, "hash": bytes(head.hash).hex()} if head else None,
        "breaks": [{"seq": b.seq, "event_id": b.event_id, "problem": b.problem, "detail": b.detail}
                   for b in result.breaks],
    }


def newsletter_decisions(
    session: Session, organisation: t.Organisation, customer: t.Customer, now: datetime
) -> list[dict[str, Any]]:
    """The state in words: would a newsletter reach this person today, on each channel, and why."""
    contacts = customers.contacts_of(session, organisation.id, customer.id)
    decisions = []
    for channel in Channel:
        scenario = facts.scenario_for(session, organisation, customer, facts.Asked("newsletter", channel.value), now)
        decision = decide(scenario)
        decisions.append({
            "channel": channel.value, "address_on_file": suppression.CONTACT_KIND[channel] in contacts,
            "decision": decision.to_dict("en"),
            "explanation": {lang: explain(decision, scenario, lang) for lang in ("de", "en")},
        })
    return decisions
