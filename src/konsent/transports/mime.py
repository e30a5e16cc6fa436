"""Email as MIME: plain text with an HTML alternative, headers built by the standard library."""

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from konsent.errors import InputError
from konsent.transports import OutgoingMessage, one_line


def mailbox(display_name: str, sender: str, field_name: str = "sender") -> str:
    """`"Display Name" <address>`, quoted as needed: a comma in a business's name stays a name."""
    one_line(field_name, display_name)
    _, address = parseaddr(one_line(field_name, sender))
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InputError(field_name, "needs an email address, e.g. 'Salon <no-reply@example.com>'")
    return str(Address(display_name=display_name, username=local, domain=domain))


def build(message: OutgoingMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = message.sender
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Date"] = format_datetime(message.date)
    mail["Message-ID"] = message_id(message)
    # A confirmation request is sent because of the person's own action, not by a person.
    mail["Auto-Submitted"] = "auto-generated"
    for name, value in message.headers.items():
        mail[name] = value
    # Quoted-printable keeps umlauts intact on servers that do not speak 8BITMIME.
    mail.set_content(message.text, cte="quoted-printable")
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html", cte="quoted-printable")
    return mail


def message_id(message: OutgoingMessage) -> str:
    domain = parseaddr(message.sender)[1].rpartition("@")[2] or "konsent.invalid"
    return f"<{message.id}@{domain}>"
