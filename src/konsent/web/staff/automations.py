"""Automations: which ones are on, on which channel, with their timing. Switching one on or off, or
changing its timing, is a setting: the owner's. Everyone else reads."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from konsent.domain.kinds import NATURE, Nature
from konsent.errors import InputError
from konsent.services import automations
from konsent.services.automations import TRIGGERS
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, Owner, Staff
from konsent.web.staff.pages import redirect, render

router = APIRouter()
Trigger = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]
Channel = Annotated[str, Path(pattern=r"^(email|sms)$")]
Number = Annotated[str, Form(max_length=6)]


@dataclass(frozen=True)
class Shown:
    trigger: str
    events: tuple[str, ...]
    settings: tuple[str, ...]  # the names of the settings it takes
    defaults: dict[str, Any]
    channels: list[tuple[str, automations.AutomationView | None]]


def _shown(app: Any, organisation_id: str) -> list[Shown]:
    found = {(a.trigger, a.channel): a for a in automations.listed(app, organisation_id)}
    return [Shown(name, trigger.events, _settings_of(name), dict(trigger.defaults),
                  [(channel, found.get((name, channel))) for channel in automations.CHANNELS])
            for name, trigger in TRIGGERS.items()]


def _settings_of(trigger: str) -> tuple[str, ...]:
    spec = TRIGGERS[trigger]
    extra = ("advertised_categories",) if NATURE[spec.kind] is Nature.ADVERTISING else ()
    return (*spec.defaults, *extra)


@router.get("/automations", response_class=HTMLResponse)
def listed(request: Request, who: Anyone, saved: bool = False) -> HTMLResponse:
    return _page(request, who, saved=saved)


def _page(request: Request, who: Staff, *, saved: bool = False, error: InputError | None = None,
          failed: str = "", status: int = 200) -> HTMLResponse:
    return render(request, who, "automations.html", status=status, section="automations", saved=saved,
                  automations=_shown(konsent_of(request), who.organisation_id), failed=failed,
                  error={"field": error.field, "message": error.message} if error else None)


@router.post("/automations/{trigger}/{channel}/enable", response_model=None)
def enable(request: Request, who: Owner, trigger: Trigger, channel: Channel,
           template_key: Annotated[str, Form(max_length=100)] = "", hours_before: Number = "",
           hours_after: Number = "", days_without_visit: Number = "", at: Annotated[str, Form(max_length=5)] = "",
           advertised_categories: Annotated[str, Form(max_length=2000)] = "") -> Response:
    if trigger not in TRIGGERS:
        raise InputError("trigger", f"must be one of {', '.join(TRIGGERS)}")
    given = {"hours_before": hours_before, "hours_after": hours_after, "days_without_visit": days_without_visit,
             "at": at, "advertised_categories": advertised_categories}
    try:
        settings = {name: _setting(name, given[name]) for name in _settings_of(trigger) if given[name].strip()}
        automations.enable(konsent_of(request), who.organisation_id, trigger, channel=channel,
                           template_key=template_key.strip() or None, settings=settings, actor=who.actor)
    except InputError as error:
        return _page(request, who, error=error, failed=f"{trigger}-{channel}", status=422)
    return redirect(f"/staff/automations?saved=1#automation-{trigger}")


@router.post("/automations/{trigger}/{channel}/disable", response_model=None)
def disable(request: Request, who: Owner, trigger: Trigger, channel: Channel) -> Response:
    automations.disable(konsent_of(request), who.organisation_id, trigger, channel=channel, actor=who.actor)
    return redirect(f"/staff/automations?saved=1#automation-{trigger}")


def _setting(name: str, value: str) -> Any:
    value = value.strip()
    if name == "advertised_categories":
        return [part.strip() for part in value.split(",") if part.strip()]
    if name == "at":
        return value
    if not value.isdigit():
        raise InputError(f"settings.{name}", "must be a whole number")
    return int(value)
