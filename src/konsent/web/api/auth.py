"""API authentication: `Authorization: Bearer ks_…`; every route gets the caller's organisation."""

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from konsent.services import api_keys
from konsent.services.api_keys import Caller
from konsent.web.deps import konsent_of, quick_read
from konsent.web.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="An API key of the organisation: `ks_…`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
_REFUSALS = {"read": "this API key may not read; it needs the `read` scope",
             "write": "this API key may not change anything; it needs the `write` scope"}


async def caller(request: Request, credentials: Bearer) -> Caller:
    # Async: a plain function would cost every API request a hand-over to a worker thread.
    app = konsent_of(request)
    return known(await quick_read(app, api_keys.authenticate, app, presented(credentials)))


def presented(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise ApiError(401, "unauthorised", "send an API key as `Authorization: Bearer ks_…`")
    return credentials.credentials


def known(found: Caller | None) -> Caller:
    if found is None:
        raise ApiError(401, "unauthorised", "this API key is not valid or has been revoked")
    return found


def allowed(who: Caller, scope: str) -> Caller:
    if not who.may(scope):
        raise ApiError(403, "forbidden", _REFUSALS[scope])
    return who


async def reader(who: Annotated[Caller, Depends(caller)]) -> Caller:
    return allowed(who, "read")


async def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    return allowed(who, "write")


def platform(request: Request, credentials: Bearer) -> None:
    """A vendor hosting many organisations: `Authorization: Bearer <settings.security.platform_token>`."""
    configured = konsent_of(request).settings.security.platform_token
    if configured is None:
        raise ApiError(403, "forbidden", "this server has no platform token configured; organisations are "
                                         "created with `konsent org create`")
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(),
                                                      configured.get_secret_value().encode()):
        raise ApiError(401, "unauthorised", "send the platform token as `Authorization: Bearer …`")


Reader = Annotated[Caller, Depends(reader)]
Writer = Annotated[Caller, Depends(writer)]
Platform = Depends(platform)
