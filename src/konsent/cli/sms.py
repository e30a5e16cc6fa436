from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly

app = typer.Typer(help="SMS: replies such as STOP.", no_args_is_help=True)

ANSWER = {
    "opted_out": "{keyword}: SMS consent withdrawn and objection to SMS advertising recorded for this number",
    "ignored": "ignored: not a stop word (STOP, STOPP, ABMELDEN, ...); nothing was stored",
}


@app.command("inbound")
@friendly
def inbound(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug whose number received the SMS.")],
    sender: Annotated[str, typer.Option("--from", help="The sender's phone number (E.164).")],
    text: Annotated[str, typer.Option("--text", help="The text of the SMS.")],
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Act on an SMS a person sent, as the provider's webhook would: STOP and its forms opt out.

    The answer is the same whether or not the number belongs to a customer."""
    from konsent.services import inbound_sms  # noqa: PLC0415 - the provider code loads httpx
    from konsent.transports.sms_http import InboundSms  # noqa: PLC0415

    received = inbound_sms.receive(app_from_env(), org, InboundSms(sender=sender, text=text),
                                   actor=actor_or_user(actor))
    emit({"action": received.action, "keyword": received.keyword}, as_json,
         lambda d: ANSWER[d["action"]].format(keyword=d["keyword"]))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sms")
