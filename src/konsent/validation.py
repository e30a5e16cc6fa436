"""Contact points normalised and validated at the edge, with the field named on refusal."""

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from konsent.errors import InputError


def normalise_email(value: str, field: str = "email") -> str:
    """Lower-cased domain and local part: one person, one address, one suppression hash."""
    if "\n" in value or "\r" in value:
        raise InputError(field, "must be one line")
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        # The validator's text quotes the address; say what is wrong without repeating it.
        raise InputError(field, f"not a valid email address ({_without(str(exc), value)})") from None
    return checked.normalized.lower()


def normalise_phone(value: str, field: str = "phone", region: str | None = None) -> str:
    """E.164 (+4915112345678). A national number is read in `region` (the organisation's country)."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise InputError(field, "not a phone number (use E.164, e.g. +4915112345678)") from None
    if not phonenumbers.is_valid_number(number):
        raise InputError(field, "not a valid phone number (use E.164, e.g. +4915112345678)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_postal(value: str, field: str = "postal_address") -> str:
    lines = [line.strip() for line in value.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        raise InputError(field, "needs at least a street line and a town line")
    return "\n".join(lines)


def _without(message: str, value: str) -> str:
    for part in {value, value.strip(), *value.strip().split("@")}:
        if len(part) > 2:
            message = message.replace(part, "…")
    return message
