"""Personas and small builders for the public-page tests: Anna signs up, confirms, unsubscribes."""

import re
import uuid

from sqlalchemy import func, select

from konsent import tokens
from konsent.services import consents, customers, doi, unsubscribe
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from tests.transports.smtp_server import text_of
from tests.web.public.html import Page

ANNA = "anna.berg@example.com"
ANNA_PHONE = "+4915123456789"
WORDING = "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten. Widerruf jederzeit."
LINK = re.compile(r"http://127\.0\.0\.1:8000(/[cpu]/[\w.-]+)")


def add_anna(app, org, **fields):
    fields.setdefault("email", ANNA)
    fields.setdefault("phone", ANNA_PHONE)
    return customers.add(app, org, NewCustomer(first_name="Anna", **fields))


def newsletter_text(app, org, locale="de", body=WORDING):
    return consents.consent_text(app, org, key="newsletter", locale=locale, title="Salon-Newsletter", body=body)


def signed_up(app, org, customer_id, channel="email", text_id=None, purpose="newsletter"):
    return consents.give(app, org, customer_id, ConsentDeclaration(
        channel=channel, source="online_form", purpose=purpose, text_version_id=text_id,
        evidence={"ip": "192.0.2.7"}))


def slug_of(app, org):
    with app.db.unit_of_work() as session:
        return session.get(t.Organisation, org).slug


def path_in(text):
    """The path of the first konsent link in a message (/c/…, /u/…, /p/…)."""
    return LINK.search(text).group(1)


def confirmation_path(app, org, customer_id, inbox, channel="email"):
    """Ask for confirmation through the real SMTP server and return the link's path from the mail."""
    doi.request(app, org, customer_id, channel=channel)
    return path_in(text_of(inbox.messages()[-1], "plain"))


def sent_message(app, org, customer_id, channel="email"):
    """A newsletter as the worker logs it once sent; its id is what an unsubscribe link names."""
    message_id = str(uuid.uuid4())
    with app.db.unit_of_work() as session:
        session.add(t.Message(
            id=message_id, organisation_id=org, customer_id=customer_id, kind="newsletter", channel=channel,
            to_address=ANNA, subject="Neu im Salon", body_text="…", status="sent", decision={}, created_at=app.now(),
            sent_at=app.now(),
        ))
    return message_id


def unsubscribe_path(app, org, message_id):
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, org)
    return unsubscribe.url("http://127.0.0.1:8000", organisation, message_id, app.now()).removeprefix(
        "http://127.0.0.1:8000")


def token_for(app, org, purpose, subject):
    """A genuinely signed token of `org` (for another purpose, or naming another tenant's id)."""
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, org)
    return tokens.issue(organisation.secret, purpose, organisation_id=org, subject=subject,
                        expires_at=app.now().replace(year=app.now().year + 1))


def events(app, org, customer_id):
    with app.db.unit_of_work() as session:
        return ledger.events_of(session, org, customer_id)


def types(app, org, customer_id):
    return [event.type.value for event in events(app, org, customer_id)]


def evidence_of(app, org, kind):
    with app.db.unit_of_work() as session:
        row = session.scalar(select(t.LedgerEvent).where(
            t.LedgerEvent.organisation_id == org, t.LedgerEvent.type == kind).order_by(t.LedgerEvent.seq.desc()))
        return row.evidence["values"]


TABLES = (t.LedgerEvent, t.Customer, t.ContactPoint, t.DoiRequest, t.Message, t.AuditEntry, t.Suppression,
          t.ConsentText)


def footprint(app, org):
    """Everything a page could write for the organisation — the same before and after means nothing changed."""
    with app.db.unit_of_work() as session:
        counts = {table.__tablename__: session.scalar(
            select(func.count()).select_from(table).where(table.organisation_id == org)) for table in TABLES}
        counts["confirmed"] = session.scalar(select(func.count()).select_from(t.DoiRequest).where(
            t.DoiRequest.organisation_id == org, t.DoiRequest.confirmed_at.is_not(None)))
        counts["head"] = session.scalar(select(t.LedgerHead.seq).where(t.LedgerHead.organisation_id == org))
        return counts


def post_form(site, page: Page, form_id: str, **fields):
    """Submit a form of a page as a browser would: its own fields, then the ones the person filled in."""
    form = page.forms[form_id]
    data = {name: values if len(values) > 1 else values[0] for name, values in form.fields.items()}
    data.update(fields)
    return site.post(form.action, data=data)
