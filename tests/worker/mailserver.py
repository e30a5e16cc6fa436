"""A real SMTP server on 127.0.0.1 (aiosmtpd) that counts what arrives and misbehaves on request:
busy (421) for a while, dropping the connection after every N messages, refusing addresses."""

import asyncio
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from tests.transports.smtp_server import free_port


@dataclass(frozen=True)
class Received:
    recipient: str
    content: bytes

    @property
    def mail(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.content)  # type: ignore[return-value]


@dataclass
class MailServer:
    pipelining: bool = True  # advertise RFC 2920 PIPELINING (aiosmtpd handles pipelined commands either way)
    busy_for: int = 0  # answer this many RCPTs with 421, then work
    drop_every: int | None = None  # close the connection after every N accepted messages
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply to its RCPT
    on_message: Callable[[Received], None] | None = None  # runs before the message is acknowledged
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    busy_answers: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> Any:
        session.host_name = hostname
        session.accepted = 0
        self.connections += 1
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.busy_for > 0:
            self.busy_for -= 1
            self.busy_answers += 1
            return "421 4.3.2 Service busy, try again later"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            message = Received(recipient, envelope.original_content)
            if self.on_message is not None:
                self.on_message(message)
            with self.lock:
                self.received.append(message)
        session.accepted += 1
        if self.drop_every and session.accepted % self.drop_every == 0:
            # After the 250 below has been written: the message counts, the connection is gone.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 2.0.0 Message accepted for delivery"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(message.recipient for message in self.received)

    def to(self, recipient: str) -> list[Received]:
        with self.lock:
            return [message for message in self.received if message.recipient == recipient]


@contextmanager
def mail_server(*, starttls: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None,
                **behaviour: Any) -> Iterator[MailServer]:
    server = MailServer(**behaviour)
    server.port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port, ssl_context=implicit_tls,
                            tls_context=starttls)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
