"""The few words the messages need that are not in the templates: purposes, channels, dates."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PURPOSES = {
    "de": {
        "advertising": "Werbung",
        "newsletter": "unseren Newsletter",
        "product_ad": "Angebote zu unseren Produkten",
        "review_request": "Bitten um eine Bewertung",
        "feedback_survey": "Umfragen zu Ihrer Zufriedenheit",
        "birthday_greeting": "Geburtstagsgrüße",
        "winback": "Nachrichten, wenn wir länger nichts von Ihnen gehört haben",
    },
    "en": {
        "advertising": "advertising",
        "newsletter": "our newsletter",
        "product_ad": "offers on our products",
        "review_request": "requests to review us",
        "feedback_survey": "surveys about your satisfaction",
        "birthday_greeting": "birthday greetings",
        "winback": "messages when we have not heard from you for a while",
    },
}

CHANNELS = {
    "de": {"email": "per E-Mail", "sms": "per SMS"},
    "en": {"email": "by email", "sms": "by text message"},
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def what(purpose: str, channel: str, locale: str) -> str:
    """What the person signed up for: "unseren Newsletter per E-Mail"."""
    return f"{PURPOSES[locale].get(purpose, PURPOSES[locale]['advertising'])} {CHANNELS[locale][channel]}"


def moment(at: datetime, timezone: str, locale: str) -> str:
    """A date and time as the business's customers read it, in the business's own time zone."""
    local = _local(at, timezone)
    if locale == "de":
        return f"{local:%d.%m.%Y}, {local:%H:%M} Uhr"
    return f"{day(at, timezone, locale)}, {local:%H:%M}"


def day(at: datetime, timezone: str, locale: str) -> str:
    local = _local(at, timezone)
    if locale == "de":
        return f"{local:%d.%m.%Y}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def _local(at: datetime, timezone: str) -> datetime:
    try:
        return at.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return at
