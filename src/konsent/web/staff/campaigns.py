"""Campaigns: the list, the builder with its live audience preview, the list behind each bar of the
preview, scheduling, pausing, resuming, cancelling, and the progress and results of the sending.

The preview follows the form: campaign.js posts the form to `/preview?fragment=1` whenever it changes
and puts the answer in place; without JavaScript the "show preview" button posts it and the whole
builder comes back with the preview. Neither saves anything. Owner and staff build and send; the data
protection officer sees it all read-only."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from konsent.errors import Conflict, InputError, NotFound
from konsent.services import campaigns
from konsent.web.deps import konsent_of
from konsent.web.staff import campaign_plan
from konsent.web.staff.campaign_form import Entered, entered
from konsent.web.staff.campaign_shown import progress_of, shown
from konsent.web.staff.guard import Anyone, Desk, Staff
from konsent.web.staff.pages import redirect, render
from konsent.web.staff.words_more import REASON_COUNTS, reason_sentence

router = APIRouter()
Builder = Annotated[Entered, Depends(entered)]
MONTHS = range(1, 13)


@router.get("/campaigns", response_class=HTMLResponse)
def listed(request: Request, who: Anyone) -> HTMLResponse:
    return render(request, who, "campaigns.html", section="campaigns",
                  campaigns=campaign_plan.listed(konsent_of(request), who.organisation_id))


@router.get("/campaigns/new", response_class=HTMLResponse)
def new(request: Request, who: Desk) -> HTMLResponse:
    return _builder(request, who, None, Entered(), preview=None)


@router.post("/campaigns", response_model=None)
def create(request: Request, who: Desk, form: Builder) -> Response:
    try:
        created = campaigns.create(konsent_of(request), who.organisation_id, form.draft(), actor=who.actor)
    except InputError as error:
        return _builder(request, who, None, form, preview=None, error=error, status=422)
    return redirect(f"/staff/campaigns/{created.id}?saved=1")


@router.post("/campaigns/preview", response_class=HTMLResponse)
def preview_new(request: Request, who: Desk, form: Builder, fragment: bool = False) -> HTMLResponse:
    return _previewed(request, who, None, form, fragment=fragment)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def show(request: Request, who: Anyone, campaign_id: str, saved: bool = False,
         queued: Annotated[int | None, Query(ge=0)] = None) -> HTMLResponse:
    app = konsent_of(request)
    view = campaigns.show(app, who.organisation_id, campaign_id)
    preview = None
    if view.status == campaigns.DRAFT:
        preview = shown(campaigns.preview(app, who.organisation_id, campaign_id), who.lang, campaign_id)
    return _builder(request, who, view, Entered.of(view, who.timezone), preview=preview, saved=saved, queued=queued)


@router.post("/campaigns/{campaign_id}", response_model=None)
def change(request: Request, who: Desk, campaign_id: str, form: Builder) -> Response:
    app = konsent_of(request)
    view = campaigns.show(app, who.organisation_id, campaign_id)
    try:
        campaigns.update(app, who.organisation_id, campaign_id, form.draft(stored=view), actor=who.actor)
    except InputError as error:
        return _builder(request, who, view, form, preview=None, error=error, status=422)
    return redirect(f"/staff/campaigns/{campaign_id}?saved=1")


@router.post("/campaigns/{campaign_id}/preview", response_class=HTMLResponse)
def preview_changed(request: Request, who: Desk, campaign_id: str, form: Builder,
                    fragment: bool = False) -> HTMLResponse:
    view = campaigns.show(konsent_of(request), who.organisation_id, campaign_id)
    return _previewed(request, who, view, form, fragment=fragment)


def _previewed(request: Request, who: Staff, view: campaigns.CampaignView | None, form: Entered, *,
               fragment: bool) -> HTMLResponse:
    """The preview of what the form holds now; nothing is saved."""
    error: InputError | None = None
    preview = None
    try:
        preview = shown(campaign_plan.draft_preview(konsent_of(request), who.organisation_id,
                                                    form.draft(for_preview=True, stored=view)), who.lang, None)
    except InputError as refused:
        error = refused
    if fragment:
        return render(request, who, "campaign_preview.html", status=422 if error else 200, preview=preview,
                      preview_error=_problem(error), unsaved=True)
    return _builder(request, who, view, form, preview=preview, error=error, status=422 if error else 200,
                    unsaved=True)


@router.get("/campaigns/{campaign_id}/left-out/{channel}/{code}", response_class=HTMLResponse)
def left_out(request: Request, who: Anyone, campaign_id: str, channel: Annotated[str, Path(pattern=r"^(email|sms)$")],
             code: Annotated[str, Path(pattern=r"^[a-z_]{1,80}$")],
             after: Annotated[str, Query(max_length=36)] = "") -> HTMLResponse:
    """The list behind one bar of the preview: every customer left out on the channel for the reason."""
    app = konsent_of(request)
    view = campaigns.show(app, who.organisation_id, campaign_id)
    found = campaign_plan.left_out(app, who.organisation_id, campaign_id, channel, code, after=after)
    fallback = None
    if code not in REASON_COUNTS:  # only the plan has a sentence for it, from its first example
        plan = campaigns.preview(app, who.organisation_id, campaign_id)
        fallback = next((r.texts.get(who.lang) for c in plan.channels if c.channel == channel for r in c.reasons
                         if r.code == code), None)
    return render(request, who, "campaign_left_out.html", section="campaigns", campaign=view, found=found,
                  sentence=reason_sentence(code, found.total, channel, who.lang, fallback), first_page=not after)


@router.get("/campaigns/{campaign_id}/progress", response_class=HTMLResponse)
def progress(request: Request, who: Anyone, campaign_id: str) -> HTMLResponse:
    """The progress fragment campaign.js asks for while the campaign is being sent."""
    app = konsent_of(request)
    return render(request, who, "campaign_progress.html", progress=progress_of(app, who, campaign_id))


@router.post("/campaigns/{campaign_id}/schedule", response_model=None)
def schedule(request: Request, who: Desk, campaign_id: str) -> Response:
    app = konsent_of(request)
    try:
        done = campaigns.schedule(app, who.organisation_id, campaign_id, actor=who.actor)
    except (InputError, NotFound, Conflict) as error:
        return _refused(request, who, campaign_id, error)
    return redirect(f"/staff/campaigns/{campaign_id}?queued={done.queued}")


@router.post("/campaigns/{campaign_id}/pause", response_model=None)
def pause(request: Request, who: Desk, campaign_id: str) -> Response:
    return _change(request, who, campaign_id, campaigns.pause)


@router.post("/campaigns/{campaign_id}/resume", response_model=None)
def resume(request: Request, who: Desk, campaign_id: str) -> Response:
    return _change(request, who, campaign_id, campaigns.resume)


@router.post("/campaigns/{campaign_id}/cancel", response_model=None)
def cancel(request: Request, who: Desk, campaign_id: str,
           confirm: Annotated[str, Form(max_length=8)] = "") -> Response:
    if confirm != "yes":
        return _refused(request, who, campaign_id, InputError("confirm", "tick the box to cancel the campaign"))
    return _change(request, who, campaign_id, campaigns.cancel)


def _change(request: Request, who: Staff, campaign_id: str,
            service: Callable[..., campaigns.CampaignStatus]) -> Response:
    try:
        service(konsent_of(request), who.organisation_id, campaign_id, actor=who.actor)
    except Conflict as error:
        return _refused(request, who, campaign_id, error)
    return redirect(f"/staff/campaigns/{campaign_id}")


def _refused(request: Request, who: Staff, campaign_id: str, error: InputError | NotFound | Conflict) -> Response:
    """The campaign page again, saying why; a campaign of another organisation stays a 404."""
    app = konsent_of(request)
    view = campaigns.show(app, who.organisation_id, campaign_id)
    problem = error if isinstance(error, InputError) else InputError("campaign", str(error))
    preview = None
    if view.status == campaigns.DRAFT:
        preview = shown(campaigns.preview(app, who.organisation_id, campaign_id), who.lang, campaign_id)
    return _builder(request, who, view, Entered.of(view, who.timezone), preview=preview, error=problem,
                    status=409 if isinstance(error, Conflict) else 422)


def _problem(error: InputError | None) -> dict[str, str] | None:
    return {"field": error.field, "message": error.message} if error else None


def _builder(request: Request, who: Staff, view: campaigns.CampaignView | None, values: Entered, *,
             preview: object, error: InputError | None = None, status: int = 200, saved: bool = False,
             queued: int | None = None, unsaved: bool = False) -> HTMLResponse:
    app = konsent_of(request)
    editable = who.may("desk") and (view is None or view.status == campaigns.DRAFT)
    progress = progress_of(app, who, view.id) if view is not None and view.status != campaigns.DRAFT else None
    return render(
        request, who, "campaign.html", status=status, section="campaigns", campaign=view, values=values,
        kinds=campaigns.KINDS, channels=("email", "sms"), months=MONTHS, editable=editable,
        templates=campaign_plan.template_keys(app, who.organisation_id), preview=preview,
        preview_error=None, unsaved=unsaved, error=_problem(error), saved=saved, queued=queued, progress=progress,
    )
