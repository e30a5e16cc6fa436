"""`konsent campaign …`: draft a campaign, see whom it reaches and why not, schedule and follow it."""

import sys
from datetime import datetime
from typing import Annotated, Any

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.domain.audience import SendPlan
from konsent.errors import InputError
from konsent.services import audience, campaigns
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft, CampaignStatus

app = typer.Typer(help="Campaigns: whom a message may reach, and why not the others.", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")
CampaignArgument = typer.Argument(help="The campaign's id.")
Many = list[str] | None
LARGE = 1_000  # from this many recipients on, scheduling shows a progress bar


def _moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field, "use YYYY-MM-DD HH:MM (the organisation's time) or ISO 8601") from None


@app.command("create")
@friendly
def create(
    name: Annotated[str, typer.Argument(help="What the campaign is called, e.g. 'Winter care offer'.")],
    org: Annotated[str, OrgOption],
    kind: Annotated[str, typer.Option(help="newsletter, product_ad, review_request, winback, …")],
    channel: Annotated[list[str], typer.Option(help="email or sms; repeatable.")],
    template: Annotated[str, typer.Option(help="The template key the message is written from.")],
    category: Annotated[Many, typer.Option(help="Advertised category; repeatable.")] = None,
    at: Annotated[str | None, typer.Option(help="Day and time in the organisation's time zone.")] = None,
    customer_type: Annotated[Many, typer.Option("--type", help="Only consumer or business; repeatable.")] = None,
    locale: Annotated[Many, typer.Option(help="Only customers with this language; repeatable.")] = None,
    jurisdiction: Annotated[Many, typer.Option(help="Only DE, AT or CH; repeatable.")] = None,
    tag: Annotated[Many, typer.Option(help="Only customers with any of these tags; repeatable.")] = None,
    bought: Annotated[Many, typer.Option(help="Only customers who bought any of these categories.")] = None,
    last_visit_before: Annotated[str | None, typer.Option(help="Latest purchase or booking before this.")] = None,
    last_visit_after: Annotated[str | None, typer.Option(help="Latest purchase or booking after this.")] = None,
    birthday_month: Annotated[int | None, typer.Option(help="Only customers born in this month (1-12).")] = None,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Draft a campaign: what it sends, on which channels, to whom and when."""
    segment = Segment(
        types=tuple(customer_type or ()), locales=tuple(locale or ()), jurisdictions=tuple(jurisdiction or ()),
        tags=tuple(tag or ()), bought=tuple(bought or ()),
        last_visit_before=_moment(last_visit_before, "last_visit_before"),
        last_visit_after=_moment(last_visit_after, "last_visit_after"), birthday_month=birthday_month,
    )
    draft = CampaignDraft(name=name, kind=kind, channels=channel, template_key=template,
                          advertised_categories=category or [], segment=segment, send_at=_moment(at, "at"))
    view = campaigns.create(app_from_env(), org, draft, actor=actor_or_user(actor))
    emit(view.as_dict(), as_json, lambda d: f"drafted campaign {d['id']}"
         + (f" for {d['local_time']}" if d["local_time"] else " (to go out when scheduled)"))


@app.command("preview")
@friendly
def preview(
    campaign: Annotated[str, CampaignArgument],
    org: Annotated[str, OrgOption],
    at: Annotated[str | None, typer.Option(help="Decide for this moment instead of the scheduled one.")] = None,
    lang: Annotated[str, typer.Option(help="de or en.")] = "en",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Who receives the campaign, who is left out, and why — decided as at the moment of sending."""
    moment = _moment(at, "at")
    if moment is not None and moment.tzinfo is None:
        raise InputError("at", "give a UTC offset, e.g. 2026-12-01T09:00:00+01:00")
    result = campaigns.preview(app_from_env(), org, campaign, at=moment)
    emit(result.to_dict(), as_json, lambda _d: describe(result, "de" if lang == "de" else "en"))


def describe(result: SendPlan, lang: str) -> str:
    lines = [f"{result.kind} at {result.at.isoformat(timespec='minutes')}"]
    for channel in result.channels:
        bases = ", ".join(f"{basis} {count:,}" for basis, count in sorted(channel.bases.items()))
        lines.append(f"{channel.channel}: {channel.included:,} of {channel.audience:,} receive it"
                     + (f" ({bases})" if bases else "") + f"; {channel.excluded:,} left out")
        lines += [f"  ! {count:,} despite warning {code}" for code, count in sorted(channel.warnings.items())]
        for reason in channel.reasons:
            text = reason.texts.get(lang, reason.code)
            examples = f"  e.g. {', '.join(reason.examples)}" if reason.examples else ""
            lines.append(f"  {reason.count:>9,}  {text} [{reason.code}]{examples}")
    return "\n".join(lines)


@app.command("schedule")
@friendly
def schedule(
    campaign: Annotated[str, CampaignArgument],
    org: Annotated[str, OrgOption],
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Queue the campaign for every allowed recipient, in one transaction (the worker sends it)."""
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= LARGE and not as_json:
            bar = typer.progressbar(length=total, label="deciding and queueing", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done)

    try:
        result = campaigns.schedule(app_from_env(), org, campaign, actor=actor_or_user(actor), progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    emit({"campaign": result.campaign_id, "at": result.at, "queued": result.queued,
          "considered": result.considered}, as_json,
         lambda d: f"queued {d['queued']:,} messages for {d['at']} ({d['considered']:,} customers and channels "
                   "considered; the others are left out, see `konsent campaign preview`)")


def _status(result: CampaignStatus, as_json: bool) -> None:
    emit(result.as_dict(), as_json, lambda d: f"campaign {d['id']}: {d['status']}; messages: "
         + ", ".join(f"{state} {count:,}" for state, count in d["messages"].items()))


@app.command("pause")
@friendly
def pause(
    campaign: Annotated[str, CampaignArgument], org: Annotated[str, OrgOption],
    actor: Annotated[str | None, ActorOption] = None, as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Hold the messages not yet sent."""
    _status(campaigns.pause(app_from_env(), org, campaign, actor=actor_or_user(actor)), as_json)


@app.command("resume")
@friendly
def resume(
    campaign: Annotated[str, CampaignArgument], org: Annotated[str, OrgOption],
    actor: Annotated[str | None, ActorOption] = None, as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Send what was held."""
    _status(campaigns.resume(app_from_env(), org, campaign, actor=actor_or_user(actor)), as_json)


@app.command("cancel")
@friendly
def cancel(
    campaign: Annotated[str, CampaignArgument], org: Annotated[str, OrgOption],
    actor: Annotated[str | None, ActorOption] = None, as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Withhold every message not yet sent."""
    _status(campaigns.cancel(app_from_env(), org, campaign, actor=actor_or_user(actor)), as_json)


@app.command("status")
@friendly
def status(
    campaign: Annotated[str, CampaignArgument], org: Annotated[str, OrgOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The campaign and its messages per state (queued, in flight, sent, failed, …)."""
    _status(campaigns.status(app_from_env(), org, campaign), as_json)


@app.command("test-send")
@friendly
def send_test(
    campaign: Annotated[str, CampaignArgument],
    org: Annotated[str, OrgOption],
    to: Annotated[list[str], typer.Option(help="A staff email address or phone number; repeatable.")],
    locale: Annotated[str | None, typer.Option(help="de or en; default: the organisation's.")] = None,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Send the campaign's message to staff, as a customer would get it; no customer is involved."""
    results = campaigns.send_test(app_from_env(), org, campaign, to, locale=locale, actor=actor_or_user(actor))
    emit([vars(r) for r in results], as_json, lambda rows: "\n".join(
        f"{r['channel']} to {r['to']}: {r['status']}" + (f" ({r['error']})" if r["error"] else "") for r in rows))
    if any(r.status != "sent" for r in results):
        raise typer.Exit(1)


@app.command("refresh-audience")
@friendly
def refresh_audience(
    org: Annotated[str, OrgOption], as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Rebuild the projection previews read (after an upgrade, or to repair it)."""
    count = audience.rebuild_all(app_from_env(), org)
    emit({"customers": count}, as_json, lambda d: f"projected {d['customers']:,} customers")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="campaign")
