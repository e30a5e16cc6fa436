"""The staff session: a cookie signed with the server's secret key; the server keeps no session rows.

It names the account, carries a fingerprint of the account's password hash and last sign-out (a new
password or signing out ends every older session, on every device, and any copy of its cookie), a
random nonce the CSRF tokens are bound to, and its own expiry. The expiry
is checked against the application's clock (`app.now()`), never the system's, and the account is
looked up on every request, so a disabled account is out at its next click.

HttpOnly keeps scripts away from it, SameSite=Lax keeps other sites' forms from carrying it, and it
is Secure whenever konsent is served over https.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from konsent.config import Settings

COOKIE = "konsent_staff"
PATH = "/staff"


@dataclass(frozen=True)
class StaffSession:
    account_id: str
    fingerprint: str
    nonce: str
    expires_at: datetime


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.security.secret_key.get_secret_value(), salt="konsent.staff-session",
                             signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256})


def secure(settings: Settings) -> bool:
    if settings.security.cookie_secure is not None:
        return settings.security.cookie_secure
    return settings.server.public_url.startswith("https://")


def begin(response: Response, settings: Settings, *, account_id: str, fingerprint: str, now: datetime) -> StaffSession:
    """Sign the person in on `response`."""
    lifetime = timedelta(hours=settings.security.session_hours)
    opened = StaffSession(account_id, fingerprint, secrets.token_urlsafe(16), (now + lifetime).replace(microsecond=0))
    value = _serializer(settings).dumps({"a": opened.account_id, "f": opened.fingerprint, "n": opened.nonce,
                                         "x": int(opened.expires_at.timestamp())})
    response.set_cookie(COOKIE, value, max_age=int(lifetime.total_seconds()), path=PATH, httponly=True,
                        samesite="lax", secure=secure(settings))
    return opened


def current(request: Request, settings: Settings, *, now: datetime) -> StaffSession | None:
    """The request's genuine, unexpired session, or None."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        payload = _serializer(settings).loads(value)
        found = StaffSession(str(payload["a"]), str(payload["f"]), str(payload["n"]),
                             datetime.fromtimestamp(int(payload["x"]), now.tzinfo))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    return found if now < found.expires_at else None


def end(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax", secure=secure(settings))
