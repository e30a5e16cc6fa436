"""API: automations — messages set up once and sent by konsent itself, on a host event or on time."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import Field

from konsent.services import automations
from konsent.services.automations import AutomationView
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, In, Out
from konsent.web.api.paging import Page
from konsent.web.api.values import Name, actor
from konsent.web.deps import konsent_of

router = APIRouter(tags=["automations"])

Trigger = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$",
                              json_schema_extra={"enum": list(automations.TRIGGERS)})]
Channel = Literal["email", "sms"]


class Settings(In):
    """Each trigger knows its own; another's is refused with its name. Left out: kept as it was."""

    hours_before: int | None = Field(default=None, description="appointment_reminder: hours before the start.")
    hours_after: int | None = Field(default=None, description="review_request: hours after the start.")
    days_without_visit: int | None = Field(default=None, description="winback: days since the last visit.")
    at: Annotated[str, Field(pattern=r"^\d\d:\d\d$")] | None = Field(
        default=None, description="birthday_greeting: the local time, HH:MM.")
    advertised_categories: Annotated[list[Name], Field(max_length=100)] | None = Field(
        default=None, description="Advertising automations: the categories they advertise.")


class Setup(In):
    channel: Channel = "email"
    template_key: Name | None = Field(default=None, description="Default: the trigger's name.")
    settings: Settings = Field(default_factory=Settings)


class AutomationOut(Out):
    id: str
    trigger: str
    kind: str
    channel: str
    template_key: str
    enabled: bool
    settings: dict[str, Any]

    @classmethod
    def of(cls, view: AutomationView) -> "AutomationOut":
        return cls.model_validate(view)


@router.get("/automations", response_model=Page[AutomationOut], responses=READ_ERRORS)
def listed(request: Request, caller: Reader) -> Page[AutomationOut]:
    """Every automation the organisation set up (at most one per trigger and channel), on or off."""
    views = automations.listed(konsent_of(request), caller.organisation_id)
    return Page[AutomationOut](items=[AutomationOut.of(v) for v in views])


@router.put("/automations/{trigger}", response_model=AutomationOut, responses=WRITE_ERRORS)
def enable(request: Request, trigger: Trigger, setup: Setup, caller: Writer) -> AutomationOut:
    """Switch an automation on or change its settings; a missing template gets konsent's default wording."""
    return AutomationOut.of(automations.enable(
        konsent_of(request), caller.organisation_id, trigger, channel=setup.channel, template_key=setup.template_key,
        settings=setup.settings.model_dump(exclude_none=True), actor=actor(caller)))


@router.delete("/automations/{trigger}", response_model=AutomationOut, responses=WRITE_ERRORS)
def disable(request: Request, trigger: Trigger, caller: Writer, channel: Channel = "email") -> AutomationOut:
    """Switch it off; what it queued already is decided again when sent."""
    return AutomationOut.of(automations.disable(konsent_of(request), caller.organisation_id, trigger,
                                                channel=channel, actor=actor(caller)))
