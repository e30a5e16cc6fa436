"""Ids in API paths are konsent's own: never an email address or a phone number, which would land
in access logs. Anything else cannot name a row, so it is simply not found."""

import uuid
from typing import Annotated

from fastapi import Path

from konsent.errors import NotFound

TextId = Annotated[str, Path(description="The consent text version's id.", min_length=1, max_length=64,
                             pattern=r"^[A-Za-z0-9_-]+$")]


def checked(what: str, value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        # The value may be an address someone typed in: not repeated back.
        raise NotFound(what, value, personal=True) from None
    return value
