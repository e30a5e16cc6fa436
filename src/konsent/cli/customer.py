from datetime import date, datetime
from typing import Annotated

import typer

from konsent.cli.common import ActorOption, JsonOption, actor_or_user, app_from_env, emit, friendly
from konsent.errors import InputError
from konsent.services import customers
from konsent.services.customers import CustomerView, NewCustomer

app = typer.Typer(help="Customers and their purchases.", no_args_is_help=True)
OrgOption = typer.Option("--org", help="Organisation id or slug.")


@app.command("add")
@friendly
def add(
    org: Annotated[str, OrgOption],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option(help="E.164, e.g. +4915112345678.")] = None,
    postal_address: Annotated[str | None, typer.Option(help="Lines separated by \\n.")] = None,
    external_id: Annotated[str | None, typer.Option(help="The id in the host system.")] = None,
    type: Annotated[str, typer.Option(help="consumer or business.")] = "consumer",
    jurisdiction: Annotated[str | None, typer.Option()] = None,
    locale: Annotated[str | None, typer.Option()] = None,
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    birthday: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    actor: Annotated[str | None, ActorOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Add a customer."""
    born = None
    if birthday:
        try:
            born = date.fromisoformat(birthday)
        except ValueError:
            raise InputError("birthday", "use YYYY-MM-DD") from None
    new = NewCustomer(
        email=email, phone=phone, postal_address=postal_address.replace("\\n", "\n") if postal_address else None,
        external_id=external_id, type=type, jurisdiction=jurisdiction, locale=locale,
        first_name=first_name, last_name=last_name, birthday=born,
    )
    view = customers.add(app_from_env(), org, new, actor=actor_or_user(actor))
    emit(view.as_dict(), as_json, lambda d: f"added customer {d['id']}")


@app.command("show")
@friendly
def show(
    customer: Annotated[str, typer.Argument(help="konsent id, external id, email or phone.")],
    org: Annotated[str, OrgOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show a customer."""
    view = customers.show(app_from_env(), org, customer)
    emit(view.as_dict(), as_json, lambda _d: _describe(view))


@app.command("purchase")
@friendly
def purchase(
    customer: Annotated[str, typer.Argument()],
    org: Annotated[str, OrgOption],
    at: Annotated[str, typer.Option(help="ISO 8601 moment of the sale or booking.")],
    category: Annotated[list[str] | None, typer.Option(help="Product category; repeatable.")] = None,
    collected: Annotated[
        list[str] | None, typer.Option(help="Channel whose address was given with the sale; repeatable.")
    ] = None,
    notice: Annotated[bool, typer.Option(help="Objection notice given at collection.")] = False,
    external_id: Annotated[str | None, typer.Option()] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record a purchase or booking."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise InputError("at", "not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise InputError("at", "needs a UTC offset, e.g. 2026-11-20T10:00:00+01:00")
    purchase_id = customers.record_purchase(
        app_from_env(), org, customer, occurred_at=moment, categories=category or [],
        contact_collected=collected or [], objection_notice_at_collection=notice, external_id=external_id,
    )
    emit({"id": purchase_id}, as_json, lambda d: f"recorded purchase {d['id']}")


def _describe(view: CustomerView) -> str:
    name = " ".join(filter(None, [view.first_name, view.last_name])) or "(no name)"
    lines = [f"{name} — {view.type}, {view.jurisdiction}, {view.locale}  [{view.id}]"]
    lines += [f"  {kind}: {value}" for kind, value in view.contacts.items()]
    if view.suppressed:
        lines.append(f"  objected earlier (suppression list): {', '.join(view.suppressed)}")
    if view.erased:
        lines.append("  erased")
    return "\n".join(lines)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="customer")
