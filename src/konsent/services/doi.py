"""Double opt-in: one plain message asks a person who just signed up to confirm, over that channel.

The request is recorded — ledger event, request row, and the message exactly as it will go out —
and committed before anything is sent, so the proof exists even when delivery fails; the
outcome of the delivery is written afterwards. The link carries only a signed request id.
"""

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from konsent import tokens
from konsent.config import Settings
from konsent.domain import Channel, Decision, decide
from konsent.domain.ledger import ConsentRecord, CustomerState, EventType
from konsent.errors import Conflict, InputError, KonsentError, RateLimited
from konsent.messages import render, words
from konsent.services import customers, facts, organisations, suppression
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.transports import OutgoingMessage, TransportError, one_line, send_now
from konsent.transports.configured import transport_for
from konsent.transports.mime import mailbox

CHANNELS = (Channel.EMAIL.value, Channel.SMS.value)
EVIDENCE_FIELDS = ("ip", "user_agent", "page_url")
CODE_ATTEMPTS = 5  # wrong codes per request before only the link still works
_CODE = re.compile(r"^\d{6}$")


class DoiRefused(KonsentError):
    """The engine does not allow a confirmation request now; `decision` says why."""

    def __init__(self, decision: Decision) -> None:
        super().__init__("doi: " + " ".join(reason.text("en") for reason in decision.reasons))
        self.decision = decision


class SignupWithdrawn(tokens.TokenError):
    texts: ClassVar[dict[str, str]] = {
        "en": "This sign-up was withdrawn or objected to in the meantime, so there is nothing to confirm.",
        "de": "Diese Anmeldung wurde inzwischen widerrufen oder ihr wurde widersprochen; "
              "es gibt nichts mehr zu bestätigen.",
    }


@dataclass(frozen=True, slots=True)
class DoiRequested:
    request_id: str
    consent_id: str
    message_id: str
    channel: str
    expires_at: datetime
    status: str  # sent | failed
    error: str | None = None
    permanent: bool | None = None  # for a failure: would trying again help?


@dataclass(frozen=True, slots=True)
class DoiConfirmed:
    request_id: str
    consent_id: str
    confirmed_at: datetime
    status: str  # confirmed | already_confirmed


def request(
    app: Konsent, organisation_key: str, customer_key: str, *, channel: str, consent_id: str | None = None,
    evidence: dict[str, str] | None = None,
) -> DoiRequested:
    """Ask the customer to confirm their newest open sign-up on `channel` (or `consent_id`)."""
    if channel not in CHANNELS:
        raise InputError("channel", "a confirmation request goes by email or sms")
    signup_evidence = _checked(evidence)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        _one_writer_at_a_time(session, organisation.id)
        customer = customers.get(session, organisation, customer_key)
        if customer.erased_at is not None:
            raise InputError("customer", "was erased")
        address = customers.address_for(session, organisation.id, customer.id, Channel(channel))
        if address is None:
            raise InputError("channel", f"the customer has no {suppression.CONTACT_KIND[Channel(channel)]} address")
        signup = _signup(ledger.load_state(session, organisation.id, customer.id), channel, consent_id)
        decision = _decide(session, organisation, customer, channel, signup, now)
        if signup is None or not decision.allowed:
            raise DoiRefused(decision)
        _not_sent_before(session, organisation.id, signup.consent_id)
        address_hash = suppression.address_hash(
            organisation.secret, suppression.CONTACT_KIND[Channel(channel)], address)
        _within_daily_limit(session, organisation.id, address_hash, now, app.settings.doi.max_per_address_per_day)

        request_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
        expires_at = (now + timedelta(days=app.settings.doi.lifetime_days)).replace(microsecond=0)
        token = tokens.issue(organisation.secret, tokens.DOI, organisation_id=organisation.id,
                             subject=request_id, expires_at=expires_at)
        code = f"{secrets.randbelow(1_000_000):06d}" if channel == Channel.SMS else None
        outgoing = _compose(session, app.settings, organisation, customer, signup, address, message_id, now,
                            link=f"{app.settings.server.public_url.rstrip('/')}/c/{token}", code=code,
                            expires_at=expires_at)
        session.add(t.DoiRequest(
            id=request_id, organisation_id=organisation.id, customer_id=customer.id,
            consent_id=signup.consent_id, channel=channel, address_hash=address_hash,
            code_hash=_code_digest(organisation.secret, request_id, code) if code else None,
            message_id=message_id, requested_at=now, expires_at=expires_at,
        ))
        session.add(t.Message(
            id=message_id, organisation_id=organisation.id, customer_id=customer.id,
            kind="doi_confirmation", channel=channel, to_address=address, subject=outgoing.subject,
            body_text=outgoing.text, body_html=outgoing.html, status="queued", decision=decision.to_dict(),
            created_at=now,
        ))
        ledger.append(session, organisation.id, [ledger.Draft(
            EventType.DOI_REQUESTED, customer.id, now,
            {"consent_id": signup.consent_id, "request_id": request_id, "channel": channel,
             "expires_at": expires_at.isoformat(), "message_id": message_id},
            evidence=signup_evidence or None,
        )], now=now)
    # Committed: from here on the request stands, whatever the transport does.
    return _deliver(app, outgoing, request_id, signup.consent_id, expires_at)


def _deliver(
    app: Konsent, outgoing: OutgoingMessage, request_id: str, consent_id: str, expires_at: datetime,
) -> DoiRequested:
    try:
        transport_id: str | None = send_now(transport_for(app.settings, outgoing.channel), outgoing)
        status, error, permanent = "sent", None, None
    except TransportError as exc:
        transport_id, status, error, permanent = None, "failed", str(exc), exc.permanent
    with app.db.unit_of_work() as session:
        session.execute(update(t.Message).where(t.Message.id == outgoing.id).values(
            status=status, sent_at=app.now() if status == "sent" else None, transport_id=transport_id,
            error=error,
        ))
    return DoiRequested(request_id, consent_id, outgoing.id, outgoing.channel, expires_at, status, error,
                        permanent)


def confirm(app: Konsent, token: str, *, evidence: dict[str, str] | None = None) -> DoiConfirmed:
    """The person opened the link (and pressed the button: GET alone never confirms)."""
    confirmation_evidence = _checked(evidence)
    organisation_id = tokens.organisation_of(token)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, organisation_id)
        if organisation is None:
            raise tokens.TokenInvalid
        request_id = tokens.verify(organisation.secret, tokens.DOI, token, now=now)
        found = session.scalar(select(t.DoiRequest).where(
            t.DoiRequest.organisation_id == organisation.id, t.DoiRequest.id == request_id,
        ).with_for_update())
        if found is None:
            raise tokens.TokenInvalid
        return _confirm_in(session, found, now, confirmation_evidence)


def confirm_code(
    app: Konsent, organisation_key: str, customer_key: str, code: str, *,
    evidence: dict[str, str] | None = None,
) -> DoiConfirmed:
    """The six digits from the SMS. A few wrong guesses lock the code; the link keeps working."""
    code = code.strip()
    if not _CODE.match(code):
        raise InputError("code", "must be the 6 digits from the text message")
    confirmation_evidence = _checked(evidence)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        customer = customers.get(session, organisation, customer_key)
        waiting = list(session.scalars(select(t.DoiRequest).where(
            t.DoiRequest.organisation_id == organisation.id, t.DoiRequest.customer_id == customer.id,
            t.DoiRequest.channel == Channel.SMS.value, t.DoiRequest.code_hash.is_not(None),
            (t.DoiRequest.expires_at > now) | t.DoiRequest.confirmed_at.is_not(None),
        ).order_by(t.DoiRequest.requested_at.desc()).with_for_update()))
        for found in waiting:
            usable = found.confirmed_at is not None or found.code_attempts < CODE_ATTEMPTS
            expected = found.code_hash or ""
            if usable and hmac.compare_digest(expected, _code_digest(organisation.secret, found.id, code)):
                return _confirm_in(session, found, now, confirmation_evidence)
        open_ = [f for f in waiting if f.confirmed_at is None and f.code_attempts < CODE_ATTEMPTS]
        for found in open_:
            # Every open request counts the guess: several requests must not multiply the tries.
            found.code_attempts += 1
        refusal: KonsentError = (
            InputError("code", "does not match; check the digits or use the link in the message")
            if open_ else
            RateLimited("code: no confirmation code is waiting (expired, or too many wrong tries); "
                        "use the link in the message or request a new one")
        )
    raise refusal  # after the commit: the counted attempt must stay counted


def _confirm_in(session: Session, found: t.DoiRequest, now: datetime, evidence: dict[str, str]) -> DoiConfirmed:
    if found.confirmed_at is not None:
        return DoiConfirmed(found.id, found.consent_id, found.confirmed_at, "already_confirmed")
    if now >= found.expires_at:
        raise tokens.TokenExpired
    customer = session.get(t.Customer, found.customer_id)
    if customer is None or customer.erased_at is not None:
        raise tokens.TokenInvalid
    state = ledger.load_state(session, found.organisation_id, found.customer_id)
    signup = next((c for c in state.consents if c.consent_id == found.consent_id), None)
    if signup is None:
        raise tokens.TokenInvalid
    if signup.doi_confirmed_at is not None:  # confirmed through another request of the same sign-up
        return DoiConfirmed(found.id, found.consent_id, signup.doi_confirmed_at, "already_confirmed")
    if not _still_wanted(state, signup):
        raise SignupWithdrawn
    ledger.append(session, found.organisation_id, [ledger.Draft(
        EventType.DOI_CONFIRMED, found.customer_id, now,
        {"consent_id": found.consent_id, "request_id": found.id}, evidence=evidence or None,
    )], now=now)
    found.confirmed_at = now
    return DoiConfirmed(found.id, found.consent_id, now, "confirmed")


def expire_overdue(app: Konsent) -> int:
    """Record `doi.expired` for every request that ran out unconfirmed; run it as often as you like."""
    now = app.now()
    with app.db.unit_of_work() as session:
        overdue = list(session.scalars(select(t.DoiRequest).where(
            t.DoiRequest.expires_at <= now, t.DoiRequest.confirmed_at.is_(None), t.DoiRequest.expired_at.is_(None),
        ).order_by(t.DoiRequest.organisation_id, t.DoiRequest.expires_at).with_for_update()))
        drafts: dict[str, list[ledger.Draft]] = {}
        for found in overdue:
            drafts.setdefault(found.organisation_id, []).append(ledger.Draft(
                EventType.DOI_EXPIRED, found.customer_id, found.expires_at,
                {"consent_id": found.consent_id, "request_id": found.id},
            ))
            found.expired_at = now
        for organisation_id, own in drafts.items():
            ledger.append(session, organisation_id, own, now=now)
        return len(overdue)


def _checked(evidence: dict[str, str] | None) -> dict[str, str]:
    for name, value in (evidence or {}).items():
        if name not in EVIDENCE_FIELDS:
            raise InputError(f"evidence.{name}", f"unknown; known: {', '.join(EVIDENCE_FIELDS)}")
        if not isinstance(value, str) or len(value) > 2000:
            raise InputError(f"evidence.{name}", "must be a text of at most 2000 characters")
    return dict(evidence or {})


def _one_writer_at_a_time(session: Session, organisation_id: str) -> None:
    # The daily limit is a count followed by an insert; holding the ledger head (which the
    # request's event needs anyway) keeps two simultaneous requests from both passing it.
    session.execute(select(t.LedgerHead.seq).where(t.LedgerHead.organisation_id == organisation_id)
                    .with_for_update())


def _signup(state: CustomerState, channel: str, consent_id: str | None) -> ConsentRecord | None:
    on_channel = [c for c in state.consents if c.channel == channel]
    if consent_id is not None:
        chosen = next((c for c in on_channel if c.consent_id == consent_id), None)
        if chosen is None:
            raise InputError("consent_id", f"the customer gave no consent with this id on {channel}")
        return chosen
    waiting = [c for c in on_channel if c.doi_confirmed_at is None and c.withdrawn_at is None]
    return max(waiting, key=lambda c: c.given_at, default=None)


def _decide(
    session: Session, organisation: t.Organisation, customer: t.Customer, channel: str,
    signup: ConsentRecord | None, now: datetime,
) -> Decision:
    scenario = facts.scenario_for(session, organisation, customer,
                                  facts.Asked(kind="doi_confirmation", channel=channel), now)
    # The engine judges this one sign-up: another, fresher one must not vouch for it.
    only = (signup.as_fact(),) if signup else ()
    return decide(replace(scenario, recipient=replace(scenario.recipient, consents=only)))


def _not_sent_before(session: Session, organisation_id: str, consent_id: str) -> None:
    """One confirmation request per sign-up; another only when every earlier one failed to go out."""
    delivered = session.scalar(select(func.count()).select_from(t.DoiRequest).join(
        t.Message, t.Message.id == t.DoiRequest.message_id,
    ).where(
        t.DoiRequest.organisation_id == organisation_id, t.DoiRequest.consent_id == consent_id,
        t.Message.status != "failed",
    ))
    if delivered:
        raise Conflict("consent_id: a confirmation request for this sign-up was already sent; "
                       "a new sign-up brings a new one")


def _within_daily_limit(session: Session, organisation_id: str, address_hash: str, now: datetime,
                        limit: int) -> None:
    sent_today = session.scalar(select(func.count()).select_from(t.DoiRequest).where(
        t.DoiRequest.organisation_id == organisation_id, t.DoiRequest.address_hash == address_hash,
        t.DoiRequest.requested_at > now - timedelta(days=1),
    ))
    if (sent_today or 0) >= limit:
        raise RateLimited(f"address: already {limit} confirmation requests to this address in 24 hours; "
                          "try again tomorrow")


def _still_wanted(state: CustomerState, signup: ConsentRecord) -> bool:
    if signup.withdrawn_at is not None:
        return False
    return not any(o.covers(signup.channel) and o.at >= signup.given_at for o in state.objections)


def _compose(
    session: Session, settings: Settings, organisation: t.Organisation, customer: t.Customer,
    signup: ConsentRecord, address: str, message_id: str, now: datetime, *, link: str, code: str | None,
    expires_at: datetime,
) -> OutgoingMessage:
    """The message in the customer's language: who asks, to confirm what, how, until when — and
    nothing else (an advertising line would make the request itself unlawful advertising)."""
    locale = customer.locale or organisation.locale
    display_name = organisation.sender_name or organisation.name
    title = None
    if signup.text_version_id:
        text = session.get(t.ConsentText, signup.text_version_id)
        title = text.title if text is not None else None
    context: dict[str, Any] = {
        "organisation": organisation.name, "first_name": customer.first_name,
        "what": words.what(signup.purpose.value, signup.channel.value, locale), "consent_title": title,
        "link": link, "code": code, "expires": words.moment(expires_at, organisation.timezone, locale),
        "expires_day": words.day(expires_at, organisation.timezone, locale),
        "sender_lines": [display_name, *(organisation.sender_address or "").splitlines()],
    }
    one_line("organisation.name", organisation.name)
    one_line("organisation.sender_name", display_name)
    rendered = render("doi_confirmation", locale, signup.channel.value, context)
    sender = display_name
    if signup.channel is Channel.EMAIL:
        sender = mailbox(display_name, settings.smtp.sender, field_name="smtp.sender")
    return OutgoingMessage(
        id=message_id, channel=signup.channel.value, to=address, sender=sender, text=rendered.text,
        date=now, subject=rendered.subject, html=rendered.html,
    )


def _code_digest(secret: str, request_id: str, code: str | None) -> str:
    message = f"doi-code:{request_id}:{code}".encode()
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()
