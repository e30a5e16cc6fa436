import typer

from konsent.cli.common import friendly

app = typer.Typer(help="The database.", no_args_is_help=True)


@app.command("upgrade")
@friendly
def upgrade() -> None:
    """Create or migrate the database named by KONSENT__DATABASE__URL (default: data/konsent.db)."""
    from konsent.bootstrap import build  # noqa: PLC0415

    konsent = build(upgrade=True)
    typer.echo(f"database is up to date: {konsent.db.engine.url.render_as_string(hide_password=True)}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
