"""Builders: a mixed audience, a template, and a campaign-like batch of outbox rows, made the way the
services make them (`facts.decide_for` + `outbox.enqueue`)."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from konsent.config import SmtpSettings
from konsent.services import consents, customers, facts, outbox, templates
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.transports.smtp import SmtpPool
from konsent.worker.loop import Stats, Worker

OFFER = facts.Asked(kind="product_ad", channel="email", advertised_categories=("hair-care",))
SIGNED_FORM = {"document_hash": "ab" * 32}


def autumn_template(app, org, key: str = "autumn") -> templates.TemplateVersion:
    return templates.save(
        app, org, key=key, channel="email", locale="de", subject="Herbst bei uns, {{ first_name }}",
        body_text="Hallo {{ first_name }},\n\nunsere Pflegeprodukte für den Herbst sind da.\n",
        body_html="<html><body><p>Hallo {{ first_name }},</p><p>Pflege für den Herbst.</p></body></html>",
    )


def customer(app, org, name: str, **fields: Any) -> str:
    return customers.add(app, org, NewCustomer(email=f"{name}@example.com", first_name=name.title(), **fields)).id


def consenting(app, org, name: str) -> str:
    """A customer whose email consent is proven by a signed form: the newsletter may go."""
    customer_id = customer(app, org, name)
    consents.give(app, org, customer_id, ConsentDeclaration(channel="email", source="paper_form",
                                                             evidence=SIGNED_FORM))
    return customer_id


def regular(app, org, name: str) -> str:
    """An existing customer (a haircut a month ago, email taken with the objection notice): the
    privilege of §7 (3) UWG allows ads for similar products (hair care) without consent."""
    customer_id = customer(app, org, name)
    customers.record_purchase(app, org, customer_id, occurred_at=app.now() - timedelta(days=30),
                              categories=["haircut"], contact_collected=["email"], objection_notice_at_collection=True)
    return customer_id


def mixed(app, org) -> dict[str, str]:
    """name -> customer id. Allowed: anna, dora, gert, hanna. Denied: bruno (withdrew), clara (never
    asked), emil (objected)."""
    people = {
        "anna": consenting(app, org, "anna"), "bruno": consenting(app, org, "bruno"),
        "clara": customer(app, org, "clara"), "dora": regular(app, org, "dora"), "emil": regular(app, org, "emil"),
        "gert": consenting(app, org, "gert"), "hanna": regular(app, org, "hanna"),
    }
    consents.withdraw(app, org, people["bruno"], channel="email")
    consents.object_to(app, org, people["emil"], channel="email")
    return people


ALLOWED = ("anna", "dora", "gert", "hanna")
DENIED = ("bruno", "clara", "emil")


def schedule(app, org, people: dict[str, str], *, template_key: str = "autumn", send_after=None,
             campaign: str | None = None) -> dict[str, str]:
    """One outbox row per person with the decision of this moment; name -> outbox id."""
    campaign = campaign or str(uuid.uuid4())
    entries = []
    for customer_id in people.values():
        _, decision = facts.decide_for(app, org, customer_id, OFFER)
        entries.append(outbox.Entry(
            customer_id=customer_id, channel="email", kind=OFFER.kind, dedupe_key=f"campaign:{campaign}:{customer_id}",
            template_key=template_key, decision=decision.to_dict(), send_after=send_after or app.now(),
            advertised_categories=OFFER.advertised_categories,
        ))
    with app.db.unit_of_work() as session:
        outbox.enqueue(session, org, entries, now=app.now())
        ids = dict(session.execute(select(t.OutboxItem.customer_id, t.OutboxItem.id).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.dedupe_key.like(f"campaign:{campaign}:%"))).all())
    return {name: ids[customer_id] for name, customer_id in people.items()}


def pool(server, **settings: Any) -> SmtpPool:
    values = {"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 5,
              "sender": "konsent <news@salon.example>", **settings}
    return SmtpPool(SmtpSettings(**values), size=4)


def deliver(app, org, server, *, concurrency: int = 4, batch: int = 50, **options: Any) -> Stats:
    """One in-process worker for the organisation's messages, run until nothing is due."""
    worker = Worker(app, {"email": pool(server)}, concurrency=concurrency, batch=batch, organisations=[org],
                    **options)
    return asyncio.run(worker.run(once=True))
