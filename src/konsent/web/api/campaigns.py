"""API: campaigns — draft one, see whom it reaches and why not the others, schedule it, follow it."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import select

from konsent.domain import Jurisdiction
from konsent.domain.audience import SendPlan
from konsent.errors import InputError
from konsent.services import campaigns, organisations
from konsent.services.api_keys import Caller
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft, CampaignStatus, CampaignView
from konsent.storage import tables as t
from konsent.web.api import idempotency
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, In, Lang, Locale, Out
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import AwareMoment, CampaignId, Line, Moment, Name, Print, actor
from konsent.web.deps import konsent_of

router = APIRouter(tags=["campaigns"])

Status = Literal["draft", "scheduled", "sending", "paused", "cancelled", "completed"]
STATUSES = get_args(Status)
Kind = Annotated[str, Field(json_schema_extra={"enum": list(campaigns.KINDS)})]
Channels = Annotated[list[Literal["email", "sms"]], Field(min_length=1, max_length=2)]
Categories = Annotated[list[Name], Field(max_length=100)]


class Audience(In):
    """Which customers the campaign is meant for; every part left empty selects everyone."""

    types: list[Literal["consumer", "business"]] = Field(default_factory=list)
    locales: list[Locale] = Field(default_factory=list)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    tags: Annotated[list[Name], Field(max_length=50)] = Field(default_factory=list, description="Any of them.")
    bought: Categories = Field(default_factory=list, description="Bought any of these categories, ever.")
    last_visit_before: Moment | None = Field(default=None, description="Without an offset: the organisation's time.")
    last_visit_after: Moment | None = None
    birthday_month: Annotated[int, Field(ge=1, le=12)] | None = None

    def segment(self) -> Segment:
        return Segment(types=tuple(self.types), locales=tuple(self.locales),
                       jurisdictions=tuple(j.value for j in self.jurisdictions), tags=tuple(self.tags),
                       bought=tuple(self.bought), last_visit_before=self.last_visit_before,
                       last_visit_after=self.last_visit_after, birthday_month=self.birthday_month)


class NewCampaign(In):
    name: Line
    kind: Kind
    channels: Channels
    template_key: Name
    advertised_categories: Categories = Field(default_factory=list)
    audience: Audience = Field(default_factory=Audience)
    send_at: Moment | None = Field(default=None, description=(
        "When it goes; without an offset, the organisation's local time. Null: when scheduled."))


class CampaignChanges(In):
    """Only the fields given change (a draft only); `send_at: null` sends it when scheduled."""

    name: Line | None = None
    kind: Kind | None = None
    channels: Channels | None = None
    template_key: Name | None = None
    advertised_categories: Categories | None = None
    audience: Audience | None = None
    send_at: Moment | None = None


class AudienceOut(Out):
    types: list[str] = Field(default_factory=list)
    locales: list[str] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    bought: list[str] = Field(default_factory=list)
    last_visit_before: datetime | None = None
    last_visit_after: datetime | None = None
    birthday_month: int | None = None


class CampaignOut(Out):
    id: str
    name: str
    kind: str
    channels: list[str]
    advertised_categories: list[str]
    template_key: str
    audience: AudienceOut
    send_at: datetime | None
    local_time: str | None = Field(description="`send_at` in the organisation's time zone.")
    status: str = Field(json_schema_extra={"enum": list(STATUSES)})

    @classmethod
    def of(cls, view: CampaignView) -> "CampaignOut":
        return cls(id=view.id, name=view.name, kind=view.kind, channels=list(view.channels),
                   advertised_categories=list(view.advertised_categories), template_key=view.template_key,
                   audience=AudienceOut.model_validate(view.segment),
                   send_at=view.scheduled_at.astimezone(UTC) if view.scheduled_at else None,
                   local_time=view.local_time, status=view.status)


class LeftOut(Out):
    code: str
    count: int
    text: str | None = Field(description="Why, in the owner's words (?lang), from the first example's decision.")
    examples: list[str] = Field(description="A few of the customers left out for it (ids).")


class ChannelPreview(Out):
    channel: str
    audience: int = Field(description="Customers the audience filter selects.")
    included: int
    bases: dict[str, int] = Field(description="Legal basis → recipients.")
    warnings: dict[str, int] = Field(description="Warning code → recipients it goes to despite it.")
    excluded: int
    reasons: list[LeftOut] = Field(description="A customer left out for several reasons counts under each.")


class Preview(Out):
    campaign_id: str
    at: datetime
    kind: str
    advertised_categories: list[str]
    included: int
    excluded: int
    channels: list[ChannelPreview]

    @classmethod
    def of(cls, campaign_id: str, plan: SendPlan, lang: str) -> "Preview":
        channels = [
            ChannelPreview(channel=c.channel, audience=c.audience, included=c.included, bases=dict(c.bases),
                           warnings=dict(c.warnings), excluded=c.excluded,
                           reasons=[LeftOut(code=r.code, count=r.count, text=r.texts.get(lang),
                                            examples=list(r.examples)) for r in c.reasons])
            for c in plan.channels
        ]
        return cls(campaign_id=campaign_id, at=plan.at.astimezone(UTC), kind=plan.kind,
                   advertised_categories=list(plan.advertised_categories), included=plan.included,
                   excluded=plan.excluded, channels=channels)


class Scheduled(Out):
    campaign_id: str
    at: datetime
    queued: int = Field(description="Messages queued: one per allowed recipient and channel.")
    considered: int = Field(description="Customers of the audience, summed over the channels.")


class Progress(Out):
    queued: int
    in_flight: int
    sent: int
    failed: int
    awaiting_retry: int
    withheld: int


class StatusOut(Out):
    campaign: CampaignOut
    messages: Progress
    total: int
    progress: Literal["not_started", "sending", "done"] = Field(
        description="`done` once every message is sent, withheld or failed")

    @classmethod
    def of(cls, status: CampaignStatus) -> "StatusOut":
        return cls(campaign=CampaignOut.of(status.campaign), messages=Progress.model_validate(status.counts),
                   total=sum(status.counts.values()), progress=status.progress)


class TestSend(In):
    to: Annotated[list[Line], Field(min_length=1, max_length=10)] = Field(
        description="Staff email addresses or phone numbers; each gets the campaign's channel for it.")
    locale: Locale | None = None


class StaffCopy(Out):
    channel: str
    to: str
    status: Literal["sent", "failed"]
    transport_id: str | None
    error: str | None


class TestSent(Out):
    messages: list[StaffCopy]


# --- routes -------------------------------------------------------------------------------------

@router.post("/campaigns", status_code=201, response_model=CampaignOut, responses=WRITE_ERRORS)
def create(request: Request, campaign: NewCampaign, caller: Writer, print_: Print) -> JSONResponse:
    """Draft a campaign: what it sends, on which channels, to whom and when."""
    def run() -> CampaignOut:
        return CampaignOut.of(campaigns.create(konsent_of(request), caller.organisation_id, _draft(campaign),
                                               actor=actor(caller)))

    return idempotency.replay_or_run(request, caller, print_, run, status_code=201)


@router.get("/campaigns", response_model=Page[CampaignOut], responses=READ_ERRORS)
def listed(request: Request, caller: Reader, status: Status | None = None, limit: Limit = 50,
           cursor: Cursor = None) -> Page[CampaignOut]:
    """The organisation's campaigns, oldest first."""
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        query = select(t.Campaign).where(t.Campaign.organisation_id == organisation.id)
        if status is not None:
            query = query.where(t.Campaign.status == status)
        rows = session.scalars(paged(query, t.Campaign.created_at, t.Campaign.id, cursor, limit)).all()
        zone = ZoneInfo(organisation.timezone)
        return page(rows, limit, lambda r: (r.created_at, r.id), lambda r: _out(r, zone))


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, responses=READ_ERRORS)
def show(request: Request, campaign_id: CampaignId, caller: Reader) -> CampaignOut:
    return CampaignOut.of(campaigns.show(konsent_of(request), caller.organisation_id, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut, responses=WRITE_ERRORS)
def change(request: Request, campaign_id: CampaignId, changes: CampaignChanges, caller: Writer) -> CampaignOut:
    """Change a draft; once scheduled, a campaign holds what it promised its recipients."""
    given = changes.model_fields_set

    def changed(draft: CampaignDraft) -> None:
        for name in ("name", "kind", "channels", "template_key", "advertised_categories"):
            if name in given:
                value = getattr(changes, name)
                if value is None:
                    raise InputError(name, "cannot be removed; leave it out to keep it")
                setattr(draft, name, value)
        if "audience" in given:
            draft.segment = (changes.audience or Audience()).segment()
        if "send_at" in given:
            draft.send_at = changes.send_at

    return CampaignOut.of(campaigns.amend(konsent_of(request), caller.organisation_id, campaign_id, changed,
                                          actor=actor(caller)))


@router.get("/campaigns/{campaign_id}/preview", response_model=Preview, responses=READ_ERRORS)
def preview(request: Request, campaign_id: CampaignId, caller: Reader, lang: Lang | None = None,
            at: Annotated[AwareMoment | None, Query(description="Decide for this moment, not the scheduled one.")]
            = None) -> Preview:
    """Who receives the campaign, who is left out and why — decided as at the moment of sending."""
    app = konsent_of(request)
    with app.db.unit_of_work() as session:
        wording = lang or organisations.get(session, caller.organisation_id).locale
    return Preview.of(campaign_id, campaigns.preview(app, caller.organisation_id, campaign_id, at=at), wording)


@router.post("/campaigns/{campaign_id}/schedule", response_model=Scheduled, responses=WRITE_ERRORS)
def schedule(request: Request, campaign_id: CampaignId, caller: Writer, print_: Print) -> JSONResponse:
    """Queue the campaign for every allowed recipient, with the decision that allowed each, in one go."""
    def run() -> Scheduled:
        done = campaigns.schedule(konsent_of(request), caller.organisation_id, campaign_id,
                                  actor=actor(caller))
        return Scheduled(campaign_id=done.campaign_id, at=done.at, queued=done.queued, considered=done.considered)

    return idempotency.replay_or_run(request, caller, print_, run)


@router.post("/campaigns/{campaign_id}/pause", response_model=StatusOut, responses=WRITE_ERRORS)
def pause(request: Request, campaign_id: CampaignId, caller: Writer, print_: Print) -> JSONResponse:
    """Hold the messages not yet sent; one being handed over still goes."""
    return _change(request, campaign_id, caller, print_, campaigns.pause)


@router.post("/campaigns/{campaign_id}/resume", response_model=StatusOut, responses=WRITE_ERRORS)
def resume(request: Request, campaign_id: CampaignId, caller: Writer, print_: Print) -> JSONResponse:
    """Send what was held: when the campaign was meant to go, or at once if that has passed."""
    return _change(request, campaign_id, caller, print_, campaigns.resume)


@router.post("/campaigns/{campaign_id}/cancel", response_model=StatusOut, responses=WRITE_ERRORS)
def cancel(request: Request, campaign_id: CampaignId, caller: Writer, print_: Print) -> JSONResponse:
    """Withhold every message not yet sent; what was sent stays sent."""
    return _change(request, campaign_id, caller, print_, campaigns.cancel)


def _change(request: Request, campaign_id: str, caller: Caller, print_: str,
            service: Callable[..., CampaignStatus]) -> JSONResponse:
    def run() -> StatusOut:
        return StatusOut.of(service(konsent_of(request), caller.organisation_id, campaign_id,
                                    actor=actor(caller)))

    return idempotency.replay_or_run(request, caller, print_, run)


@router.get("/campaigns/{campaign_id}/status", response_model=StatusOut, responses=READ_ERRORS)
def status(request: Request, campaign_id: CampaignId, caller: Reader) -> StatusOut:
    """The campaign and its messages by state: queued, in flight, sent, failed, awaiting retry, withheld."""
    return StatusOut.of(campaigns.status(konsent_of(request), caller.organisation_id, campaign_id))


@router.post("/campaigns/{campaign_id}/test-send", response_model=TestSent, responses=WRITE_ERRORS)
def test_send(request: Request, campaign_id: CampaignId, test: TestSend, caller: Writer,
              print_: Print) -> JSONResponse:
    """The campaign as a customer would get it, to staff; no customer is looked at, nothing is queued."""
    def run() -> TestSent:
        sent = campaigns.send_test(konsent_of(request), caller.organisation_id, campaign_id, list(test.to),
                                   locale=test.locale, actor=actor(caller))
        return TestSent(messages=[StaffCopy.model_validate(copy) for copy in sent])

    return idempotency.replay_or_run(request, caller, print_, run)


def _draft(campaign: NewCampaign) -> CampaignDraft:
    return CampaignDraft(name=campaign.name, kind=campaign.kind, channels=list(campaign.channels),
                         template_key=campaign.template_key, advertised_categories=list(campaign.advertised_categories),
                         segment=campaign.audience.segment(), send_at=campaign.send_at)


def _out(row: t.Campaign, zone: ZoneInfo) -> CampaignOut:
    at = row.scheduled_at
    return CampaignOut(id=row.id, name=row.name, kind=row.kind, channels=list(row.channels),
                       advertised_categories=list(row.advertised_categories), template_key=row.template_key,
                       audience=AudienceOut.model_validate(row.audience), send_at=at,
                       local_time=at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at else None,
                       status=row.status)
