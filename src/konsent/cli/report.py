"""`konsent report …`: the answer to the authority, the dashboard's figures, the records of processing."""

from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, friendly, write_private
from konsent.errors import InputError
from konsent.services import answer_pack, dashboard, processing_record
from konsent.services.reporting.periods import BUCKETS

app = typer.Typer(help="Reports: the authority's answer pack, dashboard figures, records of processing.",
                  no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")


class Lang(StrEnum):
    DE = "de"
    EN = "en"


class RecordFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


@app.command("answer-pack")
@friendly
def answer_pack_command(
    org: Annotated[str, OrgOption],
    out: Annotated[Path, typer.Option("--out", "-o", help="The ZIP file to write.")],
    lang: Annotated[Lang, typer.Option("--lang")] = Lang.DE,
) -> None:
    """The answer to the authority's questionnaire: answer.pdf, figures.json and CSVs in one ZIP."""
    write_private(out, answer_pack.bundle(app_from_env(), org, lang=lang.value))
    typer.echo(f"wrote {out}", err=True)


@app.command("dashboard")
@friendly
def dashboard_command(
    org: Annotated[str, OrgOption],
    since: Annotated[str | None, typer.Option(
        help="From: an ISO date or time (without a zone: the organisation's); default: 12 weeks ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Until, the same way; default: now.")] = None,
    bucket: Annotated[str, typer.Option(help=f"One of {', '.join(BUCKETS)}.")] = "week",
    lang: Annotated[Lang, typer.Option("--lang")] = Lang.DE,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Consent rate per channel, double opt-in completion, objections, messages by basis and withheld
    messages, per day, week or month."""
    konsent = app_from_env()
    end = _moment(until, "until") or konsent.now()
    start = _moment(since, "since") or end - timedelta(weeks=12)
    figures = dashboard.figures(konsent, org, since=start, until=end, bucket=bucket, lang=lang.value)

    def text(_: object) -> str:
        lines = []
        for point in figures.points:
            rates = "  ".join(f"{figures.words[c]} {_rate(r.rate)}" for c, r in point.consent.items())
            lines.append(f"{point.start:%Y-%m-%d}  {rates}  DOI {_rate(point.doi.rate)} "
                         f"({point.doi.confirmed}/{point.doi.requested})  "
                         f"objections {sum(point.objections.values())}  sent {sum(point.messages_by_basis.values())}"
                         f"  withheld {sum(point.withheld_by_reason.values())}")
        return "\n".join(lines)

    emit(figures.as_dict(), as_json, text)


@app.command("processing")
@friendly
def processing_command(
    org: Annotated[str, OrgOption],
    lang: Annotated[Lang, typer.Option("--lang")] = Lang.DE,
    output: Annotated[RecordFormat, typer.Option("--format", "-f")] = RecordFormat.HTML,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="The file to write; HTML may go to stdout.")] = None,
) -> None:
    """The records of processing (Art. 30 GDPR) for the organisation to adopt."""
    if out is None and output is RecordFormat.PDF:
        raise InputError("out", "a PDF needs --out FILE")
    content = processing_record.render(app_from_env(), org, lang.value, fmt=output.value)
    if out is None:
        typer.echo(content.decode(), nl=False)
        return
    write_private(out, content)
    typer.echo(f"wrote {out}", err=True)


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(name, "must be an ISO date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00+01:00") from None


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
