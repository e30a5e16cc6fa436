"""An organisation with one of everything the API can address — made through the services, the way
the API would make it — for tests that call every route: the tenant isolation test (another
organisation's key must find none of it) and the schemathesis run (real ids reach the branches
that find something)."""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import select

from konsent.services import api_keys, automations, campaigns, consents, customers, doi, host_events, templates
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.worker import runner


@dataclass(frozen=True)
class World:
    organisation_id: str
    slug: str
    marker: str  # a word in the customer's name, the template, the campaign, the consent text
    customer_id: str
    external_id: str
    email: str
    phone: str
    consent_id: str
    text_id: str
    template_key: str
    template_id: str
    campaign_id: str
    message_id: str
    doi_request_id: str
    purchase_id: str
    purchase_external_id: str
    automation_id: str
    event_id: str
    webhook_id: str
    delivery_id: str
    complaint_id: str
    api_key_id: str
    api_key: str
    ledger_event_id: str

    def traces(self) -> dict[str, str]:
        """Every value that identifies this organisation's data: none may reach another organisation."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("template_key", "slug")}




# Path parameters that are ids, by name: the record of that kind in a world.
IDS: dict[str, Callable[[World], str]] = {
    "customer_id": lambda w: w.customer_id,
    "consent_id": lambda w: w.consent_id,
    "text_id": lambda w: w.text_id,
    "campaign_id": lambda w: w.campaign_id,
    "message_id": lambda w: w.message_id,
    "request_id": lambda w: w.doi_request_id,
    "purchase_id": lambda w: w.purchase_id,
    "automation_id": lambda w: w.automation_id,
    "event_id": lambda w: w.event_id,
    "webhook_id": lambda w: w.webhook_id,
    "endpoint_id": lambda w: w.webhook_id,
    "delivery_id": lambda w: w.delivery_id,
    "complaint_id": lambda w: w.complaint_id,
    "key_id": lambda w: w.api_key_id,
    "template_id": lambda w: w.template_id,
}


def populate(app: Konsent, org: str) -> World:
    unique = uuid.uuid4().hex[:8]
    marker = f"Sonnenschein{unique}"
    email, external_id = f"anna.{unique}@example.com", f"K-{unique}"
    phone = f"+49151{int(unique, 16) % 10**8:08d}"
    anna = customers.add(app, org, NewCustomer(
        email=email, phone=phone, first_name="Anna", last_name=marker, external_id=external_id,
        birthday=date(1990, 5, 17), tags=["stammkunde"]))
    purchase_external_id = f"order-{unique}"
    purchase_id = customers.record_purchase(
        app, org, anna.id, occurred_at=app.now() - timedelta(days=30), categories=["haircut"],
        contact_collected=["email"], objection_notice_at_collection=True, external_id=purchase_external_id)
    text = consents.consent_text(app, org, key="newsletter", locale="de", title=f"Newsletter {marker}",
                                 body=f"Ja, ich möchte den Newsletter von {marker} per E-Mail erhalten.")
    consent_id = consents.give(app, org, anna.id, ConsentDeclaration(
        channel="email", source="online_form", text_version_id=text.id, evidence={"ip": "192.0.2.7"}))
    requested = doi.request(app, org, anna.id, channel="email", consent_id=consent_id)
    template = templates.save(app, org, key="newsletter", channel="email", locale="de", subject=f"Neu bei {marker}",
                              body_text=f"Hallo {{{{ first_name }}}},\n\nneu bei {marker}: Pflege für den Herbst.\n")
    campaign = campaigns.create(app, org, CampaignDraft(
        name=f"Herbst {marker}", kind="product_ad", channels=["email"], template_key="newsletter",
        advertised_categories=["hair-care"]))
    campaigns.schedule(app, org, campaign.id)
    asyncio.run(runner.run(app, once=True, organisations=[org]))  # to the file outbox: messages on record
    automation = automations.enable(app, org, "booking_confirmation")
    posted = host_events.post(app, org, type="booking.created", key=f"booking-{unique}", customer=anna.id,
                              payload={"booking_id": f"b-{unique}", "starts_at": "2026-12-01T10:00:00+01:00",
                                       "categories": ["haircut"]})
    consents.complaint(app, org, anna.id, channel="sms", asked_to_stop=True)
    key_view, key = api_keys.create(app, org, name="shop", scopes=["read", "write"])
    with app.db.unit_of_work() as session:
        now = app.now()
        webhook = t.WebhookEndpoint(id=str(uuid.uuid4()), organisation_id=org, url="https://shop.example/hooks",
                                    secret=uuid.uuid4().hex, events=[], created_at=now)
        session.add(webhook)
        session.flush()
        delivery = t.WebhookDelivery(id=str(uuid.uuid4()), organisation_id=org, endpoint_id=webhook.id,
                                     event="consent.changed", payload={"customer_id": anna.id}, status="failed",
                                     attempts=8, next_attempt_at=now, last_status=500, created_at=now)
        complaint = t.Complaint(id=str(uuid.uuid4()), organisation_id=org, customer_id=anna.id, received_at=now,
                                channel="email", summary=f"Warum bekomme ich Werbung von {marker}?", wants_no_more=True,
                                recorded_by="test", created_at=now)
        session.add_all([delivery, complaint])
        message_id = session.scalar(select(t.Message.id).where(
            t.Message.organisation_id == org, t.Message.campaign_id == campaign.id))
        ledger_event_id = session.scalar(select(t.LedgerEvent.id).where(t.LedgerEvent.organisation_id == org)
                                         .limit(1))
        slug = session.get(t.Organisation, org).slug  # type: ignore[union-attr]
    assert message_id is not None, "the campaign sent nothing: the world needs a message on record"
    return World(
        organisation_id=org, slug=slug, marker=marker, customer_id=anna.id, external_id=external_id, email=email,
        phone=phone,
        consent_id=consent_id, text_id=text.id, template_key="newsletter", template_id=template.id,
        campaign_id=campaign.id, message_id=message_id, doi_request_id=requested.request_id,
        purchase_id=purchase_id, purchase_external_id=purchase_external_id, automation_id=automation.id,
        event_id=posted.event_id, webhook_id=webhook.id, delivery_id=delivery.id, complaint_id=complaint.id,
        api_key_id=key_view.id, api_key=key, ledger_event_id=str(ledger_event_id),
    )
