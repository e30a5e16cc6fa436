"""The `konsent` command: thin — parse, call, print."""

import contextlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from konsent import aio
from konsent.cli import (
    apikey,
    audit,
    automation,
    campaign,
    consent,
    customer,
    db,
    demo,
    doi,
    importer,
    ledger,
    org,
    report,
    rights,
    sms,
    staff,
    template,
    worker,
)
from konsent.cli.common import friendly
from konsent.domain import Channel, Decision, MessageKind, Scenario, decide
from konsent.domain.explain import explain
from konsent.scenario import ScenarioError, parse_scenario

app = typer.Typer(
    help="konsent: message customers only where the law allows it, and prove it afterwards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
docs_app = typer.Typer(help="Generate documentation from the rule packs.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
for module in (db, org, customer, consent, doi, rights, importer, ledger, audit, template, campaign, automation,
               worker, sms, apikey, demo, report, staff):
    module.register(app)


class Format(StrEnum):
    JSON = "json"
    TEXT = "text"


class Lang(StrEnum):
    DE = "de"
    EN = "en"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"konsent: {message}", err=True)
    raise typer.Exit(code)


@app.command("decide")
@friendly
def decide_command(
    scenario: Annotated[
        str | None, typer.Option("--scenario", "-s", help="Scenario JSON file, or - for standard input.")
    ] = None,
    customer_key: Annotated[
        str | None, typer.Option("--customer", help="A stored customer (id, external id, email or phone).")
    ] = None,
    org_key: Annotated[str | None, typer.Option("--org", help="The customer's organisation.")] = None,
    kind: Annotated[str | None, typer.Option(help="Message kind, with --customer.")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel, with --customer.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Advertised category; repeatable.")] = None,
    output: Annotated[Format, typer.Option("--format", "-f")] = Format.JSON,
    lang: Annotated[Lang, typer.Option("--lang", "-l")] = Lang.EN,
) -> None:
    """Decide one scenario, or a message to a stored customer: may it go now, and on what basis?"""
    if customer_key is not None:
        facts, decision = _decide_stored(customer_key, org_key, kind, channel, category or [])
    else:
        if scenario is None:
            fail("scenario: give --scenario FILE (or -), or --customer with --org, --kind and --channel")
        try:
            text = sys.stdin.read() if scenario == "-" else Path(scenario).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"scenario: cannot read {scenario}: {exc.strerror}")
        try:
            facts = parse_scenario(text)
        except ScenarioError as exc:
            fail(str(exc))
        decision = decide(facts)
    if output is Format.TEXT:
        typer.echo(explain(decision, facts, lang.value))
    else:
        typer.echo(json.dumps(decision.to_dict(lang.value), ensure_ascii=False, indent=2))


def _decide_stored(
    customer_key: str, org_key: str | None, kind: str | None, channel: str | None, categories: list[str]
) -> tuple[Scenario, Decision]:
    from konsent.cli.common import app_from_env  # noqa: PLC0415
    from konsent.services.facts import Asked, decide_for  # noqa: PLC0415

    for name, value, allowed in (
        ("org", org_key, None), ("kind", kind, MessageKind), ("channel", channel, Channel),
    ):
        if value is None:
            fail(f"{name}: required with --customer")
        if allowed is not None and value not in {m.value for m in allowed}:
            fail(f"{name}: must be one of {', '.join(m.value for m in allowed)}")
    assert org_key is not None
    assert kind is not None
    assert channel is not None
    return decide_for(app_from_env(), org_key, customer_key,
                      Asked(kind=kind, channel=channel, advertised_categories=tuple(categories)))


@app.command("check-scenarios")
def check_scenarios(
    folders: Annotated[list[Path], typer.Argument(help="Folders of scenario files with `expect`.")],
    lang: Annotated[Lang, typer.Option("--lang", "-l")] = Lang.EN,
) -> None:
    """Decide every scenario in the folders and compare with its `expect`ed decision and basis."""
    files = sorted(f for folder in folders for f in folder.glob("*.json"))
    if not files:
        fail(f"no scenario files in {', '.join(map(str, folders))}")
    mismatches = 0
    for file in files:
        raw = file.read_text(encoding="utf-8")
        try:
            decision = decide(parse_scenario(raw))
        except ScenarioError as exc:
            typer.echo(f"✗ {file.name}: {exc}")
            mismatches += 1
            continue
        expect = json.loads(raw).get("expect", {})
        ok = expect.get("decision", decision.decision.value) == decision.decision.value and (
            "basis" not in expect or expect["basis"] == (decision.basis and decision.basis.value)
        )
        mismatches += not ok
        verdict = decision.decision.value + (f" ({decision.basis.value})" if decision.basis else "")
        typer.echo(f"{'✓' if ok else '✗'} {file.stem}: {verdict}")
        for reason in decision.reasons:
            typer.echo(f"    {reason.text(lang.value)}")
    typer.echo(f"{len(files) - mismatches} of {len(files)} scenarios decided as expected")
    if mismatches:
        raise typer.Exit(1)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to KONSENT__SERVER__HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to KONSENT__SERVER__PORT.")] = None,
    with_worker: Annotated[bool, typer.Option(
        "--with-worker", help="Also send the outbox and keep house (webhooks, automations) in this process; "
                              "Ctrl-C stops both. In production run `konsent worker` processes instead.")] = False,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes, each with its own database connections; in production about one per "
                    "core. Each reads its settings from the environment and the settings file.")] = 1,
) -> None:
    """Run the konsent server."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from konsent.bootstrap import build  # noqa: PLC0415
    from konsent.web import serving  # noqa: PLC0415
    from konsent.web.app import create_app  # noqa: PLC0415
    from konsent.worker.beside import WorkerBeside  # noqa: PLC0415

    konsent = build(upgrade=True)  # the database is migrated before the first request
    host = host or konsent.settings.server.host
    port = port or konsent.settings.server.port
    try:
        serving.check_free(host, port)
    except serving.PortInUse as exc:
        raise typer.BadParameter(str(exc), param_hint="--port") from None
    beside = " with a worker beside it" if with_worker else ""
    typer.echo(f"konsent is running at http://{host}:{port}/{beside}  (health: /health, API docs: /docs; "
               "Ctrl-C stops)")
    with WorkerBeside(konsent) if with_worker else contextlib.nullcontext():
        if workers == 1:
            application = create_app(konsent)
            aio.settle()
            uvicorn.run(application, host=host, port=port, log_level="warning")
        else:
            status = serving.serve(host, port, workers)
            if status:
                raise typer.Exit(status)


@docs_app.command("legal-basis")
def legal_basis_doc() -> None:
    """Print docs/legal-basis.md, generated from the rule packs."""
    from konsent.legal_basis_doc import render  # noqa: PLC0415

    typer.echo(render(), nl=False)


def main() -> None:
    app()
