from pathlib import Path
from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.errors import InputError
from konsent.messages.compose import sms_segments
from konsent.services import templates

app = typer.Typer(help="Message templates (versioned).", no_args_is_help=True)


def _read(path: Path | None, field: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(field, f"cannot read {path}: {error}") from None


@app.command("save")
@friendly
def save(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    key: Annotated[str, typer.Option(help="The template's name, e.g. newsletter or appointment_reminder.")],
    channel: Annotated[str, typer.Option(help="email or sms.")],
    text: Annotated[Path, typer.Option(help="File with the text body (Jinja2).")],
    locale: Annotated[str, typer.Option()] = "de",
    subject: Annotated[str | None, typer.Option(help="Email subject (Jinja2).")] = None,
    html: Annotated[Path | None, typer.Option(help="File with the HTML body (Jinja2).")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Save a new version of a template; earlier versions stay as they were used."""
    body_text = _read(text, "text") or ""
    saved = templates.save(app_from_env(), org, key=key, channel=channel, locale=locale, body_text=body_text,
                           subject=subject, body_html=_read(html, "html"))
    result = {"id": saved.id, "key": saved.key, "channel": saved.channel, "locale": saved.locale,
              "version": saved.version}
    if channel == "sms":
        result["segments"] = sms_segments(body_text)
    emit(result, as_json, lambda d: f"template {d['key']} ({d['channel']}, {d['locale']}) v{d['version']}"
         + (f", {d['segments']} SMS segment(s) before the opt-out notice" if "segments" in d else ""))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="template")
