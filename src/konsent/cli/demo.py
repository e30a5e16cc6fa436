"""`konsent demo`: seed the demo organisation "Salon Sonnenschein" (development only) and say how to
reach it: the address, the staff login, an API key, the API docs, where mail goes."""

from dataclasses import asdict
from typing import Annotated

import typer

from konsent.cli.common import JsonOption, app_from_env, emit, fail, friendly
from konsent.config import Settings


@friendly
def demo(
    or_skip: Annotated[bool, typer.Option(
        "--or-skip", help="Outside development or on another database, say so and do nothing (exit status 0).",
    )] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Seed the demo organisation (idempotent: a second run changes nothing) and print its logins."""
    from konsent import demo as seeding  # noqa: PLC0415 - only this command needs the demo's data

    settings = Settings()
    refused = seeding.refusal(settings)
    if refused is not None:
        if or_skip:
            typer.echo(f"konsent: {refused}; no demo organisation seeded")
            return
        fail(refused)
    app = app_from_env()
    seeded = seeding.seed(app)
    base = f"http://{settings.server.host}:{settings.server.port}"
    mail = (f"over SMTP ({settings.smtp.host})" if settings.smtp.host
            else f"into {settings.data_dir / 'outbox'}/ as .eml files (set KONSENT__SMTP__HOST to send for real)")
    emit({**asdict(seeded), "url": base, "staff_url": f"{base}/staff/", "docs_url": f"{base}/docs", "mail": mail},
         as_json, lambda shown: "\n".join([
             f"Demo organisation {seeding.NAME!r} ({seeded.slug}): "
             + ("seeded just now" if seeded.seeded else "already there, unchanged"),
             f"  Campaign draft {seeding.CAMPAIGN!r}: reaches {seeded.reached}, leaves out {seeded.left_out} — "
             + ", ".join(f"{code} {count}" for code, count in seeded.reasons.items()),
             f"  Staff login:  {shown['staff_url']}  {seeded.staff_email} / "
             + (seeded.staff_password or "(the password set when it was first seeded)"),
             f"  API key:      {seeded.api_key}",
             f"     try:       curl -H 'Authorization: Bearer {seeded.api_key}' {base}/api/v1/campaigns",
             f"  API docs:     {shown['docs_url']}",
             f"  Mail goes     {mail}",
             f"  (logins kept in {settings.data_dir / seeding.CREDENTIALS}, for development only)",
         ]))


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
