"""Values the operations routes take, checked at the edge so that no database sees what it cannot store:
PostgreSQL refuses NUL in text and JSON, both refuse unpaired surrogates, and a moment near year 9999
overflows once it is moved to UTC. Each is a 422 naming the field instead of a 500."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from pydantic import AfterValidator, BeforeValidator, Field

from konsent.errors import InputError
from konsent.services.api_keys import Caller
from konsent.web.api import idempotency, ids

_EARLIEST, _LATEST = 1900, 9000  # far enough from datetime's ends to add a month or change zones


def storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a character that is not valid Unicode") from None
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _sane(moment: datetime) -> datetime:
    if not _EARLIEST <= moment.year <= _LATEST:
        raise ValueError(f"must lie between the years {_EARLIEST} and {_LATEST}")
    return moment


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00")
    return _sane(moment)


_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
Line = Annotated[str, Field(min_length=1, max_length=200, pattern=_ONE_LINE), AfterValidator(storable)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=_ONE_LINE), AfterValidator(storable)]
Address = Annotated[str, Field(min_length=1, max_length=320, pattern=_ONE_LINE), AfterValidator(storable)]
Text = Annotated[str, Field(max_length=100_000), AfterValidator(storable)]
def _written_out(value: Any) -> Any:
    # The schema promises ISO 8601 text; a bare number would be taken for seconds since 1970.
    if not isinstance(value, str | datetime):
        raise ValueError("must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00+01:00")
    return value


Moment = Annotated[datetime, BeforeValidator(_written_out), AfterValidator(_sane)]
AwareMoment = Annotated[datetime, BeforeValidator(_written_out), AfterValidator(_aware)]



def _campaign(campaign_id: Annotated[str, Path(description="The campaign's id.")]) -> str:
    return ids.checked("campaign", campaign_id)


def _customer(customer_id: Annotated[str, Path(description="The customer's konsent id.")]) -> str:
    return ids.checked("customer", customer_id)


def _message(message_id: Annotated[str, Path(description="The message's id.")]) -> str:
    return ids.checked("message", message_id)


# Ids in paths are konsent's own (web/api/ids.py): anything else names no row and is not found.
CampaignId = Annotated[str, Depends(_campaign)]
CustomerId = Annotated[str, Depends(_customer)]
MessageId = Annotated[str, Depends(_message)]
TemplateKey = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$",
                                  description="The template's key, e.g. newsletter.")]



async def _fingerprint(request: Request, idempotency_key: Annotated[str | None, Header(
        alias=idempotency.HEADER, min_length=1, max_length=200,
        description="Your key for this write: sent again, it gets the first answer instead of a second change.",
)] = None) -> str:
    return await idempotency.fingerprint(request)


# The request's fingerprint for `Idempotency-Key`, read before the (synchronous) handler runs; the
# header is named here so that the schema shows it.
Print = Annotated[str, Depends(_fingerprint)]


def actor(caller: Caller) -> str:
    """How the audit log names a change made through the API: by the key that made it."""
    return f"api-key:{caller.key_id}"


def check_document(value: Any, field: str) -> None:
    """A JSON document from the caller holds only text a database can store (walked without recursion)."""
    stack: list[tuple[Any, str]] = [(value, field)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key, where)
                stack.append((inner, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{index}]") for index, inner in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, where)


def _check_text(value: str, where: str) -> None:
    try:
        storable(value)
    except ValueError as error:
        raise InputError(where, str(error)) from None
