"""`konsent import`: a dry run unless told to commit; exit 1 when the file has problems."""

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.errors import InputError
from konsent.services import importer
from konsent.services.importer import ImportReport

LARGE = 1000  # rows; a smaller file is done before a bar would help
SHOWN = 200  # problems listed as text; --json lists all


class _Bar:
    """A progress bar on stderr, opened on the first report of a large file."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if total < LARGE:
            return
        if self.bar is None:
            self.bar = typer.progressbar(length=total, label="importing", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise InputError("map", f"use HEADER=FIELD, e.g. \"Kunden-Nr=external_id\" (got {pair!r})")
        mapping[header.strip()] = target.strip()
    return mapping


def _text(report: ImportReport) -> str:
    if report.committed:
        headline = "imported — all rows written"
    elif report.problems:
        headline = f"{len(report.problems)} problem(s) — nothing was written; fix the file and run again"
    else:
        headline = "dry run — nothing was written; add --commit to import"
    done = "added" if report.committed else "ready to add"
    lines = [
        headline,
        f"  rows read: {report.rows}",
        f"  customers {done}: {report.customers}",
        f"  consents {done}: {report.consents} (imported: never proof enough for advertising on their own)",
        f"  addresses on the suppression list: {report.suppressed_addresses} (their objection is carried over)",
    ]
    if report.unknown_columns:
        lines.append(f"  ignored columns: {', '.join(report.unknown_columns)}")
    for problem in report.problems[:SHOWN]:
        column = f" (column {problem.column!r})" if problem.column and problem.column != problem.field else ""
        lines.append(f"  line {problem.line}, {problem.field}{column}: {problem.message}")
    if len(report.problems) > SHOWN:
        lines.append(f"  … and {len(report.problems) - SHOWN} more (--json lists them all)")
    return "\n".join(lines)


@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8, comma or semicolon separated).")],
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    commit: Annotated[bool, typer.Option("--commit", help="Write the customers; without it, a dry run.")] = False,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="HEADER=FIELD, e.g. \"Kunden-Nr=external_id\"; repeatable.")
    ] = None,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Import existing customers from a CSV file: all rows or none, and never a message sent."""
    mapping = _mapping(map_ or [])
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError("file", f"cannot read {file}: {exc.strerror}") from None
    bar = _Bar()
    try:
        if commit:
            report = importer.commit(app_from_env(), org, data, mapping=mapping, progress=bar,
                                     actor=actor_or_user(actor))
        else:
            report = importer.dry_run(app_from_env(), org, data, mapping=mapping, progress=bar)
    finally:
        bar.close()
    emit(asdict(report), as_json, lambda _d: _text(report))
    if report.problems:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command("import")(import_)
