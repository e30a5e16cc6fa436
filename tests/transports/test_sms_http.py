"""SMS over HTTP against a real server on 127.0.0.1: the request each provider format expects, and
every kind of answer classified as delivered, permanent or temporary."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from pydantic import SecretStr

from konsent.config import Settings, SmsSettings
from konsent.errors import InputError
from konsent.transports import OutgoingMessage, TransportError, send_now
from konsent.transports.configured import transport_for
from konsent.transports.sms import FileSmsTransport
from konsent.transports.sms_http import HttpSmsTransport, Twilio, Webhook, WebhookRejected
from tests.transports.smtp_server import free_port

ACCOUNT = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "fedcba9876543210" * 2
ANNA = "+4915123456789"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


@dataclass
class Provider:
    """What the fake provider answers, and what it was sent."""

    status: int = 201
    answer: Any = field(default_factory=lambda: {"sid": "SM" + "ab" * 16, "status": "queued"})
    hang: bool = False
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many senders at once are refused by the default backlog of 5


@contextmanager
def provider(**behaviour: Any) -> Iterator[Provider]:
    state = Provider(**behaviour)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real providers offer it
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Recorded(self.path, headers, body, self.client_address[1]))
            if state.hang:
                state.release.wait(10)  # the client gives up first; the test's end lets us go
            payload = state.answer if isinstance(state.answer, bytes) else json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def sms(**fields: Any) -> OutgoingMessage:
    values = {
        "id": "0b9e3a52-4c1f-4a6e-9d0c-5f2b7c8d9e10", "channel": "sms", "to": ANNA, "sender": "Salon Sonnenschein",
        "text": "Salon Sonnenschein: Alles Gute zum Geburtstag, Anna! Abmelden: STOP senden",
        "date": datetime(2026, 11, 20, 9, tzinfo=UTC),
    }
    return OutgoingMessage(**{**values, **fields})


def twilio_settings(url: str, **settings: Any) -> SmsSettings:
    values = {"provider": "twilio", "url": url, "account": ACCOUNT, "token": "twilio-auth-token",
              "sender": "Sonnenschn", "timeout": 5, **settings}
    return SmsSettings(**values)


def twilio(url: str, **settings: Any) -> HttpSmsTransport:
    return HttpSmsTransport(twilio_settings(url, **settings))


def webhook(url: str, **settings: Any) -> HttpSmsTransport:
    values = {"provider": "webhook", "url": f"{url}/sms", "token": "gateway-token",
              "signing_secret": "shared-secret", "timeout": 5, **settings}
    return HttpSmsTransport(SmsSettings(**values))


def test_twilio_gets_a_form_post_with_basic_auth_and_its_sid_becomes_the_transport_id():
    with provider() as gateway:
        transport_id = send_now(twilio(gateway.url), sms())
    [request] = gateway.requests
    assert transport_id == "SM" + "ab" * 16
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{ACCOUNT}:twilio-auth-token".encode()).decode()
    assert parse_qs(request.body.decode()) == {
        "To": [ANNA], "From": ["Sonnenschn"],
        "Body": ["Salon Sonnenschein: Alles Gute zum Geburtstag, Anna! Abmelden: STOP senden"],
    }


def test_twilio_sends_through_a_messaging_service_when_the_sender_is_one():
    with provider() as gateway:
        send_now(twilio(gateway.url, sender=SERVICE), sms())
    form = parse_qs(gateway.requests[0].body.decode())
    assert form["MessagingServiceSid"] == [SERVICE]
    assert "From" not in form


def test_the_webhook_gets_signed_json_with_an_idempotency_key():
    with provider(status=202, answer={"id": "gw-4711"}) as gateway:
        transport_id = send_now(webhook(gateway.url, sender="Sonnenschn"), sms(text="Hallo Anna, ä ö ü ß €"))
    [request] = gateway.requests
    assert transport_id == "gw-4711"
    assert request.path == "/sms"
    assert json.loads(request.body) == {
        "id": "0b9e3a52-4c1f-4a6e-9d0c-5f2b7c8d9e10", "to": ANNA, "from": "Sonnenschn",
        "text": "Hallo Anna, ä ö ü ß €",
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer gateway-token"
    assert request.headers["idempotency-key"] == "0b9e3a52-4c1f-4a6e-9d0c-5f2b7c8d9e10"
    expected = hmac.new(b"shared-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-konsent-signature"] == f"sha256={expected}"


def test_the_webhook_sends_the_messages_sender_name_and_keeps_konsents_id_when_the_provider_gives_none():
    with provider(status=200, answer=b"OK") as gateway:
        transport_id = send_now(webhook(gateway.url, token=None, signing_secret=None), sms())
    [request] = gateway.requests
    assert transport_id == "0b9e3a52-4c1f-4a6e-9d0c-5f2b7c8d9e10"
    assert json.loads(request.body)["from"] == "Salon Sonnenschein"
    assert "authorization" not in request.headers
    assert "x-konsent-signature" not in request.headers


@pytest.mark.parametrize(("status", "answer", "permanent"), [
    (400, {"code": 21211, "message": f"The 'To' number {ANNA} is not a valid phone number.", "status": 400}, True),
    (400, {"code": 21614, "message": f"'To' number {ANNA} is not a valid mobile number", "status": 400}, True),
    (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}, True),
    (400, {"code": 21606, "message": "The 'From' phone number provided is not valid", "status": 400}, False),
    (400, {"code": 21408, "message": f"Permission to send an SMS has not been enabled for {ANNA}"}, False),
    (401, {"code": 20003, "message": "Authenticate", "status": 401}, False),
    (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, False),
    (500, {"code": 20500, "message": "Internal Server Error", "status": 500}, False),
    (503, b"<html>Service Unavailable</html>", False),
])
def test_twilio_refusals_are_classified_and_never_quote_the_number(status, answer, permanent):
    with provider(status=status, answer=answer) as gateway, pytest.raises(TransportError) as failure:
        send_now(twilio(gateway.url), sms())
    assert failure.value.permanent is permanent
    assert str(status) in str(failure.value)
    assert "4915123456789" not in str(failure.value)


@pytest.mark.parametrize(("status", "permanent"), [
    (400, True), (404, True), (410, True), (422, True),
    (401, False), (403, False), (408, False), (429, False), (500, False), (502, False), (503, False),
    (302, False),  # a moved endpoint is configuration, not the recipient's fault
])
def test_webhook_refusals_are_permanent_for_4xx_and_temporary_for_the_rest(status, permanent):
    with provider(status=status, answer={"error": f"bad number {ANNA}"}) as gateway, \
            pytest.raises(TransportError) as failure:
        send_now(webhook(gateway.url), sms())
    assert failure.value.permanent is permanent
    assert "4915123456789" not in str(failure.value)


def test_a_provider_that_does_not_answer_in_time_is_a_temporary_failure():
    with provider(hang=True) as gateway, pytest.raises(TransportError) as failure:
        send_now(twilio(gateway.url, timeout=0.2), sms())
    assert failure.value.permanent is False
    assert "no answer within 0.2 s" in str(failure.value)
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("transport", [twilio, webhook])
def test_a_refused_connection_is_a_temporary_failure(transport):
    with pytest.raises(TransportError) as failure:
        send_now(transport(f"http://127.0.0.1:{free_port()}"), sms())
    assert failure.value.permanent is False


def test_a_recipient_that_is_no_phone_number_fails_permanently_without_a_request():
    with provider() as gateway, pytest.raises(TransportError) as failure:
        send_now(twilio(gateway.url), sms(to="anna@example.com"))
    assert failure.value.permanent is True
    assert gateway.requests == []


def test_a_shared_client_keeps_one_connection_for_many_messages():
    async def send_three(url: str) -> list[str]:
        async with httpx.AsyncClient() as client:
            transport = HttpSmsTransport(twilio_settings(url), client=client)
            return [await transport.send(sms(id=f"message-{n}")) for n in range(3)]

    with provider() as gateway:
        assert asyncio.run(send_three(gateway.url)) == ["SM" + "ab" * 16] * 3
    assert len(gateway.requests) == 3
    assert len({request.client_port for request in gateway.requests}) == 1


@pytest.mark.parametrize(("settings", "field"), [
    ({"provider": "twilio", "account": ACCOUNT, "sender": "Salon"}, "sms.account"),  # no token
    ({"provider": "twilio", "account": ACCOUNT, "token": "t", "sender": "Salon Sonnenschein"}, "sms.sender"),
    ({"provider": "twilio", "account": ACCOUNT, "token": "t", "sender": "12345"}, "sms.sender"),
    ({"provider": "twilio", "account": ACCOUNT, "token": "t", "sender": "Salon", "url": "http://example.com"},
     "sms.url"),
    ({"provider": "webhook"}, "sms.url"),
    ({"provider": "webhook", "url": "ftp://gateway.example/sms"}, "sms.url"),
    ({"provider": "webhook", "url": "https://"}, "sms.url"),
    ({"provider": "file"}, "sms.provider"),
])
def test_a_provider_configured_wrongly_is_refused_naming_the_setting(settings, field):
    with pytest.raises(InputError) as error:
        HttpSmsTransport(SmsSettings(**settings))
    assert error.value.field == field


def test_the_settings_choose_the_sms_transport(tmp_path):
    assert isinstance(transport_for(Settings(data_dir=tmp_path), "sms"), FileSmsTransport)
    chosen = transport_for(Settings(data_dir=tmp_path, sms=SmsSettings(
        provider="webhook", url="https://gateway.example/sms")), "sms")
    assert isinstance(chosen, HttpSmsTransport)
    assert isinstance(chosen.format, Webhook)


def test_credentials_do_not_show_in_the_settings():
    settings = SmsSettings(provider="twilio", token="twilio-auth-token", signing_secret="shared-secret")
    assert "twilio-auth-token" not in repr(settings)
    assert "shared-secret" not in repr(settings)


# Inbound: the provider posts a reply to konsent's webhook.

TWILIO_DOCS = {  # Twilio's published example of its request signature (auth token 12345)
    "url": "https://mycompany.com/myapp.php?foo=1&bar=2",
    "form": {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
             "To": "+18005551212"},
    "signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
}


def twilio_format() -> Twilio:
    return Twilio(SmsSettings(provider="twilio", account=ACCOUNT, token=SecretStr("12345"), sender="Salon"))


def test_a_twilio_signature_is_verified_as_twilio_documents_it():
    body = urlencode(TWILIO_DOCS["form"]).encode()
    twilio_format().verify_inbound(TWILIO_DOCS["url"], {"X-Twilio-Signature": TWILIO_DOCS["signature"]}, body)
    with_port = TWILIO_DOCS["url"].replace(".com/", ".com:443/")
    twilio_format().verify_inbound(with_port, {"x-twilio-signature": TWILIO_DOCS["signature"]}, body)


@pytest.mark.parametrize(("url", "form", "signature"), [
    (TWILIO_DOCS["url"] + "&x=1", TWILIO_DOCS["form"], TWILIO_DOCS["signature"]),
    (TWILIO_DOCS["url"], {**TWILIO_DOCS["form"], "Digits": "9999"}, TWILIO_DOCS["signature"]),
    (TWILIO_DOCS["url"], TWILIO_DOCS["form"], "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
    (TWILIO_DOCS["url"], TWILIO_DOCS["form"], ""),
])
def test_a_twilio_webhook_with_anything_changed_is_rejected(url, form, signature):
    with pytest.raises(WebhookRejected):
        twilio_format().verify_inbound(url, {"X-Twilio-Signature": signature}, urlencode(form).encode())


def test_a_twilio_inbound_sms_is_read_from_its_form():
    body = urlencode({"MessageSid": "SM" + "cd" * 16, "AccountSid": ACCOUNT, "From": ANNA, "To": "+4930123456",
                      "Body": "Stopp", "NumMedia": "0"}).encode()
    inbound = twilio_format().parse_inbound("application/x-www-form-urlencoded", body)
    assert (inbound.sender, inbound.text, inbound.provider_id) == (ANNA, "Stopp", "SM" + "cd" * 16)


def webhook_format(secret: str | None = "shared-secret") -> Webhook:
    return Webhook(SmsSettings(provider="webhook", url="https://gateway.example/sms", signing_secret=secret))


def signed(body: bytes, secret: bytes = b"shared-secret") -> dict[str, str]:
    return {"X-Konsent-Signature": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()}


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", json.dumps({"from": ANNA, "text": "STOP", "id": "in-1"}).encode()),
    ("application/json; charset=utf-8", json.dumps({"from": ANNA, "text": "STOP", "id": "in-1"}).encode()),
    ("application/x-www-form-urlencoded", urlencode({"from": ANNA, "text": "STOP", "id": "in-1"}).encode()),
])
def test_a_webhook_inbound_sms_is_read_from_json_or_a_form(content_type, body):
    provider_format = webhook_format()
    provider_format.verify_inbound("https://konsent.example/sms", signed(body), body)
    inbound = provider_format.parse_inbound(content_type, body)
    assert (inbound.sender, inbound.text, inbound.provider_id) == (ANNA, "STOP", "in-1")


@pytest.mark.parametrize(("secret", "headers"), [
    ("shared-secret", {}),
    ("shared-secret", signed(b'{"from": "+4915123456789", "text": "STOP"}', secret=b"guessed")),
    (None, signed(b'{"from": "+4915123456789", "text": "STOP"}')),  # no secret configured: nothing is trusted
])
def test_a_webhook_inbound_sms_without_a_valid_signature_is_rejected(secret, headers):
    with pytest.raises(WebhookRejected):
        webhook_format(secret).verify_inbound("https://konsent.example/sms", headers,
                                              b'{"from": "+4915123456789", "text": "STOP"}')


@pytest.mark.parametrize(("content_type", "body", "field"), [
    ("application/json", b"[1, 2]", "body"),
    ("application/json", b"{not json", "body"),
    ("application/json", b'{"text": "STOP"}', "from"),
    ("application/json", b'{"from": 4915123456789, "text": "STOP"}', "from"),
    ("text/plain", b"STOP", "content_type"),
    ("application/json", b'{"from": "\xff", "text": "STOP"}', "body"),
])
def test_a_malformed_inbound_body_names_what_is_wrong(content_type, body, field):
    with pytest.raises(InputError) as error:
        webhook_format().parse_inbound(content_type, body)
    assert error.value.field == field
