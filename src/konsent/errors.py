"""Errors a caller can act on. Each names the field or thing it is about."""


class KonsentError(Exception):
    """Base of every error konsent raises on purpose."""


class InputError(KonsentError, ValueError):
    """Bad input at the edge: nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(KonsentError, LookupError):
    def __init__(self, what: str, key: str, *, personal: bool = False) -> None:
        # A customer is looked up by email or phone too: such a key is not repeated back.
        super().__init__(f"{what} not found" if personal else f"{what} not found: {key}")
        self.what = what


class Conflict(KonsentError):
    """The change contradicts what is stored (a duplicate, a used text, a spent token)."""


class RateLimited(KonsentError):
    """Too many of something in too short a time (DOI messages to one address)."""
