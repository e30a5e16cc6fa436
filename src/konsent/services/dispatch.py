"""Delivering outbox rows: decide again at the moment of sending, render, and record what happened.

Scheduling decided once; the law is asked again here, because a withdrawal or an objection since
then must stop the message (it is then `withheld`, with the decision that stopped it). The worker
calls `prepare` per claimed row, sends what is ready, turns the transport's answer into an
`Outcome` with `settle`, and writes many outcomes at once with `record` — the outbox row's state
and the message log in one transaction, so a row is never `sent` without its log, nor logged twice.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import update
from sqlalchemy.orm import Session

from konsent.config import DispatchSettings, Settings
from konsent.domain import Channel, decide
from konsent.errors import KonsentError
from konsent.messages.compose import Sender, compose
from konsent.services import audience, outbox, unsubscribe, webhooks
from konsent.services.facts import Asked
from konsent.services.suppression import CONTACT_KIND
from konsent.storage import tables as t
from konsent.transports import OutgoingMessage, TransportError
from konsent.transports.mime import mailbox
from konsent.worker import claim, log
from konsent.worker.claim import Claimed
from konsent.worker.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Ready:
    """A message allowed and rendered, waiting for its transport."""

    row: Claimed
    message: OutgoingMessage
    log: dict[str, Any]  # its message-log row, but for the outcome


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Claimed
    status: str  # sent | failed | awaiting_retry | withheld
    at: datetime
    log: dict[str, Any]
    error: str | None = None
    transport_id: str | None = None
    retry_at: datetime | None = None
    bounced: tuple[str, str] | None = None  # (kind, address) that hard-bounced: nothing more goes to it


def prepare(snapshot: Snapshot, row: Claimed, *, settings: Settings) -> Ready | Outcome:
    """Decide the row again at `snapshot.at`; render it if the law still allows it."""
    now = snapshot.at
    person = snapshot.person(row)
    entry = _log(row, states=snapshot.earlier.get(row.id, {}))
    if row.attempts > settings.dispatch.max_attempts:  # claimed again and again by workers that died
        return _final(row, outbox.FAILED, now, entry, f"gave up after {row.attempts - 1} attempts")
    if person is None or person.erased:
        return _final(row, outbox.WITHHELD, now, entry, "the customer was erased or no longer exists")
    if row.campaign_id and snapshot.campaigns.get(row.campaign_id) == "cancelled":
        return _final(row, outbox.WITHHELD, now, entry, "the campaign was cancelled")
    decision = decide(snapshot.scenario(row, person, Asked(
        kind=row.kind, channel=row.channel, advertised_categories=row.advertised_categories,
        includes_opt_out_notice=True, sender_identified=True, automated=True,  # compose adds notice and sender
    )))
    entry["decision"] = decision.to_dict()
    if not decision.allowed:
        return _final(row, outbox.WITHHELD, now, entry, f"denied when sending: {', '.join(decision.codes)}")
    kind = CONTACT_KIND[Channel(row.channel)]
    if kind not in person.contacts:
        return _final(row, outbox.WITHHELD, now, entry, f"the customer has no {kind} address")
    address, bounced_at = person.contacts[kind]
    if bounced_at is not None:
        return _final(row, outbox.WITHHELD, now, entry,
                      f"the {kind} address bounced on {bounced_at:%Y-%m-%d}: nothing more is sent to it")
    template = snapshot.template(row, person)
    if template is None:
        return _final(row, outbox.FAILED, now, entry, f"no template {row.template_key!r} for {row.channel}")
    organisation = snapshot.organisations[row.organisation_id]
    fields = {**row.context, "first_name": person.first_name or "", "last_name": person.last_name or "",
              "organisation": organisation.name}
    try:
        message = compose(
            message_id=row.id, channel=row.channel, to=address, locale=template.locale, template=template,
            requirements=decision.requirements, sender=_sender(organisation, row.channel, settings.smtp.sender),
            fields=fields, unsubscribe_url=unsubscribe.url(settings.server.public_url, organisation, row.id, now),
            now=now,
        )
    except TemplateError as exc:  # the business's template, not customer data: its words help the owner
        return _final(row, outbox.FAILED, now, entry, f"template {row.template_key!r}: {exc}")
    except (KonsentError, ValueError, TypeError) as exc:
        return _final(row, outbox.FAILED, now, entry, f"cannot render the message ({type(exc).__name__})")
    entry |= {"to_address": address, "subject": message.subject, "body_text": message.text,
            "body_html": message.html, "template_id": template.id}
    return Ready(row, message, entry)


def broken(row: Claimed, at: datetime, error: Exception) -> Outcome:
    """A row that could not be prepared for a reason no one foresaw: it fails, the others go on."""
    return _final(row, outbox.FAILED, at, _log(row, states={}), f"internal error ({type(error).__name__})")


def settle(ready: Ready, answer: str | TransportError, *, at: datetime, policy: DispatchSettings,
           rng: random.Random | None = None) -> Outcome:
    """What the transport's answer (its id for the message, or its error) makes of the row."""
    row, entry = ready.row, ready.log
    if isinstance(answer, str):
        return Outcome(row, outbox.SENT, at, entry, transport_id=answer)
    error = str(answer)
    if answer.permanent:
        # Only an SMTP refusal of the recipient knows whether the address itself is bad.
        bounced = (CONTACT_KIND[Channel(row.channel)], ready.message.to) if getattr(
            answer, "hard_bounce", False) else None
        return Outcome(row, outbox.FAILED, at, entry, error=error, bounced=bounced)
    if row.attempts >= policy.max_attempts:
        return Outcome(row, outbox.FAILED, at, entry, error=f"gave up after {row.attempts} attempts: {error}")
    return Outcome(row, outbox.AWAITING_RETRY, at, entry, error=error,
                   retry_at=at + retry_delay(row.attempts, policy, rng or random.Random()))


def retry_delay(attempts: int, policy: DispatchSettings, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: about base, 2 × base, 4 × base … up to the cap. The jitter
    (half to all of the step) keeps a crowd of failed messages from returning at the same instant."""
    step = min(policy.retry_max_seconds, policy.retry_base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=step * (0.5 + rng.random() / 2))


def record(session: Session, owner: str, outcomes: list[Outcome], *, now: datetime) -> list[Outcome]:
    """Write outcomes of rows this worker still holds; returns those written. A row whose lease ran
    out and which another worker took over is left to that worker (its message may go twice)."""
    mine = claim.finish(session, owner, [claim.Finished(o.row.id, o.status, o.error, o.retry_at) for o in outcomes],
                        now=now)
    kept = [o for o in outcomes if o.row.id in mine]
    rows = [message_row(o) for o in kept]
    # An earlier attempt's log entry is known by its states (the snapshot read them for retries).
    log.write(session, [r for o, r in zip(kept, rows, strict=True) if not o.log["states"]],
              [r for o, r in zip(kept, rows, strict=True) if o.log["states"]])
    bounced: dict[str, set[str]] = {}
    for o in kept:
        if o.bounced is not None:
            session.execute(update(t.ContactPoint).where(
                t.ContactPoint.organisation_id == o.row.organisation_id, t.ContactPoint.kind == o.bounced[0],
                t.ContactPoint.value == o.bounced[1], t.ContactPoint.bounced_at.is_(None),
            ).values(bounced_at=o.at))
            bounced.setdefault(o.row.organisation_id, set()).add(o.row.customer_id)
    for organisation_id, customer_ids in bounced.items():
        # The audience preview must not count someone whose address no longer takes mail.
        audience.refresh(session, organisation_id, sorted(customer_ids), now=now)
    webhooks.announce_outcomes(session, kept, now=now)  # with the outcomes, or not at all
    return kept


def _log(row: Claimed, *, states: dict[str, Any]) -> dict[str, Any]:
    # The message's id is its outbox row's: a retry, or a worker taking over, updates one log entry
    # and sends the same Message-ID, so that even a duplicate can be recognised as one.
    return {"id": row.id, "organisation_id": row.organisation_id, "customer_id": row.customer_id, "kind": row.kind,
            "channel": row.channel, "decision": {}, "created_at": row.claimed_at, "outbox_id": row.id,
            "campaign_id": row.campaign_id, "to_address": None, "subject": None, "body_text": None,
            "body_html": None, "template_id": None, "states": states}


def _final(row: Claimed, status: str, at: datetime, entry: dict[str, Any], error: str) -> Outcome:
    return Outcome(row, status, at, entry, error=error)


def message_row(o: Outcome) -> dict[str, Any]:
    """The message-log row of an outcome, with the moment it entered each state."""
    states = {**o.log["states"], "queued": o.row.queued_at.isoformat(),
              "in_flight": o.row.claimed_at.isoformat(), o.status: o.at.isoformat()}
    return {**o.log, "status": o.status, "states": states, "sent_at": o.at if o.status == outbox.SENT else None,
            "transport_id": o.transport_id, "error": o.error}


@lru_cache(maxsize=256)
def _mailbox(display_name: str, sender: str) -> str:
    return mailbox(display_name, sender, field_name="smtp.sender")


def _sender(organisation: t.Organisation, channel: str, smtp_sender: str) -> Sender:
    name = organisation.sender_name or organisation.name
    return Sender(name=name, address=organisation.sender_address,
                  mailbox=_mailbox(name, smtp_sender) if channel == "email" else name)
