"""The demo organisation "Salon Sonnenschein": forty customers with every kind of consent story, so
that a newcomer sees konsent explain in a minute why a campaign reaches some people and not others.

Development only, and only on the embedded SQLite database: it is made of invented people, and its
staff password and API key are kept in the clear in the data directory (`demo.json`). Seeding is
idempotent: a second run finds the organisation complete and changes nothing; a run that was
interrupted is finished by the next one (each customer's story is told once, by external id).
"""

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from konsent import tokens
from konsent.config import Settings
from konsent.errors import KonsentError
from konsent.services import (
    api_keys,
    automations,
    campaigns,
    consents,
    customers,
    doi,
    host_events,
    organisation_settings,
    organisations,
    rights,
    staff,
    templates,
)
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t

SLUG = "salon-sonnenschein"
NAME = "Salon Sonnenschein"
CAMPAIGN = "Herbst-Pflegeserie"
TEMPLATE = "herbst-pflegeserie"
OWNER_NAME = "Sonja Sommer"
CREDENTIALS = "demo.json"
ACTOR = "demo:seed"
PAPER = {"document_hash": "5e" * 32}  # the scanned, signed form
BERLIN = ZoneInfo("Europe/Berlin")


class DemoRefused(KonsentError):
    """The demo is not seeded here (not development, or not the embedded database)."""


@dataclass(frozen=True)
class Demo:
    organisation_id: str
    slug: str
    staff_email: str
    staff_password: str | None  # None: set by an earlier run whose demo.json is gone
    api_key: str
    seeded: bool  # False: everything was there already
    reached: int
    left_out: int
    reasons: dict[str, int]


def refusal(settings: Settings) -> str | None:
    """Why the demo may not be seeded with these settings, or None."""
    if settings.environment != "development":
        return f"the demo organisation is for development only (environment is {settings.environment!r})"
    if settings.database.url:
        return "the demo organisation is only seeded on the embedded SQLite database (KONSENT__DATABASE__URL is set)"
    return None


def owner_email(slug: str) -> str:
    return f"inhaberin@{slug}.example"


def seed(app: Konsent, *, slug: str = SLUG) -> Demo:
    """Make the demo organisation (or finish it), and say how to reach it. (`konsent demo` also
    keeps it to the embedded database; `slug` lets tests seed one per test in a shared database.)"""
    if app.settings.environment != "development":
        raise DemoRefused(refusal(app.settings) or "development only")
    credentials = _credentials(app.settings)
    organisation_id, complete = _organisation(app, slug)
    if not complete:
        _texts_and_templates(app, organisation_id)
        _automations(app, organisation_id)
        _customers(app, organisation_id)
        _bookings(app, organisation_id)
    password = _owner(app, organisation_id, owner_email(slug), credentials)
    key = _api_key(app, organisation_id, credentials)
    _store(app.settings, {"staff_email": owner_email(slug), "staff_password": password, "api_key": key})
    campaign_id = complete or _campaign(app, organisation_id)
    plan = campaigns.preview(app, organisation_id, campaign_id)
    reasons: dict[str, int] = {}
    for channel in plan.channels:
        for reason in channel.reasons:
            reasons[reason.code] = reasons.get(reason.code, 0) + reason.count
    return Demo(organisation_id, slug, owner_email(slug), password, key, not complete, plan.included, plan.excluded,
                dict(sorted(reasons.items(), key=lambda item: -item[1])))


# --- the organisation and what it has set up ------------------------------------------------------

def _organisation(app: Konsent, slug: str) -> tuple[str, str | None]:
    """The organisation's id, and its campaign's id once the seeding got that far (the last step)."""
    with app.db.unit_of_work() as session:
        found = session.scalar(select(t.Organisation.id).where(t.Organisation.slug == slug))
        if found is not None:
            campaign = session.scalar(select(t.Campaign.id).where(
                t.Campaign.organisation_id == found, t.Campaign.name == CAMPAIGN))
            return found, campaign
    created = organisations.create(
        app, slug=slug, name=NAME, jurisdiction="DE", locale="de", timezone="Europe/Berlin",
        similar_categories=[["haircut", "hair-care"]], sender_name=NAME,
        sender_address="Sonnenallee 12, 12045 Berlin",
    )
    organisation_settings.change(app, created.id, {
        "imprint": "Salon Sonnenschein, Inhaberin Sonja Sommer, Sonnenallee 12, 12045 Berlin. "
                   "Demo-Organisation: alle Personen sind erfunden.",
        "privacy_url": "https://salon-sonnenschein.example/datenschutz",
    }, actor=ACTOR)
    return created.id, None


def _texts_and_templates(app: Konsent, organisation_id: str) -> None:
    with app.db.unit_of_work() as session:
        texts = set(session.execute(select(t.ConsentText.key, t.ConsentText.locale).where(
            t.ConsentText.organisation_id == organisation_id)).all())
        saved = set(session.execute(select(t.MessageTemplate.key, t.MessageTemplate.locale).where(
            t.MessageTemplate.organisation_id == organisation_id)).all())
    for key, locale, title, body in CONSENT_TEXTS:
        if (key, locale) not in texts:
            consents.consent_text(app, organisation_id, key=key, locale=locale, title=title, body=body)
    for locale, subject, text, html in CAMPAIGN_TEMPLATES:
        if (TEMPLATE, locale) not in saved:
            templates.save(app, organisation_id, key=TEMPLATE, channel="email", locale=locale, subject=subject,
                           body_text=text, body_html=html)


CONSENT_TEXTS = (
    ("newsletter", "de", "Newsletter von Salon Sonnenschein",
     "Ja, ich möchte den Newsletter von Salon Sonnenschein mit Angeboten zu Haarschnitt, Haarpflege und "
     "Farbe per E-Mail erhalten. Meine Einwilligung kann ich jederzeit widerrufen, z. B. über den Link in "
     "jeder E-Mail."),
    ("newsletter", "en", "Salon Sonnenschein newsletter",
     "Yes, I would like to receive Salon Sonnenschein's newsletter with offers on haircuts, hair care and "
     "colour by email. I can withdraw my consent at any time, e.g. through the link in every email."),
    ("sms", "de", "Termin-Angebote per SMS",
     "Ja, Salon Sonnenschein darf mir kurzfristig freie Termine und Angebote per SMS schicken. Widerruf "
     "jederzeit mit STOP."),
)

CAMPAIGN_TEMPLATES = (
    ("de", "Neu: unsere Herbst-Pflegeserie, {{ first_name }}",
     "Hallo {{ first_name }},\n\nder Herbst ist da – und mit ihm unsere neue Pflegeserie für trockenes Haar.\n"
     "Bis Ende Oktober 15 % auf alle Pflegeprodukte im Salon.\n\nIhr Team vom {{ organisation }}\n",
     "<html><body><p>Hallo {{ first_name }},</p><p>der Herbst ist da – und mit ihm unsere neue "
     "<strong>Pflegeserie</strong> für trockenes Haar. Bis Ende Oktober 15 % auf alle Pflegeprodukte.</p>"
     "<p>Ihr Team vom {{ organisation }}</p></body></html>"),
    ("en", "New: our autumn hair care series, {{ first_name }}",
     "Hello {{ first_name }},\n\nautumn is here – and with it our new care series for dry hair.\n"
     "15 % off all care products in the salon until the end of October.\n\nYour team at {{ organisation }}\n",
     "<html><body><p>Hello {{ first_name }},</p><p>autumn is here – and with it our new <strong>care "
     "series</strong> for dry hair. 15 % off all care products until the end of October.</p>"
     "<p>Your team at {{ organisation }}</p></body></html>"),
)


def _automations(app: Konsent, organisation_id: str) -> None:
    present = {(a.trigger, a.channel) for a in automations.listed(app, organisation_id)}
    for trigger, settings in (("booking_confirmation", {}), ("appointment_reminder", {"hours_before": 24}),
                              ("birthday_greeting", {"at": "09:00"})):
        if (trigger, "email") not in present:
            automations.enable(app, organisation_id, trigger, channel="email", settings=settings, actor=ACTOR)


# --- forty customers, one story each ------------------------------------------------------------

Story = Callable[[Konsent, str, str], None]


def _ago(app: Konsent, days: float) -> datetime:
    return app.now() - timedelta(days=days)


def _doi_confirmed(app: Konsent, organisation_id: str, customer_id: str) -> None:
    _signed_up_online(app, organisation_id, customer_id)
    requested = doi.request(app, organisation_id, customer_id, channel="email", evidence={"ip": "192.0.2.10"})
    with app.db.unit_of_work() as session:
        secret = session.get_one(t.Organisation, organisation_id).secret
    # The link of the mail just written to the outbox, as the person's click would bring it back.
    token = tokens.issue(secret, tokens.DOI, organisation_id=organisation_id, subject=requested.request_id,
                         expires_at=requested.expires_at)
    doi.confirm(app, token, evidence={"ip": "192.0.2.10", "user_agent": "Mozilla/5.0 (demo)"})


def _doi_waiting(app: Konsent, organisation_id: str, customer_id: str) -> None:
    _signed_up_online(app, organisation_id, customer_id)
    doi.request(app, organisation_id, customer_id, channel="email", evidence={"ip": "192.0.2.20"})


def _signed_up_online(app: Konsent, organisation_id: str, customer_id: str) -> None:
    with app.db.unit_of_work() as session:
        text_id = session.scalar(select(t.ConsentText.id).where(
            t.ConsentText.organisation_id == organisation_id, t.ConsentText.key == "newsletter",
            t.ConsentText.locale == "de").order_by(t.ConsentText.version.desc()).limit(1))
    consents.give(app, organisation_id, customer_id, ConsentDeclaration(
        channel="email", source="online_form", text_version_id=text_id, occurred_at=_ago(app, 0.02),
        evidence={"ip": "192.0.2.10", "page_url": "https://salon-sonnenschein.example/newsletter"}))


def _paper_form(app: Konsent, organisation_id: str, customer_id: str) -> None:
    consents.give(app, organisation_id, customer_id, ConsentDeclaration(
        channel="email", source="paper_form", evidence=PAPER, occurred_at=_ago(app, 40)), actor=ACTOR)


def _staff_recorded(app: Konsent, organisation_id: str, customer_id: str) -> None:
    consents.give(app, organisation_id, customer_id, ConsentDeclaration(
        channel="email", source="manual_staff", occurred_at=_ago(app, 12),
        evidence={"staff_actor": OWNER_NAME, "note": "at the reception desk, after the appointment"}), actor=ACTOR)


def _bought(category: str, *, notice: bool, days: float = 45) -> Story:
    def story(app: Konsent, organisation_id: str, customer_id: str) -> None:
        customers.record_purchase(app, organisation_id, customer_id, occurred_at=_ago(app, days),
                                  categories=[category], contact_collected=["email", "sms"],
                                  objection_notice_at_collection=notice)
    return story


def _objected(app: Konsent, organisation_id: str, customer_id: str) -> None:
    _bought("haircut", notice=True, days=90)(app, organisation_id, customer_id)
    consents.object_to(app, organisation_id, customer_id, channel="email", via="email", actor=ACTOR)


def _withdrew(app: Konsent, organisation_id: str, customer_id: str) -> None:
    _paper_form(app, organisation_id, customer_id)
    consents.withdraw(app, organisation_id, customer_id, channel="email", via="unsubscribe", actor=ACTOR)


def _sms_only(app: Konsent, organisation_id: str, customer_id: str) -> None:
    consents.give(app, organisation_id, customer_id, ConsentDeclaration(
        channel="sms", source="paper_form", evidence=PAPER, occurred_at=_ago(app, 20)), actor=ACTOR)


def _nothing(app: Konsent, organisation_id: str, customer_id: str) -> None:
    """Known from a booking by phone: no purchase by email yet, no consent."""


PEOPLE: tuple[tuple[str, str, str, bool, Story], ...] = (
    # first name, last name, birthday (MM-DD), has a mobile number, story
    ("Anna", "Schmidt", "03-14", True, _doi_confirmed), ("Jonas", "Becker", "07-02", False, _doi_confirmed),
    ("Lea", "Wagner", "11-23", True, _doi_confirmed), ("Paul", "Hoffmann", "01-30", False, _doi_confirmed),
    ("Mia", "Schulz", "05-19", False, _doi_confirmed), ("Felix", "Koch", "09-08", True, _doi_confirmed),
    ("Emma", "Richter", "12-01", False, _doi_confirmed), ("Noah", "Klein", "04-27", False, _doi_confirmed),
    ("Sophie", "Wolf", "08-15", False, _doi_waiting), ("Ben", "Neumann", "02-11", True, _doi_waiting),
    ("Hannah", "Schwarz", "10-05", False, _doi_waiting),
    ("Clara", "Zimmermann", "06-21", False, _paper_form), ("Elias", "Braun", "03-03", True, _paper_form),
    ("Lina", "Krüger", "09-29", False, _paper_form), ("Luis", "Hofmann", "12-12", False, _paper_form),
    ("Marie", "Hartmann", "01-07", False, _paper_form),
    ("Ida", "Lange", "05-05", True, _staff_recorded), ("Theo", "Schmitt", "07-23", False, _staff_recorded),
    ("Frieda", "Werner", "11-02", False, _staff_recorded),
    ("Greta", "Krause", "02-28", True, _bought("haircut", notice=True, days=30)),
    ("Oskar", "Meier", "06-09", False, _bought("haircut", notice=True, days=75)),
    ("Ella", "Lehmann", "08-31", False, _bought("hair-care", notice=True, days=14)),
    ("Anton", "Schmid", "10-18", True, _bought("haircut", notice=True, days=120)),
    ("Nele", "Schulze", "04-04", False, _bought("haircut", notice=True, days=200)),
    ("Karl", "Maier", "12-24", False, _bought("hair-care", notice=True, days=60)),
    ("Luise", "Köhler", "03-22", False, _bought("haircut", notice=False, days=25)),
    ("Emil", "Herrmann", "07-14", True, _bought("haircut", notice=False, days=50)),
    ("Mathilda", "König", "09-16", False, _bought("haircut", notice=False, days=100)),
    ("Jakob", "Walter", "01-19", False, _bought("colour", notice=True, days=35)),
    ("Charlotte", "Mayer", "05-27", True, _bought("colour", notice=True, days=80)),
    ("Henry", "Huber", "08-08", False, _objected), ("Amelie", "Kaiser", "11-11", True, _objected),
    ("Leon", "Fuchs", "02-02", False, _objected),
    ("Johanna", "Peters", "06-30", False, _withdrew), ("Moritz", "Lang", "10-10", False, _withdrew),
    ("Paula", "Scholz", "04-16", True, _sms_only), ("Finn", "Möller", "12-05", True, _sms_only),
    ("Rosa", "Weiß", "03-09", False, _nothing),
)
NO_EMAIL = ("Kurt", "Jung", "09-01")  # a phone number only: no email address to advertise to
ERASED = ("Vera", "Hahn", "07-07")  # asked to be forgotten (Art. 17)


def _customers(app: Konsent, organisation_id: str) -> None:
    with app.db.unit_of_work() as session:
        known = set(session.scalars(select(t.Customer.external_id).where(
            t.Customer.organisation_id == organisation_id, t.Customer.external_id.is_not(None))))
        erased = session.scalar(select(t.Customer.id).where(
            t.Customer.organisation_id == organisation_id, t.Customer.erased_at.is_not(None)).limit(1))
    today = app.now().astimezone(BERLIN).date()
    for number, (first, last, birthday, mobile, story) in enumerate(PEOPLE, 1):
        external_id = f"demo-{number:02d}"
        if external_id in known:
            continue
        # Anna's birthday is today: the worker's housekeeping greets her (she consented) from 09:00 on.
        born = _birthday(today.strftime("%m-%d") if number == 1 else birthday, 1970 + number)
        customer_id = customers.add(app, organisation_id, NewCustomer(
            external_id=external_id, first_name=first, last_name=last, birthday=born, locale="de",
            email=f"{_ascii(first)}.{_ascii(last)}@example.com",
            phone=f"+491512345{number:04d}" if mobile else None), actor=ACTOR).id
        story(app, organisation_id, customer_id)
    if "demo-41" not in known:
        first, last, birthday = NO_EMAIL
        customers.add(app, organisation_id, NewCustomer(
            external_id="demo-41", first_name=first, last_name=last, birthday=_birthday(birthday, 1961),
            phone="+4915123450041"), actor=ACTOR)
    if erased is None:
        first, last, birthday = ERASED
        customer_id = customers.add(app, organisation_id, NewCustomer(
            first_name=first, last_name=last, birthday=_birthday(birthday, 1988),
            email="vera.hahn@example.com"), actor=ACTOR).id
        _paper_form(app, organisation_id, customer_id)
        rights.erase(app, organisation_id, customer_id, actor=ACTOR)


def _birthday(month_day: str, year: int) -> date:
    month, day = map(int, month_day.split("-"))
    return date(year, month, min(day, 28) if month == 2 else day)


def _ascii(name: str) -> str:
    return name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")


def _bookings(app: Konsent, organisation_id: str) -> None:
    """Two appointments booked through the host system: confirmed now, reminded a day before."""
    for external_id, days, category in (("demo-02", 3, "haircut"), ("demo-20", 1.5, "colour")):
        starts = (app.now() + timedelta(days=days)).astimezone(BERLIN).replace(minute=0, second=0, microsecond=0)
        # Posted again by a run that finishes an interrupted one, its key makes it count once.
        host_events.post(app, organisation_id, type="booking.created", key=f"demo-booking-{external_id}",
                         customer=external_id, payload={
                             "booking_id": f"B-{external_id}", "starts_at": starts.isoformat(),
                             "categories": [category], "contact_collected": ["email"],
                             "objection_notice_shown": True})


def _campaign(app: Konsent, organisation_id: str) -> str:
    return campaigns.create(app, organisation_id, CampaignDraft(
        name=CAMPAIGN, kind="product_ad", channels=["email"], template_key=TEMPLATE,
        advertised_categories=["hair-care"]), actor=ACTOR).id


# --- who signs in -------------------------------------------------------------------------------

def _owner(app: Konsent, organisation_id: str, email: str, credentials: dict[str, Any]) -> str | None:
    with app.db.unit_of_work() as session:
        exists = session.scalar(select(t.StaffAccount.id).where(t.StaffAccount.email == email))
    if exists:
        stored = credentials.get("staff_password")
        return stored if isinstance(stored, str) and credentials.get("staff_email") == email else None
    password = secrets.token_urlsafe(12)
    staff.create(app, organisation_id, email=email, name=OWNER_NAME, password=password, role="owner", actor=ACTOR)
    return password


def _api_key(app: Konsent, organisation_id: str, credentials: dict[str, Any]) -> str:
    stored = credentials.get("api_key")
    if isinstance(stored, str) and stored.count("_") >= 2:
        # Looked up, not authenticated: signing in with it would record a use, and a second run changes nothing.
        with app.db.unit_of_work() as session:
            if session.scalar(select(t.ApiKey.id).where(
                    t.ApiKey.organisation_id == organisation_id, t.ApiKey.prefix == stored.split("_")[1],
                    t.ApiKey.revoked_at.is_(None))):
                return stored
    return api_keys.create(app, organisation_id, name="Demo booking system", scopes=["read", "write"],
                           actor=ACTOR)[1]


def _credentials(settings: Settings) -> dict[str, Any]:
    try:
        found = json.loads((settings.data_dir / CREDENTIALS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _store(settings: Settings, credentials: dict[str, Any]) -> None:
    path: Path = settings.data_dir / CREDENTIALS
    text = json.dumps(credentials, indent=2) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Only its owner may read it: a password and an API key, even for invented people.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
