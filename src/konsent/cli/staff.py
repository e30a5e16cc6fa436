"""`konsent staff`: the accounts that sign in to the staff UI. The first owner is made here."""

import sys
from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, fail, friendly
from konsent.services import staff

app = typer.Typer(help="Staff accounts for the staff UI (owner, staff, dpo).", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")


@app.command("add")
@friendly
def add(
    org: Annotated[str, OrgOption],
    email: Annotated[str, typer.Option(help="The address the person signs in with.")],
    name: Annotated[str, typer.Option(help="The person's name, as colleagues see it.")],
    role: Annotated[str, typer.Option(help="owner (everything), staff (day-to-day) or dpo (reads only).")] = "staff",
    locale: Annotated[str, typer.Option(help="de or en: the language of the UI.")] = "de",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input (for scripts).")] = False,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Add a staff account. The password is asked for (twice), never taken as an option: options end
    up in the shell's history and in the process list."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("password: standard input held no password")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = staff.create(app_from_env(), org, email=email, name=name, password=password, role=role, locale=locale,
                           actor=actor_or_user(actor))
    emit(_shown(created), as_json, lambda a: f"added {a['role']} {a['email']} ({a['id']})")


@app.command("list")
@friendly
def listed(
    org: Annotated[str, OrgOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The organisation's staff accounts, disabled ones too."""
    accounts = [_shown(a) for a in staff.listed(app_from_env(), org)]

    def text(rows: list[dict[str, object]]) -> str:
        return "\n".join(
            f"{row['email']:<40} {row['role']:<6} {row['name']}" + ("  (disabled)" if row["disabled_at"] else "")
            for row in rows
        ) or "no staff accounts"

    emit(accounts, as_json, text)


def _shown(account: staff.StaffView) -> dict[str, object]:
    return {"id": account.id, "email": account.email, "name": account.name, "role": account.role,
            "locale": account.locale, "created_at": account.created_at, "last_login_at": account.last_login_at,
            "disabled_at": account.disabled_at}


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="staff")
