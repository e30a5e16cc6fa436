"""A message as it leaves: the business's template, plus what the law makes it carry.

The decision's `requirements` are not left to the template author: an advertising email always
gets the objection notice, a visible unsubscribe link, RFC 8058 one-click headers and the sender's
identity; an SMS gets the notice and the sender's name (§7 (3) Nr. 4 UWG, §174 (4) TKG,
Art. 3 (1) o UWG-CH, Art. 21 (4) GDPR).
"""

import html
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Template

from konsent.domain import Requirement
from konsent.services.templates import HTML, TEXT, TemplateVersion
from konsent.transports import OutgoingMessage

NOTICE = {
    "de": ("Sie können der Verwendung Ihrer Kontaktdaten für Werbung jederzeit widersprechen, ohne dass "
           "Ihnen andere als die Übermittlungskosten nach den Basistarifen entstehen."),
    "en": ("You may object to the use of your contact details for advertising at any time, at no cost "
           "other than the transmission costs at basic rates."),
}
UNSUBSCRIBE = {"de": "Abmelden", "en": "Unsubscribe"}
SMS_STOP = {"de": "Abmelden: STOP senden oder", "en": "To opt out reply STOP or visit"}


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    address: str | None  # the imprint: street, town
    mailbox: str  # the From header


def compose(
    *, message_id: str, channel: str, to: str, locale: str, template: TemplateVersion,
    requirements: tuple[Requirement, ...], sender: Sender, fields: dict[str, Any], unsubscribe_url: str | None,
    now: datetime, unsubscribe_mailto: str | None = None,
) -> OutgoingMessage:
    context = {**fields, "unsubscribe_url": unsubscribe_url or "", "sender_name": sender.name}
    text = _compiled(False, template.body_text).render(context).rstrip()
    wants = set(requirements)
    if channel == "sms":
        if Requirement.OPT_OUT_NOTICE in wants and unsubscribe_url:
            text += f" {SMS_STOP[locale]} {unsubscribe_url}"
        if Requirement.SENDER_IDENTITY in wants and sender.name not in text:
            text = f"{sender.name}: {text}"
        return OutgoingMessage(id=message_id, channel="sms", to=to, sender=sender.name, text=text, date=now)

    subject = " ".join(_compiled(False, template.subject or "").render(context).split())
    page = _compiled(True, template.body_html).render(context) if template.body_html else None
    footer_text: list[str] = []
    footer_html: list[str] = []
    if Requirement.OPT_OUT_NOTICE in wants:
        footer_text.append(NOTICE[locale])
        footer_html.append(f"<p>{html.escape(NOTICE[locale])}</p>")
    if Requirement.UNSUBSCRIBE_LINK in wants and unsubscribe_url:
        footer_text.append(f"{UNSUBSCRIBE[locale]}: {unsubscribe_url}")
        footer_html.append(f'<p><a href="{html.escape(unsubscribe_url)}">{UNSUBSCRIBE[locale]}</a></p>')
    if Requirement.SENDER_IDENTITY in wants:
        identity = ", ".join(filter(None, [sender.name, (sender.address or "").replace("\n", ", ")]))
        footer_text.append(identity)
        footer_html.append(f"<p>{html.escape(identity)}</p>")
    if footer_text:
        text += "\n\n-- \n" + "\n".join(footer_text)
    if page is not None and footer_html:
        closing = page.lower().rfind("</body>")
        block = '<div class="konsent-footer">' + "".join(footer_html) + "</div>"
        page = page[:closing] + block + page[closing:] if closing >= 0 else page + block
    headers: dict[str, str] = {}
    if Requirement.UNSUBSCRIBE_LINK in wants and unsubscribe_url:
        targets = [f"<{unsubscribe_url}>"] + ([f"<{unsubscribe_mailto}>"] if unsubscribe_mailto else [])
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return OutgoingMessage(
        id=message_id, channel="email", to=to, sender=sender.mailbox, subject=subject, text=text + "\n",
        html=page, date=now, headers=headers,
    )


@lru_cache(maxsize=512)
def _compiled(html_part: bool, source: str) -> Template:
    """Compiled once per template version, not once per message (it was most of a worker's time)."""
    return (HTML if html_part else TEXT).from_string(source)


GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_7_EXTENDED = set("^{}\\[~]|€")


def sms_segments(text: str) -> int:
    """How many SMS a text costs: 160/153 GSM-7 characters, or 70/67 when any character needs UCS-2."""
    if all(c in GSM_7 or c in GSM_7_EXTENDED for c in text):
        units = sum(2 if c in GSM_7_EXTENDED else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else -(-units // 67)
