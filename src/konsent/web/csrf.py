"""Signed double-submit tokens for the forms on /p and /s.

The page sets a cookie holding a random nonce and puts a token into the form: the nonce and the
form's scope, signed with the server's key and dated. A POST passes when the form's token is
genuine, fresh, for this form, and names the nonce the cookie brings. Another site can make a
browser post, but it cannot read the cookie, nor forge the signature; a cookie planted from a
sibling domain is stopped by the `__Host-` prefix (whenever cookies are secure).

The /c and /u forms need none of this — their link token is the secret — and the RFC 8058
one-click POST must work without any cookie at all.

The sign-up form may be framed by the host's page (`/s/<slug>?embed=1`): there the cookie is a
third-party one, so it is sent `SameSite=None; Secure; Partitioned` (on https), which browsers keep
per embedding site.
"""

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from konsent.config import Settings

FIELD = "csrf"
LIFETIME_SECONDS = 12 * 3600  # a form left open for half a day still sends


@dataclass(frozen=True, slots=True)
class Issued:
    token: str  # for the form's hidden field
    nonce: str  # for the cookie


class CsrfRefused(Exception):
    """The form's token is missing, forged, stale, for another form, or without its cookie."""


def secure(settings: Settings) -> bool:
    configured = settings.security.cookie_secure
    return configured if configured is not None else settings.server.public_url.startswith("https://")


def cookie_name(settings: Settings) -> str:
    return "__Host-konsent_csrf" if secure(settings) else "konsent_csrf"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.security.secret_key.get_secret_value(), salt="konsent.csrf")


def issue(request: Request, settings: Settings, scope: str) -> Issued:
    """A token for a form of `scope`; the nonce of the cookie the browser already has is kept."""
    nonce = request.cookies.get(cookie_name(settings), "")
    if len(nonce) != 43 or not nonce.replace("-", "").replace("_", "").isalnum():
        nonce = secrets.token_urlsafe(32)
    return Issued(str(_serializer(settings).dumps({"n": nonce, "s": scope})), nonce)


def set_cookie(response: Response, settings: Settings, issued: Issued, *, framed: bool = False) -> None:
    is_secure = secure(settings)
    third_party = framed and is_secure  # SameSite=None needs Secure; over http a framed form cannot send
    response.set_cookie(
        cookie_name(settings), issued.nonce, max_age=LIFETIME_SECONDS, path="/", secure=is_secure, httponly=True,
        samesite="none" if third_party else "lax", partitioned=third_party,
    )


def check(request: Request, settings: Settings, scope: str, token: str | None) -> None:
    nonce = request.cookies.get(cookie_name(settings))
    if not token or not nonce:
        raise CsrfRefused
    try:
        data = _serializer(settings).loads(token, max_age=LIFETIME_SECONDS)
    except BadSignature:
        raise CsrfRefused from None
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("n"), str):
        raise CsrfRefused
    if not hmac.compare_digest(data["n"].encode(), nonce.encode()):
        raise CsrfRefused
