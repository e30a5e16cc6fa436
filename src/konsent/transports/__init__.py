"""How messages leave konsent: one transport per way out, each with the same small interface.

Every transport takes an `OutgoingMessage` and returns its own id for it (an SMTP Message-ID,
a file name), or raises `TransportError`. `permanent` tells the sender whether trying again
can help: a mailbox that does not exist will not appear by tomorrow; a server that is down may.
"""

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from konsent.errors import InputError, KonsentError

CHANNELS = ("email", "sms")


class TransportError(KonsentError):
    """Delivery failed. The message names the transport and the cause, never the recipient."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def one_line(field_name: str, value: str) -> str:
    """Header values are one line: a CR or LF would let the value write headers of its own."""
    if "\r" in value or "\n" in value:
        raise InputError(field_name, "must be one line (no line breaks)")
    return value


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message, exactly as it is to be delivered — and as it is stored for the proof."""

    id: str  # konsent's id of the message; becomes the Message-ID and the file name
    channel: str  # email | sms
    to: str  # a normalised email address or an E.164 phone number
    sender: str  # the From mailbox (email) or the sender name (sms)
    text: str
    date: datetime
    subject: str | None = None
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise InputError("channel", f"must be one of {', '.join(CHANNELS)}")
        if self.date.tzinfo is None:
            raise InputError("date", "must be timezone-aware")
        one_line("to", self.to)
        one_line("sender", self.sender)
        if self.subject is not None:
            one_line("subject", self.subject)
        for name, value in self.headers.items():
            one_line("headers", name)
            one_line(f"headers.{name}", value)


class Transport(Protocol):
    async def send(self, message: OutgoingMessage) -> str:
        """Deliver the message; return the transport's id for it, or raise TransportError."""
        ...


def send_now(transport: Transport, message: OutgoingMessage) -> str:
    """Deliver from synchronous code, whether or not this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(transport.send(message))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, transport.send(message)).result()
