"""Email over SMTP.

aiosmtplib opens every session — STARTTLS or implicit TLS, certificate checks, AUTH. A single
message (a DOI request) goes out through `SmtpTransport`, one session per message. The worker
uses `SmtpPool`: sessions stay open and carry message after message, and once a session stands
a small protocol of konsent's own takes over its socket — aiosmtplib waits for each reply before
the next command, while pipelining (RFC 2920: MAIL, RCPT and DATA in one write) halves the round
trips and the per-command overhead; bench/send.py shows what that is worth.
"""

import asyncio
import base64
import binascii
import re
from collections import deque
from datetime import datetime
from email import policy
from email.utils import format_datetime, parseaddr
from functools import lru_cache

import aiosmtplib

from konsent.config import SmtpSettings
from konsent.errors import InputError
from konsent.transports import OutgoingMessage, TransportError, mime

SECURITY = ("starttls", "tls", "none")
_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")
_PLAIN_ADDRESS = re.compile(r"^[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-\[\]:]+$")  # no SMTPUTF8, nothing to escape


class Refused(TransportError):
    """The server said no to `stage` (mail, rcpt or data) with `code`. Its own words are not kept:
    they often quote the recipient's address; the enhanced status code says enough."""

    def __init__(self, stage: str, code: int, enhanced: str | None = None, *, message: str | None = None) -> None:
        detail = f" {enhanced}" if enhanced else ""
        super().__init__(message or f"smtp: the server answered {code}{detail} to {stage.upper()}",
                         permanent=code >= 500)
        self.stage, self.code, self.enhanced = stage, code, enhanced

    @property
    def hard_bounce(self) -> bool:
        """The address itself is bad (no such mailbox or domain): nothing more should go to it.
        A 5.7.x refusal (policy, spam) says nothing about the address, so it is not one."""
        if self.stage != "rcpt" or self.code < 500:
            return False
        if self.enhanced:
            return self.enhanced.startswith("5.1.") or self.enhanced == "5.2.1"
        return self.code in (550, 551, 553)


def _enhanced(text: str) -> str | None:
    found = _ENHANCED.match(text)
    return found.group(1) if found else None


def _checked(settings: SmtpSettings) -> SmtpSettings:
    if not settings.host:
        raise InputError("smtp.host", "must be set to send by SMTP")
    if settings.security not in SECURITY:
        raise InputError("smtp.security", f"must be one of {', '.join(SECURITY)}")
    return settings


def _client(s: SmtpSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(hostname=s.host, port=s.port, username=s.username, password=s.password,
                           use_tls=s.security == "tls", start_tls=s.security == "starttls", timeout=s.timeout)


def _failure(exc: Exception) -> TransportError:
    """aiosmtplib's exceptions as konsent's: permanent or not, and never the server's words."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({r.code for r in exc.recipients})
        worst = max(exc.recipients, key=lambda r: (r.code >= 500, r.code))
        return Refused("rcpt", worst.code, _enhanced(worst.message),
                       message=f"smtp: the server refused the recipient ({codes})")
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return TransportError(f"smtp: cannot connect to the server ({type(exc).__name__})", permanent=False)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        stage = "rcpt" if isinstance(exc, aiosmtplib.SMTPRecipientRefused) else (
            "mail" if isinstance(exc, aiosmtplib.SMTPSenderRefused) else "data")
        return Refused(stage, exc.code, _enhanced(exc.message), message=f"smtp: the server answered {exc.code}")
    return TransportError(f"smtp: delivery broke off ({type(exc).__name__})", permanent=False)


class SmtpTransport:
    """One session per message: for the odd message sent while a person waits."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = _checked(settings)

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "email":
            raise InputError("channel", "SMTP carries email only")
        mail = mime.build(message)
        try:
            async with _client(self.settings) as client:
                await client.send_message(mail)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _failure(exc) from None
        return mime.message_id(message)


class _Lost(Exception):
    """The connection ended; `replies` says how far the server had answered."""

    def __init__(self, replies: int) -> None:
        super().__init__("connection lost")
        self.replies = replies


class _Replies(asyncio.Protocol):
    """The server's replies in the order they come: pipelined commands are answered in order."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.replies: deque[tuple[int, str]] = deque()
        self.wakeup: asyncio.Future[None] | None = None
        self.lost = False
        self.ended: asyncio.Future[None] | None = None  # done once the transport has closed for good

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport: it writes
        self.ended = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        start = 0
        while (end := self.buffer.find(b"\n", start)) >= 0:
            line = bytes(self.buffer[start:end])
            start = end + 1
            if line[3:4] == b"-":
                continue  # a continuation line: only the last line of a reply ends it
            if not line[:3].isdigit():
                self._broken()
                return
            self.replies.append((int(line[:3]), line[4:].decode("ascii", "replace").strip()))
        del self.buffer[:start]
        if len(self.buffer) > 65536:
            self._broken()
        elif self.replies:
            self._wake()

    def eof_received(self) -> bool:
        self.lost = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.ended is not None and not self.ended.done():
            self.ended.set_result(None)
        self._wake()

    def _broken(self) -> None:
        # Not SMTP (or an endless line): nothing more on this connection can be trusted.
        self.lost = True
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def _wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    async def next(self, answered: int) -> tuple[int, str]:
        while not self.replies:
            if self.lost:
                raise _Lost(answered)
            self.wakeup = asyncio.get_running_loop().create_future()
            await self.wakeup
        return self.replies.popleft()

    def write(self, data: bytes) -> None:
        if self.lost or self.transport is None or self.transport.is_closing():
            raise _Lost(0)
        self.transport.write(data)


_STAGES = (("mail", (250,)), ("rcpt", (250, 251)), ("data", (354,)))


class _Session:
    """One open SMTP session after EHLO (and TLS and AUTH): message after message, each one
    MAIL, RCPT and DATA — in one write when the server offers PIPELINING — then the content."""

    def __init__(self, replies: _Replies, pipelining: bool) -> None:
        self.replies = replies
        self.pipelining = pipelining
        self.delivered = 0

    @property
    def open(self) -> bool:
        return not self.replies.lost

    async def deliver(self, envelope_from: str, recipient: str, data: bytes) -> None:
        commands = (b"MAIL FROM:<%s>\r\n" % envelope_from.encode(), b"RCPT TO:<%s>\r\n" % recipient.encode(),
                    b"DATA\r\n")
        if self.pipelining:
            self.replies.write(b"".join(commands))
        answers: list[tuple[int, str]] = []
        try:
            for command, (_, wanted) in zip(commands, _STAGES, strict=True):
                if not self.pipelining:
                    self.replies.write(command)
                answers.append(await self.replies.next(len(answers)))
                if answers[-1][0] not in wanted and not self.pipelining:
                    break
        except _Lost:
            if all(code in wanted for (code, _), (_, wanted) in zip(answers, _STAGES, strict=False)):
                raise
        refused = next(((stage, code, text) for (code, text), (stage, wanted) in zip(answers, _STAGES, strict=False)
                        if code not in wanted), None)
        if refused is not None:
            await self._start_over(expects_content=len(answers) == 3 and answers[2][0] == 354)
            raise Refused(refused[0], refused[1], _enhanced(refused[2]))
        self.replies.write(data)
        code, text = await self.replies.next(3)
        if code != 250:
            raise Refused("data", code, _enhanced(text))
        self.delivered += 1

    async def _start_over(self, *, expects_content: bool) -> None:
        """After a refusal: end the transaction so that the session can carry the next message."""
        try:
            if expects_content:  # a server that said yes to DATA after refusing the recipient
                self.replies.write(b".\r\n")
                await self.replies.next(3)
            await self._reset()
        except _Lost:
            pass

    async def _reset(self) -> None:
        if self.open:
            self.replies.write(b"RSET\r\n")
            await self.replies.next(3)

    async def quit(self) -> None:
        if self.open:
            self.replies.write(b"QUIT\r\n")
            await self.replies.next(0)
        self.close()
        if self.replies.ended is not None:
            # Closing TLS takes the event loop another turn or two; a loop that ended first would
            # leave the socket behind, open.
            await self.replies.ended

    def close(self) -> None:
        self.replies.lost = True
        if self.replies.transport is not None:
            self.replies.transport.close()

    def abort(self) -> None:
        """Close at once, without the TLS farewell: for a session that does not answer."""
        self.replies.lost = True
        if self.replies.transport is not None:
            self.replies.transport.abort()


class SmtpPool:
    """Sessions kept open and reused, at most `size` at once. A session that breaks is dropped;
    one that had gone stale while idle is replaced once before the message counts as failed."""

    def __init__(self, settings: SmtpSettings, *, size: int = 8, messages_per_session: int = 1000) -> None:
        self.settings = _checked(settings)
        self.envelope_from = parseaddr(settings.sender)[1]
        if not _PLAIN_ADDRESS.match(self.envelope_from):
            raise InputError("smtp.sender", "needs a plain email address, e.g. 'Salon <no-reply@example.com>'")
        self.size = size
        self.messages_per_session = messages_per_session
        self._idle: list[_Session] = []
        self._slots: asyncio.Semaphore | None = None

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "email":
            raise InputError("channel", "SMTP carries email only")
        if not _PLAIN_ADDRESS.match(message.to):
            # An international address needs SMTPUTF8, which aiosmtplib negotiates; it is rare.
            return await SmtpTransport(self.settings).send(message)
        data = wire(message)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            for fresh in (False, True):
                session = None if fresh else self._take()
                session = session or await self._open()
                try:
                    async with asyncio.timeout(self.settings.timeout):
                        await session.deliver(self.envelope_from, message.to, data)
                except _Lost as lost:
                    session.close()
                    if lost.replies == 0 and session.delivered and not fresh:
                        continue  # closed by the server while idle; nothing of this message was accepted
                    raise TransportError("smtp: the connection broke off", permanent=False) from None
                except TimeoutError:
                    session.close()
                    raise TransportError(f"smtp: no answer within {self.settings.timeout:g} s",
                                         permanent=False) from None
                except Refused as refused:
                    self._give_back(session, keep=refused.code != 421)  # 421: the server is closing it
                    raise
                self._give_back(session, keep=True)
                return f"<{message.id}@{_domain(message.sender)}>"
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _take(self) -> _Session | None:
        while self._idle:
            session = self._idle.pop()
            if session.open:
                return session
        return None

    def _give_back(self, session: _Session, *, keep: bool) -> None:
        if keep and session.open and session.delivered < self.messages_per_session:
            self._idle.append(session)
        else:
            session.close()

    async def _open(self) -> _Session:
        client = _client(self.settings)
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise _failure(exc) from None
        transport = client.transport
        if transport is None:  # pragma: no cover - connect() returned, so it is connected
            raise TransportError("smtp: the connection broke off", permanent=False)
        replies = _Replies()
        # From here on the socket is konsent's: aiosmtplib's protocol is detached, not closed.
        transport.set_protocol(replies)
        replies.connection_made(transport)
        client.transport, client.protocol = None, None
        return _Session(replies, client.supports_extension("pipelining"))

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for session in idle:
            try:
                async with asyncio.timeout(2):
                    await session.quit()
            except (_Lost, TimeoutError, OSError):
                session.abort()



# --- the message on the wire ---------------------------------------------------------------------

# Line breaks other than LF: the email package splits lines at all of them, so leave such text to it.
_ODD_BREAK = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_BOUNDARY = "=_konsent_alternative"  # "=_" never occurs in quoted-printable text, so no part can contain it
_TEXT_PART = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'


def wire(message: OutgoingMessage) -> bytes:
    """What follows DATA: the MIME message in CRLF lines, dot-stuffed, ending in the lone dot.

    Built by hand for the common message (ASCII addresses and extra headers, text without CR):
    the `email` package's general machinery costs about a millisecond a message, this a few
    dozen microseconds. Both parse to the same message; a test holds them to it."""
    data = _quick_mime(message) or mime.build(message).as_bytes(policy=policy.SMTP)
    data = data.replace(b"\r\n.", b"\r\n..")
    return data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")


def _quick_mime(message: OutgoingMessage) -> bytes | None:
    parts = (message.text,) if message.html is None else (message.text, message.html)
    if any(_ODD_BREAK.search(part) for part in parts) or not message.to.isascii() or not all(
        name.isascii() and value.isascii() and len(name) + len(value) < 990 for name, value in message.headers.items()
    ):
        return None
    head = [
        _sender(message.sender),
        f"To: {message.to}\r\n",
        _subject(message.subject or ""),
        f"Date: {_date(message.date)}\r\n",
        f"Message-ID: <{message.id}@{_domain(message.sender)}>\r\n",
        "Auto-Submitted: auto-generated\r\n",  # as mime.build: no vacation replies to automated mail
        *(f"{name}: {value}\r\n" for name, value in message.headers.items()),
        "MIME-Version: 1.0\r\n",
    ]
    if message.html is None:
        return "".join(head).encode() + _TEXT_PART.format("plain").encode() + _quoted(message.text)
    return b"".join((
        "".join(head).encode(), f'Content-Type: multipart/alternative; boundary="{_BOUNDARY}"\r\n\r\n'.encode(),
        f"--{_BOUNDARY}\r\n{_TEXT_PART.format('plain')}".encode(), _quoted(message.text),
        f"\r\n--{_BOUNDARY}\r\n{_TEXT_PART.format('html')}".encode(), _quoted(message.html),
        f"\r\n--{_BOUNDARY}--\r\n".encode(),
    ))


def _quoted(text: str) -> bytes:
    """Quoted-printable, so that umlauts pass servers without 8BITMIME; ends in a line break."""
    ended = text if text.endswith("\n") else text + "\n"
    return binascii.b2a_qp(ended.replace("\n", "\r\n").encode(), istext=True)


def _subject(subject: str) -> str:
    if subject.isascii():
        return f"Subject: {subject}\r\n" if len(subject) < 70 else _fold("Subject", subject)
    # RFC 2047 by hand (the header machinery takes ~75 µs): base64 words of at most 39 bytes, so
    # that each line stays within 78 characters, never splitting a character.
    data, words, start = subject.encode(), [], 0
    while start < len(data):
        end = min(start + 39, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to its start
            end -= 1
        words.append(data[start:end])
        start = end
    encoded = (f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)
    return "Subject: " + "\r\n ".join(encoded) + "\r\n"


def _fold(name: str, value: str) -> str:
    """The header as the `email` package writes it: RFC 2047 words where needed, folded lines."""
    return str(policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP))


@lru_cache(maxsize=256)
def _sender(sender: str) -> str:
    return _fold("From", sender)  # a business's sender seldom changes: encode its name once


@lru_cache(maxsize=64)
def _date(moment: datetime) -> str:
    return format_datetime(moment)  # a worker dates a whole chunk of messages with one moment


@lru_cache(maxsize=256)
def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "konsent.invalid"
