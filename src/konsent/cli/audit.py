from typing import Annotated

import typer
from sqlalchemy import select

from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.services import organisations
from konsent.storage import tables as t


@friendly
def audit(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    limit: Annotated[int, typer.Option(help="The newest N entries.")] = 50,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The staff audit log: who changed what, when (newest first)."""
    konsent = app_from_env()
    with konsent.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        entries = [
            {"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject, "details": e.details}
            for e in session.scalars(
                select(t.AuditEntry).where(t.AuditEntry.organisation_id == organisation.id)
                .order_by(t.AuditEntry.at.desc(), t.AuditEntry.id).limit(limit)
            )
        ]

    def text(rows: list[dict[str, object]]) -> str:
        return "\n".join(
            f"{row['at']:%Y-%m-%d %H:%M}  {row['actor']:<20} {row['action']:<32} {row['subject'] or ''}"
            for row in rows
        ) or "no entries"

    emit(entries, as_json, text)


def register(root: typer.Typer) -> None:
    root.command("audit")(audit)
