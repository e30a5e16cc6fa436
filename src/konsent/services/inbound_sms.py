"""Replies by SMS. "STOP" — or STOPP, ABMELDEN, ABBESTELLEN, HALT, ENDE, UNSUBSCRIBE, CANCEL —
withdraws SMS consent and objects to advertising by SMS, as the link in the footer would.

Every advertising SMS tells the person they may object at any time (§7 (3) Nr. 4 UWG, Art. 21 (4)
GDPR) and composes that as "Abmelden: STOP senden"; the reply must therefore work, without a login
and without a second step. Any other text is not read as an objection: it is ignored, and nothing of
it is kept. The answer never says whether the number belongs to a customer: a forged or mistaken
webhook learns nothing about who is on the list.
"""

import string
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import ObjectionScope
from konsent.services import consents, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.transports.sms_http import FORMATS, InboundSms, WebhookRejected, provider_format
from konsent.validation import normalise_phone

# The German forms, and the opt-out words carriers and Twilio already honour.
STOP_WORDS = frozenset({
    "STOP", "STOPP", "ABMELDEN", "ABBESTELLEN", "HALT", "ENDE", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPALL",
    "OPTOUT", "REVOKE",
})
OPTED_OUT = "opted_out"
IGNORED = "ignored"
VIA = "sms_stop"
# People type "Stop." or "STOPP!" — still nothing but the word.
TRIMMED = string.whitespace + string.punctuation


@dataclass(frozen=True, slots=True)
class Received:
    action: str  # opted_out | ignored — the same whether or not the number is a customer's
    keyword: str | None = None


def stop_word(text: str) -> str | None:
    word = text.strip(TRIMMED).upper()
    return word if word in STOP_WORDS else None


def receive(app: Konsent, organisation_key: str, inbound: InboundSms, *, actor: str | None = None) -> Received:
    """Act on one inbound SMS for the organisation whose number it was sent to."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        number = normalise_phone(inbound.sender, field="from", region=organisation.jurisdiction)
        keyword = stop_word(inbound.text)
        if keyword is None:
            return Received(IGNORED)
        evidence = {"keyword": keyword}
        if inbound.provider_id:
            evidence["provider_message_id"] = inbound.provider_id
        now = app.now()
        for customer in customers_with_number(session, organisation, number):
            consents.object_in(
                session, organisation, customer, channel="sms", scope=ObjectionScope.ADVERTISING.value, via=VIA,
                now=now, actor=actor, evidence=evidence, also_withdraw=True,
            )
        return Received(OPTED_OUT, keyword)


def receive_webhook(
    app: Konsent, organisation_key: str, *, url: str, headers: Mapping[str, str], content_type: str, body: bytes,
) -> Received:
    """The provider's webhook as it arrived: `url` is the address the provider called (Twilio signs it).
    Raises WebhookRejected (answer 403) before anything in the body is read."""
    if app.settings.sms.provider not in FORMATS:
        raise WebhookRejected("sms: no SMS provider is configured (sms.provider)")
    provider = provider_format(app.settings.sms)
    provider.verify_inbound(url, headers, body)
    return receive(app, organisation_key, provider.parse_inbound(content_type, body))


def customers_with_number(session: Session, organisation: t.Organisation, number: str) -> list[t.Customer]:
    return list(session.scalars(select(t.Customer).join(
        t.ContactPoint, (t.ContactPoint.customer_id == t.Customer.id)
        & (t.ContactPoint.organisation_id == t.Customer.organisation_id),
    ).where(
        t.Customer.organisation_id == organisation.id, t.ContactPoint.kind == "phone",
        t.ContactPoint.value == number,
    )))
