"""API authentication: `Authorization: Bearer ks_…`; every route gets the caller's organisation."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from konsent.services import api_keys
from konsent.services.api_keys import Caller
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="An API key of the organisation: `ks_…`")


def caller(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None:
        raise ApiError(401, "unauthorised", "send an API key as `Authorization: Bearer ks_…`")
    found = api_keys.authenticate(konsent_of(request), credentials.credentials)
    if found is None:
        raise ApiError(401, "unauthorised", "this API key is not valid or has been revoked")
    return found


def reader(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.may("read"):
        raise ApiError(403, "forbidden", "this API key may not read; it needs the `read` scope")
    return who


def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.may("write"):
        raise ApiError(403, "forbidden", "this API key may not change anything; it needs the `write` scope")
    return who


Reader = Annotated[Caller, Depends(reader)]
Writer = Annotated[Caller, Depends(writer)]
