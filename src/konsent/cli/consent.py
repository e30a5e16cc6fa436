from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.services import consents
from konsent.services.consents import ConsentDeclaration

app = typer.Typer(help="Consents, withdrawals and objections.", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")


@app.command("give")
@friendly
def give(
    customer: Annotated[str, typer.Argument()],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, typer.Option(help="email, sms, phone or post.")],
    source: Annotated[str, typer.Option(help="online_form, booking, manual_staff, paper_form, ...")],
    purpose: Annotated[str, typer.Option()] = "advertising",
    text_version: Annotated[str | None, typer.Option(help="Id of the consent text shown.")] = None,
    document_hash: Annotated[str | None, typer.Option(help="SHA-256 of the signed form.")] = None,
    ip: Annotated[str | None, typer.Option()] = None,
    user_agent: Annotated[str | None, typer.Option()] = None,
    page_url: Annotated[str | None, typer.Option()] = None,
    confirmed_by_staff: Annotated[
        bool, typer.Option(help="A staff member confirms the customer agreed just now.")
    ] = False,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record a consent with its evidence."""
    who = actor_or_user(actor)
    evidence = {k: v for k, v in {
        "document_hash": document_hash, "ip": ip, "user_agent": user_agent, "page_url": page_url,
        "staff_actor": who if confirmed_by_staff else None,
    }.items() if v}
    consent_id = consents.give(app_from_env(), org, customer, ConsentDeclaration(
        channel=channel, source=source, purpose=purpose, text_version_id=text_version, evidence=evidence,
    ), actor=who)
    emit({"consent_id": consent_id}, as_json, lambda d: f"recorded consent {d['consent_id']}")


@app.command("withdraw")
@friendly
def withdraw(
    customer: Annotated[str, typer.Argument()],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, typer.Option(help="A channel or all.")] = "all",
    purpose: Annotated[str, typer.Option(help="A purpose or all.")] = "all",
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Withdraw consent — on a channel and purpose, or everything."""
    consents.withdraw(app_from_env(), org, customer, channel=channel, purpose=purpose, via="staff",
                      actor=actor_or_user(actor))
    emit({"withdrawn": {"channel": channel, "purpose": purpose}}, as_json, lambda _d: "withdrawn")


@app.command("object")
@friendly
def object_(
    customer: Annotated[str, typer.Argument()],
    org: Annotated[str, OrgOption],
    channel: Annotated[str, typer.Option(help="A channel or all.")] = "all",
    scope: Annotated[str, typer.Option(help="advertising or all messages.")] = "advertising",
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record an objection (Art. 21 GDPR); it also goes on the suppression list."""
    consents.object_to(app_from_env(), org, customer, channel=channel, scope=scope, via="staff",
                       actor=actor_or_user(actor))
    emit({"objection": {"channel": channel, "scope": scope}}, as_json, lambda _d: "objection recorded")


@app.command("text")
@friendly
def text(
    org: Annotated[str, OrgOption],
    key: Annotated[str, typer.Option(help="Which form, e.g. newsletter-signup.")],
    title: Annotated[str, typer.Option()],
    body: Annotated[str, typer.Option(help="The exact wording shown.")],
    locale: Annotated[str, typer.Option()] = "de",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Add a new version of a consent text."""
    created = consents.consent_text(app_from_env(), org, key=key, locale=locale, title=title, body=body)
    result = {"id": created.id, "key": created.key, "version": created.version, "sha256": created.sha256}
    emit(result, as_json, lambda d: f"consent text {d['key']} v{d['version']}: {d['id']}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="consent")
