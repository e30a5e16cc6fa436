from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.services import doi

app = typer.Typer(help="Double opt-in: confirmation requests and confirmations.", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")


@app.command("request")
@friendly
def request(
    customer: Annotated[str, typer.Argument(help="konsent id, external id, email or phone.")],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, typer.Option(help="email or sms.")],
    consent: Annotated[str | None, typer.Option(help="The sign-up to confirm; default: the newest open one.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Send the confirmation request for a customer's sign-up (the link goes only to the customer)."""
    requested = doi.request(app_from_env(), org, customer, channel=channel, consent_id=consent)
    emit(requested, as_json, lambda r: (
        f"confirmation request {r.request_id} {r.status} by {r.channel}, valid until {r.expires_at:%Y-%m-%d %H:%M} UTC"
        + (f" ({r.error})" if r.error else "")
    ))
    if requested.status != "sent":
        raise typer.Exit(1)


@app.command("confirm")
@friendly
def confirm(
    token: Annotated[str, typer.Argument(help="The token from the link (the part after /c/).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Confirm a sign-up with the token from its link."""
    emit(doi.confirm(app_from_env(), token.rsplit("/c/", 1)[-1]), as_json, _confirmed)


@app.command("confirm-code")
@friendly
def confirm_code(
    org: Annotated[str, OrgOption],
    customer: Annotated[str, typer.Option(help="konsent id, external id, email or phone.")],
    code: Annotated[str, typer.Option(help="The 6 digits from the text message.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Confirm an SMS sign-up with the code the customer received."""
    emit(doi.confirm_code(app_from_env(), org, customer, code), as_json, _confirmed)


@app.command("expire")
@friendly
def expire(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Record every confirmation request that ran out unconfirmed (safe to run repeatedly, e.g. by cron)."""
    count = doi.expire_overdue(app_from_env())
    emit({"expired": count}, as_json, lambda d: f"{d['expired']} confirmation requests expired")


def _confirmed(result: doi.DoiConfirmed) -> str:
    if result.status == "already_confirmed":
        return f"sign-up {result.consent_id} was already confirmed"
    return f"sign-up {result.consent_id} confirmed"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="doi")
