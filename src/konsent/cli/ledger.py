from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, friendly
from konsent.services import organisations
from konsent.storage import ledger

app = typer.Typer(help="The consent ledger.", no_args_is_help=True)


@app.command("verify")
@friendly
def verify(
    org: Annotated[str, typer.Option("--org", help="Organisation id or slug.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Recompute the hash chain; name every edited, deleted, inserted or reordered event."""
    konsent = app_from_env()
    with konsent.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        result = ledger.verify(session, organisation.id)
    report = {
        "ok": result.ok, "events": result.events, "head_seq": result.head_seq,
        "breaks": [{"seq": b.seq, "event_id": b.event_id, "problem": b.problem, "detail": b.detail}
                   for b in result.breaks],
    }

    def text(d: dict[str, object]) -> str:
        if result.ok:
            return f"ledger intact: {result.events} events, head at {result.head_seq}"
        lines = [f"LEDGER BROKEN: {len(result.breaks)} problem(s) in {result.events} events"]
        lines += [f"  event {b.seq} ({b.event_id}): {b.problem} — {b.detail}" for b in result.breaks]
        return "\n".join(lines)

    emit(report, as_json, text)
    if not result.ok:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ledger")
