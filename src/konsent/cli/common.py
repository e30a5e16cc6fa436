"""What every command shares: the application, JSON output, and errors as one line."""

import functools
import json
import os
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer

from konsent.errors import InputError, KonsentError

P = ParamSpec("P")
R = TypeVar("R")

JsonOption = typer.Option("--json", help="Print the result as JSON.")
ActorOption = typer.Option("--actor", help="Who makes this change (staff login); defaults to $USER.")


def app_from_env() -> Any:
    from konsent.bootstrap import build  # noqa: PLC0415 - commands that need no database stay fast

    return build()


def actor_or_user(actor: str | None) -> str:
    return actor or f"cli:{os.environ.get('USER', 'unknown')}"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot show {type(value).__name__} as JSON")


def emit(result: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(result, default=_default, ensure_ascii=False, indent=2))
    else:
        typer.echo(text(result) if text else json.dumps(result, default=_default, ensure_ascii=False, indent=2))


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"konsent: {message}", err=True)
    raise typer.Exit(code)


def friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn konsent's own errors into one line on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except KonsentError as exc:
            typer.echo(f"konsent: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def write_private(path: Path, content: bytes) -> None:
    """Write a file readable by its owner only: exports, dossiers and answer packs hold personal data."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
    except OSError as exc:
        raise InputError("out", f"cannot write {path}: {exc.strerror}") from None
