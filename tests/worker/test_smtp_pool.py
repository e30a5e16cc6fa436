"""The worker's SMTP pool against a real server: sessions reused, pipelined where offered, and every
refusal classified — temporary or permanent, and whether the address itself is bad."""

import asyncio
import shutil
import socket
import ssl
import subprocess

import pytest

from konsent.config import SmtpSettings
from konsent.transports import TransportError
from konsent.transports.smtp import Refused, SmtpPool
from tests.transports.smtp_server import free_port
from tests.worker.mailserver import mail_server
from tests.worker.test_wire import email


def pool(port: int, size: int = 1, **settings) -> SmtpPool:
    values = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5,
              "sender": "Salon <bounces@salon.example>", **settings}
    return SmtpPool(SmtpSettings(**values), size=size)


def send_all(smtp: SmtpPool, recipients: list[str]) -> list[str | TransportError]:
    async def run() -> list[str | TransportError]:
        answers: list[str | TransportError] = []
        for number, to in enumerate(recipients):
            try:
                answers.append(await smtp.send(email(id=f"m-{number}", to=to)))
            except TransportError as exc:
                answers.append(exc)
        await smtp.aclose()
        return answers

    return asyncio.run(run())


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-command-at-a-time"])
def test_one_session_carries_many_messages(pipelining):
    with mail_server(pipelining=pipelining) as server:
        answers = send_all(pool(server.port), [f"p{n}@example.com" for n in range(5)])
    assert answers == [f"<m-{n}@salon.example>" for n in range(5)]
    assert server.connections == 1
    assert sorted(server.counts()) == [f"p{n}@example.com" for n in range(5)]


def test_the_envelope_names_the_configured_sender_and_only_the_recipient():
    with mail_server() as server:
        send_all(pool(server.port), ["anna@example.com"])
    [received] = server.received
    assert received.recipient == "anna@example.com"
    assert received.mail["To"] == "anna@example.com"


@pytest.mark.parametrize(("reply", "permanent", "hard_bounce"), [
    ("550 5.1.1 No such mailbox", True, True),
    ("550 No such user here", True, True),
    ("553 5.1.3 Bad address syntax", True, True),
    ("550 5.7.1 Rejected as spam", True, False),
    ("552 5.2.2 Mailbox full", True, False),
    ("450 4.2.1 Mailbox busy", False, False),
])
def test_a_refused_recipient_is_classified_and_the_session_goes_on(reply, permanent, hard_bounce):
    with mail_server(refuse={"gone@example.com": reply}) as server:
        refused, delivered = send_all(pool(server.port), ["gone@example.com", "anna@example.com"])
    assert isinstance(refused, Refused)
    assert (refused.permanent, refused.hard_bounce, refused.stage) == (permanent, hard_bounce, "rcpt")
    assert "gone" not in str(refused)  # the server's words may quote the address; ours do not
    assert delivered == "<m-1@salon.example>"
    assert server.connections == 1


def test_a_busy_server_is_a_temporary_failure_and_its_session_is_dropped():
    with mail_server(busy_for=1) as server:
        busy, delivered = send_all(pool(server.port), ["anna@example.com", "bea@example.com"])
    assert isinstance(busy, Refused)
    assert (busy.code, busy.permanent) == (421, False)
    assert delivered == "<m-1@salon.example>"
    assert server.connections == 2


def test_a_dropped_connection_is_replaced_without_failing_the_message():
    with mail_server(drop_every=1) as server:
        answers = send_all(pool(server.port), [f"p{n}@example.com" for n in range(3)])
    assert answers == [f"<m-{n}@salon.example>" for n in range(3)]
    assert server.connections == 3


def test_no_server_is_a_temporary_failure():
    [failure] = send_all(pool(free_port()), ["anna@example.com"])
    assert isinstance(failure, TransportError)
    assert failure.permanent is False


def test_a_server_that_never_answers_is_a_temporary_failure():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        [failure] = send_all(pool(silent.getsockname()[1], timeout=0.3), ["anna@example.com"])
    assert isinstance(failure, TransportError)
    assert failure.permanent is False


def test_starttls_is_required_when_configured():
    with mail_server() as server:
        [failure] = send_all(pool(server.port, security="starttls"), ["anna@example.com"])
    assert isinstance(failure, TransportError)
    assert server.received == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def server_context(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_pipelined_sessions_run_over_tls_with_the_certificate_checked(certificate, monkeypatch, security):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # trust the test certificate, and only it
    tls = {"starttls": server_context(certificate)} if security == "starttls" else {
        "implicit_tls": server_context(certificate)}
    with mail_server(**tls) as server:
        answers = send_all(pool(server.port, security=security), [f"p{n}@example.com" for n in range(3)])
    assert answers == [f"<m-{n}@salon.example>" for n in range(3)]
    assert sorted(server.counts()) == [f"p{n}@example.com" for n in range(3)]


def test_a_certificate_that_cannot_be_checked_is_refused(certificate):
    with mail_server(implicit_tls=server_context(certificate)) as server:
        [failure] = send_all(pool(server.port, security="tls"), ["anna@example.com"])
    assert isinstance(failure, TransportError)
    assert server.received == []
