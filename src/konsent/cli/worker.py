import typer


def register(root: typer.Typer) -> None:
    """Commands of this module are added here."""
