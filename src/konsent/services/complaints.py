"""Complaints (seed 000): a person says they got advertising they never agreed to.

The desk records the complaint, sees every message the person was sent with the decision behind it,
stops further advertising at once when the person asks for that (the complaint is the clearest
objection there is), and answers with the facts and the proof dossier — instead of an apology that
files the matter away until the authority asks.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Channel, ObjectionScope
from konsent.domain.ledger import ALL, EventType
from konsent.domain.wording import localise
from konsent.errors import Conflict, InputError, NotFound
from konsent.services import audit, consents, customers, dossier, organisations
from konsent.services.context import Konsent
from konsent.services.customer_record import SentMessage, sent_message
from konsent.storage import ledger
from konsent.storage import tables as t

ARRIVED_BY = ("email", "phone", "letter", "authority")
STATUSES = ("open", "answered")
MAX_SUMMARY = 5_000
MAX_ANSWER = 20_000


@dataclass(frozen=True)
class ComplaintView:
    id: str
    customer_id: str | None
    received_at: datetime
    channel: str  # how it arrived
    summary: str
    wants_no_more: bool
    status: str
    answer: str | None
    answered_at: datetime | None
    recorded_by: str


@dataclass(frozen=True)
class ComplaintCase:
    """A complaint with what the answer needs: the person, and every message they were sent."""

    complaint: ComplaintView
    customer_name: str | None
    customer_locale: str
    messages: list[SentMessage]
    objection_channel: str | None  # what the complaint's objection covers (all, or one channel); None: none


def record(
    app: Konsent, organisation_key: str, *, customer_key: str | None, arrived_by: str, summary: str,
    wants_no_more: bool, about_channel: str = ALL, actor: str, received_at: datetime | None = None,
) -> ComplaintView:
    """The complaint, and — in the same transaction — its ledger event and, when the person wants no
    more messages, their objection (which also lands on the suppression list)."""
    if arrived_by not in ARRIVED_BY:
        raise InputError("channel", f"must be one of {', '.join(ARRIVED_BY)}")
    if about_channel != ALL and about_channel not in {c.value for c in Channel}:
        raise InputError("about_channel", "must be all, email, sms, phone or post")
    summary = summary.strip()
    if not summary or len(summary) > MAX_SUMMARY:
        raise InputError("summary", f"say in 1–{MAX_SUMMARY} characters what the person complains about")
    now = app.now()
    received_at = received_at or now
    if received_at > now:
        raise InputError("received_at", "lies in the future")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = _customer(session, organisation, customer_key) if customer_key else None
        if customer is not None and customer.erased_at is not None:
            raise InputError("customer", "was erased; nothing is held about the person any more")
        row = t.Complaint(
            id=str(uuid.uuid4()), organisation_id=organisation.id, customer_id=customer.id if customer else None,
            received_at=received_at, channel=arrived_by, summary=summary, wants_no_more=wants_no_more,
            status="open", recorded_by=actor, created_at=now,
        )
        session.add(row)
        if customer is not None:
            ledger.append(session, organisation.id, [ledger.Draft(
                EventType.COMPLAINT, customer.id, now, {"channel": about_channel, "asked_to_stop": wants_no_more},
                actor=actor,
            )], now=now)
            if wants_no_more:
                consents.object_in(session, organisation, customer, channel=about_channel,
                                   scope=ObjectionScope.ADVERTISING.value, via="complaint", now=now, actor=actor)
        audit.record(session, organisation.id, actor=actor, action="complaint.recorded", at=now,
                     subject=customer.id if customer else None, complaint=row.id, channel=about_channel,
                     asked_to_stop=wants_no_more)
        return _view(row)


def listed(app: Konsent, organisation_key: str, *, status: str | None = None,
           customer_id: str | None = None) -> list[ComplaintView]:
    if status is not None and status not in STATUSES:
        raise InputError("status", "must be open or answered")
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        query = select(t.Complaint).where(t.Complaint.organisation_id == organisation.id)
        if status is not None:
            query = query.where(t.Complaint.status == status)
        if customer_id is not None:
            query = query.where(t.Complaint.customer_id == customer_id)
        return [_view(row) for row in session.scalars(query.order_by(t.Complaint.received_at.desc(),
                                                                      t.Complaint.id))]


def case(app: Konsent, organisation_key: str, complaint_id: str, *, lang: str) -> ComplaintCase:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _get(session, organisation.id, complaint_id)
        name, locale, messages, objected = None, organisation.locale, [], None
        if row.customer_id is not None:
            customer = session.get(t.Customer, row.customer_id)
            if customer is not None and customer.organisation_id == organisation.id:
                name = " ".join(filter(None, [customer.first_name, customer.last_name])) or None
                locale = customer.locale or organisation.locale
                messages = [sent_message(m, lang) for m in dossier.messages_of(session, organisation.id, customer.id)]
                objected = _objection_of(session, row) if row.wants_no_more else None
        return ComplaintCase(_view(row), name, locale, messages, objected)


def _objection_of(session: Session, row: t.Complaint) -> str | None:
    # Recorded with the complaint, or on its page afterwards: the first objection since it came in.
    state = ledger.load_state(session, row.organisation_id, row.customer_id or "")
    for objection in state.objections:
        if objection.at >= row.created_at:
            return objection.channel.value if objection.channel else ALL
    return None


def object_now(app: Konsent, organisation_key: str, complaint_id: str, *, actor: str) -> ComplaintView:
    """The person said only later that they want no more messages: record the objection now."""
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _get(session, organisation.id, complaint_id, lock=True)
        if row.customer_id is None:
            raise InputError("customer", "the complaint is not linked to a customer; record the objection there")
        customer = customers.get(session, organisation, row.customer_id)
        consents.object_in(session, organisation, customer, channel=ALL, scope=ObjectionScope.ADVERTISING.value,
                           via="complaint", now=now, actor=actor)
        row.wants_no_more = True
        return _view(row)


def _customer(session: Session, organisation: t.Organisation, key: str) -> t.Customer:
    try:
        return customers.get(session, organisation, key.strip())
    except NotFound:
        raise InputError("customer", "no customer has this id, external id, email address or phone number") from None


def draft_answer(app: Konsent, organisation_key: str, complaint_id: str, *, lang: str) -> str:
    """The answer's first draft in the person's language: what was sent and on which basis, what has
    been done, and that the proof is attached. Staff edit it before it goes out."""
    if lang not in ("de", "en"):
        raise InputError("lang", "must be de or en")
    found = case(app, organisation_key, complaint_id, lang=lang)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        sender = organisation.sender_name or organisation.name
    return _answer_text(found, sender, lang)


def answer(app: Konsent, organisation_key: str, complaint_id: str, *, text: str, actor: str) -> ComplaintView:
    text = text.strip()
    if not text or len(text) > MAX_ANSWER:
        raise InputError("answer", f"must be 1–{MAX_ANSWER} characters")
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _get(session, organisation.id, complaint_id, lock=True)
        if row.status == "answered":
            raise Conflict("complaint: was answered already")
        row.answer, row.answered_at, row.status = text, now, "answered"
        audit.record(session, organisation.id, actor=actor, action="complaint.answered", at=now,
                     subject=row.customer_id, complaint=row.id)
        return _view(row)


def dossier_pdf(app: Konsent, organisation_key: str, complaint_id: str, *, lang: str) -> bytes:
    """The proof dossier of the person who complained, to attach to the answer."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _get(session, organisation.id, complaint_id)
        if row.customer_id is None:
            raise NotFound("customer of complaint", complaint_id)
        customer = customers.get(session, organisation, row.customer_id)
        document = dossier.build_in(session, organisation, customer, now=app.now())
    return dossier.render_pdf(document, lang)


def _get(session: Session, organisation_id: str, complaint_id: str, *, lock: bool = False) -> t.Complaint:
    query = select(t.Complaint).where(t.Complaint.organisation_id == organisation_id, t.Complaint.id == complaint_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound("complaint", complaint_id)
    return row


_ANSWER: dict[str, dict[str, str]] = {
    "de": {
        "greeting": "Guten Tag {name},", "greeting_anonymous": "Guten Tag,",
        "thanks": "vielen Dank für Ihre Nachricht vom {date}. Wir nehmen Ihre Beschwerde ernst und haben "
                  "geprüft, welche Nachrichten wir Ihnen geschickt haben und auf welcher Grundlage.",
        "none_sent": "Wir haben Ihnen bisher keine Nachrichten geschickt.",
        "sent": "Wir haben Ihnen folgende Nachrichten geschickt:",
        "line": "- {date}: {kind} per {channel} — Grundlage: {basis}",
        "stopped": "Wie gewünscht haben wir Ihren Widerspruch sofort vermerkt: Sie erhalten von uns keine "
                   "Werbung mehr{channel}. Der Widerspruch bleibt auch dann wirksam, wenn Ihre Daten gelöscht "
                   "werden.",
        "rights": "Sie können jederzeit Auskunft über Ihre Daten verlangen (Art. 15 DSGVO) oder deren "
                  "Löschung (Art. 17 DSGVO).",
        "attached": "Im Anhang finden Sie den vollständigen Nachweis: jede Einwilligung mit Wortlaut und "
                    "Beleg sowie jede Nachricht mit der Entscheidung, die sie erlaubt hat.",
        "closing": "Mit freundlichen Grüßen\n{sender}",
        "by": " per {channel}", "no_basis": "keine",
    },
    "en": {
        "greeting": "Dear {name},", "greeting_anonymous": "Hello,",
        "thanks": "thank you for your message of {date}. We take your complaint seriously and have checked "
                  "which messages we sent you and on which basis.",
        "none_sent": "We have not sent you any messages.",
        "sent": "We sent you these messages:",
        "line": "- {date}: {kind} by {channel} — basis: {basis}",
        "stopped": "As you asked, we recorded your objection at once: you will receive no more advertising "
                   "from us{channel}. The objection stays in force even if your data is erased.",
        "rights": "You may ask at any time for access to your data (Art. 15 GDPR) or for its erasure "
                  "(Art. 17 GDPR).",
        "attached": "Attached is the complete proof: every consent with its wording and evidence, and every "
                    "message with the decision that allowed it.",
        "closing": "Kind regards\n{sender}",
        "by": " by {channel}", "no_basis": "none",
    },
}


def _answer_text(found: ComplaintCase, sender: str, lang: str) -> str:
    words = _ANSWER[lang]
    complaint = found.complaint
    day = complaint.received_at.strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d")
    parts = [words["greeting"].format(name=found.customer_name) if found.customer_name
             else words["greeting_anonymous"], words["thanks"].format(date=day)]
    shown = [m for m in found.messages if m.status == "sent"]
    if shown:
        lines = [words["sent"]] + [
            words["line"].format(date=(m.sent_at or m.created_at or "")[:10], kind=localise(m.kind, lang),
                                 channel=localise(m.channel, lang),
                                 basis=localise(m.basis, lang) if m.basis else words["no_basis"])
            for m in shown
        ]
        parts.append("\n".join(lines))
    else:
        parts.append(words["none_sent"])
    if found.objection_channel is not None:
        about = found.objection_channel
        parts.append(words["stopped"].format(channel="" if about == ALL
                                             else words["by"].format(channel=localise(about, lang))))
    parts += [words["rights"]]
    if complaint.customer_id is not None:
        parts.append(words["attached"])
    parts.append(words["closing"].format(sender=sender))
    return "\n\n".join(parts)


def _view(row: t.Complaint) -> ComplaintView:
    return ComplaintView(
        id=row.id, customer_id=row.customer_id, received_at=row.received_at, channel=row.channel,
        summary=row.summary, wants_no_more=row.wants_no_more, status=row.status, answer=row.answer,
        answered_at=row.answered_at, recorded_by=row.recorded_by,
    )
