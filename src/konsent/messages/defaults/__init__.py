"""konsent's own wording for each automation, in German and English, seeded into an organisation's
templates when it enables an automation that has none yet — so an owner can switch a reminder on
and see it work, then edit the wording (which makes a new version, as any edit does)."""

from pathlib import Path

from sqlalchemy import select

from konsent.services import templates
from konsent.services.context import Konsent
from konsent.storage import tables as t

FOLDER = Path(__file__).parent


def seed(app: Konsent, organisation_id: str, *, trigger: str, key: str, channel: str) -> list[str]:
    """Save the defaults of `trigger` under `key` for each locale that has no such template. Returns the locales."""
    with app.db.unit_of_work() as session:
        present = set(session.scalars(select(t.MessageTemplate.locale).where(
            t.MessageTemplate.organisation_id == organisation_id, t.MessageTemplate.key == key,
            t.MessageTemplate.channel == channel)))
    seeded = []
    for locale in templates.LOCALES:
        if locale in present:
            continue
        folder = FOLDER / trigger / locale

        def read(name: str, folder: Path = folder) -> str:
            return (folder / name).read_text(encoding="utf-8")

        if channel == "sms":
            templates.save(app, organisation_id, key=key, channel=channel, locale=locale, body_text=read("sms.txt"))
        else:
            templates.save(app, organisation_id, key=key, channel=channel, locale=locale,
                           subject=read("subject.txt").strip(), body_text=read("email.txt"),
                           body_html=read("email.html"))
        seeded.append(locale)
    return seeded
