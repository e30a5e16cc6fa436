from dataclasses import asdict
from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.services import api_keys
from konsent.services.api_keys import ApiKeyView

app = typer.Typer(help="API keys: how a booking or shop system acts for one organisation.", no_args_is_help=True)


def _line(key: ApiKeyView) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
    used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
    return f"{key.id}  ks_{key.prefix}_…  {key.name}  [{', '.join(key.scopes)}]  {state}, {used}"


@app.command("create")
@friendly
def create(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    name: Annotated[str, typer.Option(help="Which system uses the key, e.g. booking system.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read or write; repeatable.")],
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Create a key. The key itself is printed only now: konsent keeps only its hash."""
    view, plain = api_keys.create(app_from_env(), org, name=name, scopes=scope, actor=actor_or_user(actor))
    emit({**asdict(view), "key": plain}, as_json,
         lambda d: f"{plain}\n(shown once: store it now) — key {view.id}, scopes {', '.join(view.scopes)}")


@app.command("list")
@friendly
def listed(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Every key of the organisation, revoked ones too (never a key's secret)."""
    keys = api_keys.listed(app_from_env(), org)
    emit(keys, as_json, lambda found: "\n".join(_line(k) for k in found) or "no API keys")


@app.command("revoke")
@friendly
def revoke(
    key: Annotated[str, typer.Argument(help="The key's id or prefix.")],
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Revoke a key at once; revoking again changes nothing."""
    view = api_keys.revoke(app_from_env(), org, key, actor=actor_or_user(actor))
    emit(view, as_json, lambda k: f"revoked {k.id} (ks_{k.prefix}_…)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="apikey")
