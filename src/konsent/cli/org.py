from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.services import organisations

app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)


@app.command("create")
@friendly
def create(
    slug: Annotated[str, typer.Argument(help="Short unique name, e.g. salon-sonnenschein.")],
    name: Annotated[str, typer.Option(help="The business's name as customers know it.")],
    jurisdiction: Annotated[str, typer.Option(help="DE, AT or CH.")] = "DE",
    locale: Annotated[str, typer.Option(help="de or en.")] = "de",
    similar: Annotated[
        list[str] | None, typer.Option(help="A group of similar categories, comma-separated; repeatable.")
    ] = None,
    sender_name: Annotated[str | None, typer.Option()] = None,
    sender_address: Annotated[str | None, typer.Option()] = None,
    reading: Annotated[str, typer.Option(help="prevailing or strict reading of contested law.")] = "prevailing",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Create an organisation."""
    groups = [[c.strip() for c in group.split(",") if c.strip()] for group in similar or []]
    created = organisations.create(
        app_from_env(), slug=slug, name=name, jurisdiction=jurisdiction.upper(), locale=locale,
        similar_categories=groups, sender_name=sender_name, sender_address=sender_address, reading=reading,
    )
    emit(created, as_json, lambda o: f"created organisation {o.slug} ({o.id})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="org")
