"""SMS through an HTTP provider: Twilio's Messages API, or a generic JSON webhook for any other.

Twilio (`KONSENT__SMS__PROVIDER=twilio`)::

    POST {url, default https://api.twilio.com}/2010-04-01/Accounts/{account}/Messages.json
    Authorization: Basic base64("{account}:{token}")
    Content-Type: application/x-www-form-urlencoded
    To=%2B4915123456789&From=Salon&Body=...       (MessagingServiceSid=MG... instead of From for a service)
    -> 201 {"sid": "SM...", "status": "queued", ...}        the sid is the transport id
    -> 4xx {"code": 21211, "message": "...", "status": 400}  only the status and the code are kept

Generic webhook (`KONSENT__SMS__PROVIDER=webhook`)::

    POST {url}
    Content-Type: application/json
    Authorization: Bearer {token}                                  when a token is set
    Idempotency-Key: {konsent message id}                          the same on every retry
    X-Konsent-Signature: sha256={hex HMAC-SHA256(signing_secret, body)}   when a secret is set
    {"id": "<konsent message id>", "to": "+4915123456789", "from": "<sender>", "text": "..."}
    -> 2xx {"id": "<provider id>"}            any 2xx is accepted; without an id konsent's id stands in

Failures, both formats: a 4xx means this request will never succeed (a bad number, a text too long),
so it is permanent — except 401/403 (credentials), 408, 425 and 429, and Twilio's codes that blame
the sender or the account rather than the recipient: once an operator fixes those, a retry delivers.
5xx, timeouts and connection errors are temporary. The provider's own words are never kept: they
quote the number. Inbound messages (replies such as STOP) are read by `parse_inbound` after
`verify_inbound`; docs/sms-providers.md has both directions.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from pydantic import SecretStr

from konsent.config import SmsSettings
from konsent.errors import InputError, KonsentError
from konsent.transports import OutgoingMessage, TransportError
from konsent.transports.sms import E164

TWILIO_API = "https://api.twilio.com"
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")  # what networks show as a sender name
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
RETRYABLE_4XX = frozenset({401, 403, 408, 425, 429})
# Twilio error codes that blame the sender or the account: bad credentials, an invalid or
# unregistered From, a region not enabled, a trial account. Fixed once, every retry delivers.
TWILIO_CONFIGURATION = frozenset({20003, 21212, 21408, 21606, 21608})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
SIGNATURE_HEADER = "X-Konsent-Signature"


class WebhookRejected(KonsentError):
    """An inbound webhook that does not prove it comes from the provider: answer 403, read nothing."""


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    url: str
    headers: dict[str, str]
    content: bytes


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A message a person sent to the business's number, as the provider reported it."""

    sender: str  # the person's number, as the provider wrote it
    text: str
    provider_id: str | None = None


class ProviderFormat(Protocol):
    def request(self, message: OutgoingMessage) -> ProviderRequest: ...
    def refusal(self, response: httpx.Response) -> TransportError: ...
    def verify_inbound(self, url: str, headers: Mapping[str, str], body: bytes) -> None: ...
    def parse_inbound(self, content_type: str, body: bytes) -> InboundSms: ...


def permanent(status: int, code: int | None = None) -> bool:
    """Whether trying the same request again is hopeless."""
    return 400 <= status < 500 and status not in RETRYABLE_4XX and code not in TWILIO_CONFIGURATION


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _endpoint(url: str, field: str) -> str:
    parts = urlsplit(url)
    # Credentials travel with every request: in clear text only to a gateway on this machine.
    if not parts.hostname or (parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK)):
        raise InputError(field, "must be an https:// URL (http:// only to localhost)")
    return url


def signature(secret: str, body: bytes) -> str:
    """The generic webhook's `X-Konsent-Signature`, for requests konsent sends and receives."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _with_and_without_port(url: str) -> list[str]:
    parts = urlsplit(url)
    host = parts.netloc.rpartition(":")[0] if parts.port else parts.netloc
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = parts.port or default
    return [url, parts._replace(netloc=host).geturl(), parts._replace(netloc=f"{host}:{port}").geturl()]


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body", "is not UTF-8") from None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _provider_id(value: Any) -> str | None:
    """An id worth storing: a short printable token, never a provider's free text."""
    if isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable() and " " not in value:
        return value
    return None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Twilio:
    def __init__(self, settings: SmsSettings) -> None:
        token = _secret(settings.token)
        if not settings.account or not token:
            raise InputError("sms.account", "Twilio needs the Account SID (sms.account) and auth token (sms.token)")
        sender = settings.sender or ""
        if not (E164.match(sender) or ALPHANUMERIC_SENDER.match(sender) or MESSAGING_SERVICE.match(sender)):
            raise InputError("sms.sender", "must be an E.164 number, up to 11 letters and digits, or an MG… SID")
        base = _endpoint(settings.url or TWILIO_API, "sms.url").rstrip("/")
        self.url = f"{base}/2010-04-01/Accounts/{settings.account}/Messages.json"
        self.sender = sender
        self.token = token
        credentials = base64.b64encode(f"{settings.account}:{token}".encode()).decode()
        self.authorization = f"Basic {credentials}"

    def request(self, message: OutgoingMessage) -> ProviderRequest:
        origin = "MessagingServiceSid" if MESSAGING_SERVICE.match(self.sender) else "From"
        form = urlencode({"To": message.to, origin: self.sender, "Body": message.text}).encode()
        headers = {"Authorization": self.authorization, "Content-Type": "application/x-www-form-urlencoded"}
        return ProviderRequest(self.url, headers, form)

    def refusal(self, response: httpx.Response) -> TransportError:
        code = _json_object(response).get("code")
        code = code if isinstance(code, int) else None
        said = f"sms: twilio answered {response.status_code}" + (f" (error {code})" if code else "")
        return TransportError(said, permanent=permanent(response.status_code, code))

    def verify_inbound(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        # Twilio signs the URL it called followed by each form field's name and its distinct values,
        # all sorted; like its own libraries, accept the URL with and without the default port.
        fields = parse_qsl(_text(body), keep_blank_values=True)
        names = sorted({name for name, _ in fields})
        tail = "".join(name + value for name in names for value in sorted({v for n, v in fields if n == name}))
        given = _lower(headers).get("x-twilio-signature", "")
        for candidate in _with_and_without_port(url):
            digest = hmac.new(self.token.encode(), (candidate + tail).encode(), hashlib.sha1).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), given):
                return
        raise WebhookRejected("sms: the Twilio signature does not match")

    def parse_inbound(self, content_type: str, body: bytes) -> InboundSms:
        fields = dict(parse_qsl(_text(body), keep_blank_values=True))
        if not fields.get("From"):
            raise InputError("From", "missing from the inbound message")
        return InboundSms(fields["From"], fields.get("Body", ""), _provider_id(fields.get("MessageSid")))


class Webhook:
    def __init__(self, settings: SmsSettings) -> None:
        if not settings.url:
            raise InputError("sms.url", "the webhook provider needs the URL to post messages to")
        self.url = _endpoint(settings.url, "sms.url")
        self.sender = settings.sender
        self.token = _secret(settings.token)
        self.secret = _secret(settings.signing_secret)


    def request(self, message: OutgoingMessage) -> ProviderRequest:
        body = json.dumps({"id": message.id, "to": message.to, "from": self.sender or message.sender,
                           "text": message.text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        return ProviderRequest(self.url, headers, body)

    def refusal(self, response: httpx.Response) -> TransportError:
        return TransportError(f"sms: the provider answered {response.status_code}",
                              permanent=permanent(response.status_code))

    def verify_inbound(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        if not self.secret:
            raise WebhookRejected("sms: set sms.signing_secret to accept inbound messages")
        if not hmac.compare_digest(signature(self.secret, body), _lower(headers).get(SIGNATURE_HEADER.lower(), "")):
            raise WebhookRejected("sms: the webhook signature does not match")

    def parse_inbound(self, content_type: str, body: bytes) -> InboundSms:
        media = content_type.partition(";")[0].strip().lower()
        if media == "application/json":
            try:
                fields = json.loads(_text(body))
            except ValueError:
                raise InputError("body", "is not JSON") from None
        elif media == "application/x-www-form-urlencoded":
            fields = dict(parse_qsl(_text(body), keep_blank_values=True))
        else:
            raise InputError("content_type", "must be application/json or application/x-www-form-urlencoded")
        if not isinstance(fields, dict):
            raise InputError("body", "must be an object with from and text")
        sender, text = fields.get("from"), fields.get("text", "")
        if not isinstance(sender, str) or not sender or not isinstance(text, str):
            raise InputError("from", "the inbound message needs from (a phone number) and text")
        return InboundSms(sender, text, _provider_id(fields.get("id")))


FORMATS: dict[str, type[Twilio] | type[Webhook]] = {"twilio": Twilio, "webhook": Webhook}
# What the webhook answers the provider: content type and body. An empty TwiML response sends no reply SMS.
INBOUND_ANSWER = {
    "twilio": ("text/xml", b'<?xml version="1.0" encoding="UTF-8"?><Response/>'),
    "webhook": ("application/json", b'{"ok": true}'),
}


def provider_format(settings: SmsSettings) -> ProviderFormat:
    if settings.provider not in FORMATS:
        raise InputError("sms.provider", f"must be one of {', '.join(FORMATS)} to use an HTTP provider")
    return FORMATS[settings.provider](settings)


class HttpSmsTransport:
    """Sends each SMS with one HTTP request. Pass a shared `client` to keep connections open."""

    def __init__(self, settings: SmsSettings, *, client: httpx.AsyncClient | None = None) -> None:
        self.format = provider_format(settings)
        self.timeout = settings.timeout
        self.client = client
        # Loading the trusted certificates takes ~40 ms: once per transport, not once per message.
        self.tls = httpx.create_ssl_context()

    async def send(self, message: OutgoingMessage) -> str:
        if message.channel != "sms":
            raise InputError("channel", "the SMS transport carries SMS only")
        if not E164.match(message.to):
            raise TransportError("sms: the recipient is not an E.164 number", permanent=True)
        request = self.format.request(message)
        try:
            if self.client is not None:
                response = await self._post(self.client, request)
            else:
                async with httpx.AsyncClient(verify=self.tls) as client:
                    response = await self._post(client, request)
        except httpx.TimeoutException:
            # The provider may have taken the message all the same; its Idempotency-Key (webhook)
            # lets it drop the retry, Twilio offers no such key.
            raise TransportError(f"sms: no answer within {self.timeout:g} s", permanent=False) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"sms: cannot reach the provider ({type(exc).__name__})", permanent=False) from None
        if not response.is_success:
            raise self.format.refusal(response)
        body = _json_object(response)
        return _provider_id(body.get("sid", body.get("id"))) or message.id

    async def _post(self, client: httpx.AsyncClient, request: ProviderRequest) -> httpx.Response:
        return await client.post(request.url, headers=request.headers, content=request.content,
                                 timeout=self.timeout, follow_redirects=False)
