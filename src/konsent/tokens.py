"""Signed, expiring tokens for links in messages (`/c/<token>`): confirm a sign-up, unsubscribe,
open the preference centre.

A token carries the organisation's id (to find the key), one opaque id (a DOI request, a
message; for the preference centre the customer's konsent id) and an expiry — never an
address. It is signed with the organisation's secret and a salt per purpose, so a DOI token
cannot be replayed as another kind of link. The expiry is checked against the caller's clock
(`app.now()`), never the system's, so that tests and replays move it by hand.

The payload is packed to bytes rather than JSON: the link has to fit in an SMS. It opens with a
format byte, which also keeps the token from starting with "-": base64 of a random organisation
id does that once in 64, and a shell or command line then reads the token as an option.
"""

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import ClassVar

from itsdangerous import BadSignature, Signer

from konsent.errors import KonsentError

DOI = "doi"
UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"  # the subject is a customer id: the link opens that person's preference centre

_FORMAT = b"\x01"  # base64 of 0x01 starts with "A"
_EXPIRY_BYTES = 5  # seconds since the epoch; enough for thirty thousand years
_PAYLOAD_BYTES = len(_FORMAT) + 16 + 16 + _EXPIRY_BYTES


class TokenError(KonsentError):
    """A link a customer followed that cannot be honoured; `text(lang)` is for the page they see."""

    texts: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        super().__init__(self.texts["en"])

    def text(self, lang: str = "en") -> str:
        return self.texts.get(lang, self.texts["en"])


class TokenInvalid(TokenError):
    texts: ClassVar[dict[str, str]] = {
        "en": "This link is not valid. Please check that you opened the whole link from the message.",
        "de": "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie den vollständigen Link aus der "
              "Nachricht geöffnet haben.",
    }


class TokenExpired(TokenError):
    texts: ClassVar[dict[str, str]] = {
        "en": "This link has expired. Nothing was changed; please sign up again to get a new one.",
        "de": "Dieser Link ist abgelaufen. Es wurde nichts geändert; bitte melden Sie sich erneut an, "
              "um einen neuen zu erhalten.",
    }


@lru_cache(maxsize=256)
def _signer(secret: str, purpose: str) -> Signer:
    # Cached: the key derivation runs once per organisation and purpose, not once per message.
    return Signer(bytes.fromhex(secret), salt=f"konsent.{purpose}", key_derivation="hmac",
                  digest_method=hashlib.sha256)


@lru_cache(maxsize=256)
def _keyed(secret: str, purpose: str) -> "hmac.HMAC":
    """An HMAC already keyed with the derived key, to copy for each token. Not `hmac.digest`: that
    call lets go of the GIL, and taking it back behind a busy thread cost the worker a millisecond."""
    return hmac.new(_signer(secret, purpose).derive_key(), digestmod=hashlib.sha256)


@lru_cache(maxsize=1024)
def _id_bytes(organisation_id: str) -> bytes:
    return uuid.UUID(organisation_id).bytes


def issue(secret: str, purpose: str, *, organisation_id: str, subject: str, expires_at: datetime) -> str:
    """A URL-safe token for `subject` (a konsent id) that `verify` accepts until `expires_at`."""
    expiry = int(expires_at.timestamp()).to_bytes(_EXPIRY_BYTES, "big")
    payload = _FORMAT + _id_bytes(organisation_id) + uuid.UUID(subject).bytes + expiry
    packed = base64.urlsafe_b64encode(payload).rstrip(b"=")
    # What `Signer.sign` writes, with the derived key kept: itsdangerous derives it anew for every
    # token, and the worker signs one per message. `verify` still checks through itsdangerous.
    mac = _keyed(secret, purpose).copy()
    mac.update(packed)
    signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")
    return (packed + b"." + signature).decode("ascii")


def organisation_of(token: str) -> str:
    """The organisation a token claims to belong to — unverified: only to look up its secret."""
    return _unpack(token)[0]


def verify(secret: str, purpose: str, token: str, *, now: datetime) -> str:
    """The subject id of a genuine, unexpired token; TokenInvalid or TokenExpired otherwise."""
    try:
        _signer(secret, purpose).unsign(token.encode("ascii"))
    except (BadSignature, UnicodeEncodeError):
        raise TokenInvalid from None
    _, subject, expires_at = _unpack(token)
    if now >= expires_at:
        raise TokenExpired
    return subject


def _unpack(token: str) -> tuple[str, str, datetime]:
    packed, _, _signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (binascii.Error, ValueError):
        raise TokenInvalid from None
    if len(payload) != _PAYLOAD_BYTES or not payload.startswith(_FORMAT):
        raise TokenInvalid
    organisation, subject, expiry = payload[1:17], payload[17:33], payload[33:]
    try:
        expires_at = datetime.fromtimestamp(int.from_bytes(expiry, "big"), UTC)
    except (ValueError, OverflowError, OSError):
        raise TokenInvalid from None
    return str(uuid.UUID(bytes=organisation)), str(uuid.UUID(bytes=subject)), expires_at
