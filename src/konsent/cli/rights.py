"""`konsent export`, `konsent erase`, `konsent dossier`: the person's rights and the owner's proof."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, fail, friendly, write_private
from konsent.services import dossier, rights

OrgOption = typer.Option("--org", help="Organisation id or slug.")
CustomerArgument = typer.Argument(help="konsent id, external id, email or phone.")
LangOption = typer.Option("--lang", help="de or en; defaults to the customer's language.")


class ExportFormat(StrEnum):
    JSON = "json"
    HTML = "html"


class DossierFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


@friendly
def export(
    customer: Annotated[str, CustomerArgument],
    org: Annotated[str, OrgOption],
    output: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.JSON,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    lang: Annotated[str | None, LangOption] = None,
) -> None:
    """Everything konsent holds about a customer (Art. 15 GDPR), as JSON or a readable page."""
    document = rights.export(app_from_env(), org, customer)
    if output is ExportFormat.HTML:
        content = rights.render_export_html(document, lang or document["customer"]["locale"])
    else:
        content = json.dumps(document, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(content)
    else:
        write_private(out, content.encode())
        typer.echo(f"wrote {out}", err=True)


@friendly
def erase(
    customer: Annotated[str, CustomerArgument],
    org: Annotated[str, OrgOption],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erasure cannot be undone.")] = False,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Erase a customer's personal data (Art. 17 GDPR); the ledger stays verifiable, objections stay."""
    if not yes:
        fail("yes: erasure cannot be undone; repeat with --yes")
    result = rights.erase(app_from_env(), org, customer, actor=actor_or_user(actor))

    def text(_: object) -> str:
        if result.already_erased:
            return f"customer {result.customer} was already erased; nothing personal remains"
        return (f"erased customer {result.customer}: {result.contact_points} contact point(s) and "
                f"{result.purchases} purchase(s) deleted, {result.events} ledger event(s) kept without "
                f"their evidence, {result.messages} message(s) blanked; suppression entries kept")

    emit(result.as_dict(), as_json, text)


@friendly
def dossier_command(
    customer: Annotated[str, CustomerArgument],
    org: Annotated[str, OrgOption],
    output: Annotated[DossierFormat, typer.Option("--format", "-f")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
    lang: Annotated[str | None, LangOption] = None,
) -> None:
    """The proof dossier: every event with evidence, the texts as shown, messages and their decisions."""
    document = dossier.build(app_from_env(), org, customer)
    chosen = lang or document["customer"]["locale"]
    if output is DossierFormat.PDF:
        content = dossier.render_pdf(document, chosen)
    elif output is DossierFormat.HTML:
        content = dossier.render_html(document, chosen).encode()
    else:
        content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    write_private(out, content)
    typer.echo(f"wrote {out}", err=True)


def register(root: typer.Typer) -> None:
    root.command("export")(export)
    root.command("erase")(erase)
    root.command("dossier")(dossier_command)
