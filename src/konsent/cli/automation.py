"""`konsent automation …` for the owner, `konsent event post` for the host system."""

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.errors import InputError
from konsent.services import automations, host_events
from konsent.services.automations import AutomationView, RunResult, Scheduled

app = typer.Typer(help="Automated messages: confirmations, reminders, greetings, win-back.", no_args_is_help=True)
events = typer.Typer(help="Events from the host system: bookings, orders, customers.", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")
ChannelOption = typer.Option(help="email or sms.")


@app.command("enable")
@friendly
def enable(
    trigger: Annotated[str, typer.Argument(help=", ".join(automations.TRIGGERS))],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, ChannelOption] = "email",
    template: Annotated[str | None, typer.Option(help="Template key; defaults to the trigger's name.")] = None,
    hours_before: Annotated[int | None, typer.Option(help="appointment_reminder: hours before the start.")] = None,
    hours_after: Annotated[int | None, typer.Option(help="review_request: hours after the start.")] = None,
    days_without_visit: Annotated[int | None, typer.Option(help="winback: days since the last visit.")] = None,
    at: Annotated[str | None, typer.Option(help="birthday_greeting: local time HH:MM.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Advertised category; repeatable.")] = None,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Switch an automation on, or change its settings; konsent's default wording is added if none exists."""
    given = {"hours_before": hours_before, "hours_after": hours_after, "days_without_visit": days_without_visit,
             "at": at, "advertised_categories": category}
    view = automations.enable(app_from_env(), org, trigger, channel=channel, template_key=template,
                              settings={k: v for k, v in given.items() if v is not None}, actor=actor_or_user(actor))
    emit(asdict(view), as_json, lambda _d: _describe(view))


@app.command("disable")
@friendly
def disable(
    trigger: Annotated[str, typer.Argument()],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, ChannelOption] = "email",
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Switch an automation off; what it queued already is decided again when sent."""
    view = automations.disable(app_from_env(), org, trigger, channel=channel, actor=actor_or_user(actor))
    emit(asdict(view), as_json, lambda _d: _describe(view))


@app.command("list")
@friendly
def listed(org: Annotated[str, OrgOption], as_json: Annotated[bool, JsonOption] = False) -> None:
    """The organisation's automations and their settings."""
    views = automations.listed(app_from_env(), org)
    emit([asdict(v) for v in views], as_json, lambda _d: "\n".join(map(_describe, views)) or "no automations")


@app.command("run")
@friendly
def run(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Schedule what is due on time now (birthdays, win-back). Safe to run as often as you like."""
    results = automations.run(app_from_env(), organisation_key=org)
    emit([asdict(r) for r in results], as_json, lambda _d: "\n".join(map(_ran, results)) or "nothing to run")


@events.command("post")
@friendly
def post(
    org: Annotated[str, OrgOption],
    type: Annotated[str, typer.Option("--type", help=", ".join(host_events.EVENT_TYPES))],
    key: Annotated[str, typer.Option(help="Idempotency key: the same key is taken once.")],
    customer: Annotated[str, typer.Option(help="The customer: external id, konsent id, email or phone.")],
    payload: Annotated[str, typer.Option(help="JSON object, @file, or - for standard input.")] = "{}",
    occurred_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset; defaults to now.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Post an event from the host system; it schedules the automations it triggers."""
    moment = None
    if occurred_at is not None:
        try:
            moment = datetime.fromisoformat(occurred_at)
        except ValueError:
            raise InputError("occurred_at", "use ISO 8601, e.g. 2026-11-20T10:00:00+01:00") from None
    posted = host_events.post(app_from_env(), org, type=type, key=key, customer=customer,
                              payload=_json(payload), occurred_at=moment)
    emit(asdict(posted), as_json, lambda _d: _posted(posted))


def _json(source: str) -> Any:
    try:
        if source == "-":
            source = sys.stdin.read()
        elif source.startswith("@"):
            source = Path(source[1:]).read_text(encoding="utf-8")
        return json.loads(source)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError("payload", f"not readable as JSON: {error}") from None


def _describe(view: AutomationView) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in view.settings.items())
    state = "on " if view.enabled else "off"
    line = f"{state} {view.trigger} ({view.channel}, template {view.template_key})"
    return line + (f": {settings}" if settings else "")


def _ran(result: RunResult) -> str:
    if result.error:
        return f"{result.organisation} {result.automation} ({result.channel}): not run — {result.error}"
    why = ", ".join(f"{code}: {n}" for code, n in result.reasons.items())
    return (f"{result.organisation} {result.automation} ({result.channel}): {result.queued} queued, "
            f"{result.withheld} withheld" + (f" — {why}" if why else ""))


def _line(item: Scheduled) -> str:
    line = f"  {item.status:<8} {item.kind} ({item.channel}) due {item.due.isoformat()}"
    return line + (f" — {item.note}" if item.note else "")


def _posted(posted: host_events.Posted) -> str:
    head = f"event {posted.event_id} ({posted.type}) " + ("was posted before" if posted.duplicate else "taken")
    lines = [head, *map(_line, posted.scheduled)]
    if posted.called_off:
        lines += ["called off:", *map(_line, posted.called_off)]
    return "\n".join(lines)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="automation")
    root.add_typer(events, name="event")
