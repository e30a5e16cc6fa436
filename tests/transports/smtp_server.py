"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, or refuses on request."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    refuse_recipient: str | None = None  # e.g. "550 5.1.1 no such mailbox"
    refuse_data: str | None = None
    received: list[Any] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.refuse_recipient:
            return self.refuse_recipient
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [BytesParser(policy=policy.default).parsebytes(e.original_content) for e in self.received]


def text_of(mail: EmailMessage, subtype: str) -> str:
    """A body part's text; lines end in CRLF on the wire (RFC 5321) and in LF in konsent."""
    part = mail.get_body((subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@contextmanager
def smtp_server(**behaviour: str) -> Iterator[Inbox]:
    inbox = Inbox(**behaviour)
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
