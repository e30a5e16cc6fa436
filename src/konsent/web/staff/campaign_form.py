"""The campaign builder's form: what the browser sends, as entered (to show it again), and as a draft.
Days and times are the organisation's local ones; services/campaigns gives them its time zone."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form

from konsent.errors import InputError
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft, CampaignView

Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=2000)]


@dataclass
class Entered:
    name: str = ""
    kind: str = "newsletter"
    channels: list[str] = field(default_factory=lambda: ["email"])
    template_key: str = ""
    advertised: str = ""
    tags: str = ""
    bought: str = ""
    last_visit_after: str = ""
    last_visit_before: str = ""
    locale: str = ""
    birthday_month: str = ""
    send_day: str = ""
    send_time: str = ""

    def draft(self, *, for_preview: bool = False, stored: CampaignView | None = None) -> CampaignDraft:
        """The draft; refused with the field's name. A preview needs no name or template yet. What the
        form does not show of a stored campaign's audience (set through the API) is kept as it was."""
        kept = stored.segment if stored is not None else {}
        segment = Segment(
            types=tuple(kept.get("types", ())), jurisdictions=tuple(kept.get("jurisdictions", ())),
            locales=(self.locale,) if self.locale else (), tags=_listed(self.tags), bought=_listed(self.bought),
            last_visit_after=_day("segment.last_visit_after", self.last_visit_after),
            last_visit_before=_day("segment.last_visit_before", self.last_visit_before),
            birthday_month=_month(self.birthday_month),
        )
        name, template = self.name, self.template_key.strip()
        if for_preview:
            name, template = name.strip() or "-", template or "-"
        return CampaignDraft(name=name, kind=self.kind, channels=list(dict.fromkeys(self.channels)),
                             template_key=template, advertised_categories=list(_listed(self.advertised)),
                             segment=segment, send_at=self._send_at())

    def _send_at(self) -> datetime | None:
        if not self.send_day and not self.send_time:
            return None
        day = _day("send_at", self.send_day)
        if day is None:
            raise InputError("send_at", "give the day as well as the time")
        try:
            moment = time.fromisoformat(self.send_time) if self.send_time else time(9, 0)
        except ValueError:
            raise InputError("send_at", "give the time as HH:MM") from None
        return datetime.combine(day.date(), moment.replace(second=0, microsecond=0))

    @classmethod
    def of(cls, view: CampaignView, zone: str) -> "Entered":
        """A stored campaign as its form shows it, in the organisation's time zone."""
        segment, local = view.segment, ZoneInfo(zone)

        def day(name: str) -> str:
            value = segment.get(name)
            return datetime.fromisoformat(value).astimezone(local).date().isoformat() if value else ""

        send = view.scheduled_at.astimezone(local) if view.scheduled_at else None
        return cls(name=view.name, kind=view.kind, channels=list(view.channels), template_key=view.template_key,
                   advertised=", ".join(view.advertised_categories), tags=", ".join(segment.get("tags", ())),
                   bought=", ".join(segment.get("bought", ())), last_visit_after=day("last_visit_after"),
                   last_visit_before=day("last_visit_before"),
                   locale=segment["locales"][0] if len(segment.get("locales", ())) == 1 else "",
                   birthday_month=str(segment.get("birthday_month") or ""),
                   send_day=send.date().isoformat() if send else "", send_time=send.strftime("%H:%M") if send else "")


def entered(
    name: Short = "", kind: Annotated[str, Form(max_length=40)] = "",
    channels: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies the default
    template_key: Short = "", advertised: Long = "", tags: Long = "", bought: Long = "",
    last_visit_after: Annotated[str, Form(max_length=10)] = "",
    last_visit_before: Annotated[str, Form(max_length=10)] = "",
    locale: Annotated[str, Form(max_length=5)] = "", birthday_month: Annotated[str, Form(max_length=2)] = "",
    send_day: Annotated[str, Form(max_length=10)] = "", send_time: Annotated[str, Form(max_length=8)] = "",
) -> Entered:
    """The builder's fields, as a FastAPI dependency."""
    return Entered(name=name, kind=kind, channels=channels, template_key=template_key, advertised=advertised,
                   tags=tags, bought=bought, last_visit_after=last_visit_after, last_visit_before=last_visit_before,
                   locale=locale, birthday_month=birthday_month, send_day=send_day, send_time=send_time)


def _listed(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _day(field_name: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time())
    except ValueError:
        raise InputError(field_name, "give a day as YYYY-MM-DD") from None


def _month(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InputError("segment.birthday_month", "must be 1 to 12")
    return int(value)
