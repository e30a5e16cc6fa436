"""Unsubscribe links: one per message, signed, long-lived, and revealing nothing.

The token names the message, and the message knows the customer and the channel — so one click
(RFC 8058 POST, no cookies, no login) withdraws consent on that channel and records an objection
to advertising on it, which the existing-customer privilege cannot undo.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from konsent import tokens
from konsent.services import consents
from konsent.services.context import Konsent
from konsent.storage import tables as t

LIFETIME = timedelta(days=400)  # links in old mails keep working for well over a year


def url(public_url: str, organisation: t.Organisation, message_id: str, now: datetime) -> str:
    token = tokens.issue(organisation.secret, tokens.UNSUBSCRIBE, organisation_id=organisation.id,
                         subject=message_id, expires_at=now + LIFETIME)
    return f"{public_url.rstrip('/')}/u/{token}"


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    organisation_id: str
    customer_id: str
    channel: str


def message_of(app: Konsent, token: str) -> t.Message:
    """The message an unsubscribe token stands for (for the page that shows one button)."""
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, tokens.organisation_of(token))
        if organisation is None:
            raise tokens.TokenInvalid
        message = session.get(t.Message, tokens.verify(organisation.secret, tokens.UNSUBSCRIBE, token, now=app.now()))
        if message is None or message.organisation_id != organisation.id:
            raise tokens.TokenInvalid
        return message


def one_click(app: Konsent, token: str, *, evidence: dict[str, str] | None = None) -> Unsubscribed:
    """Withdraw and object on the message's channel. Clicking twice is harmless."""
    message = message_of(app, token)
    consents.unsubscribe(app, message.organisation_id, message.customer_id, channel=message.channel,
                         via="unsubscribe_link", evidence=evidence)
    return Unsubscribed(message.organisation_id, message.customer_id, message.channel)
