"""The worker sends SMS too (through the configured SMS transport), and takes its transports and
rate limits from the settings."""

import asyncio

from sqlalchemy import select

from konsent.config import DispatchSettings, Settings, SmtpSettings
from konsent.services import consents, customers, facts, outbox, templates
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.transports.file import FileTransport
from konsent.transports.sms import FileSmsTransport
from konsent.transports.smtp import SmtpPool
from konsent.worker import runner
from konsent.worker.loop import Worker
from konsent.worker.quota import SharedQuota
from konsent.worker.ratelimit import RateLimit

GREETING = facts.Asked(kind="birthday_greeting", channel="sms")


def test_an_sms_goes_out_with_the_stop_notice_and_its_sender(app, org, tmp_path):
    templates.save(app, org, key="birthday", channel="sms", locale="de",
                   body_text="Alles Gute zum Geburtstag, {{ first_name }}!")
    lena = customers.add(app, org, NewCustomer(phone="+4915123456789", first_name="Lena")).id
    consents.give(app, org, lena, ConsentDeclaration(channel="sms", source="paper_form",
                                                    evidence={"document_hash": "ab" * 32}))
    _, decision = facts.decide_for(app, org, lena, GREETING)
    with app.db.unit_of_work() as session:
        outbox.enqueue(session, org, [outbox.Entry(
            customer_id=lena, channel="sms", kind=GREETING.kind, dedupe_key=f"birthday:{lena}", template_key="birthday",
            decision=decision.to_dict(), send_after=app.now())], now=app.now())
    worker = Worker(app, {"sms": FileSmsTransport(tmp_path)}, concurrency=1, organisations=[org])
    assert asyncio.run(worker.run(once=True)).sent == 1
    with app.db.unit_of_work() as session:
        message = session.scalar(select(t.Message).where(t.Message.organisation_id == org))
    assert message is not None
    text = (tmp_path / f"{message.id}.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]
    assert text.startswith("Salon Sonnenschein: Alles Gute zum Geburtstag, Lena!")
    assert "Abmelden: STOP senden oder http://127.0.0.1:8000/u/" in text
    assert message.to_address == "+4915123456789"


def test_email_goes_over_an_smtp_pool_when_a_host_is_set_and_to_the_outbox_folder_otherwise(tmp_path):
    pooled = runner.transports_for(Settings(data_dir=tmp_path, smtp=SmtpSettings(host="mail.example")), 16)
    assert isinstance(pooled["email"], SmtpPool)
    assert pooled["email"].size == 16
    assert isinstance(runner.transports_for(Settings(data_dir=tmp_path), 16)["email"], FileTransport)


def test_rate_limits_come_from_the_settings_per_channel_and_are_shared_by_all_workers(app):
    app.settings.dispatch = DispatchSettings(email_per_second=50, sms_per_window=1000, window_seconds=60)
    limits = runner.limits_for(app)
    assert set(limits) == {"email", "sms"}
    email, sms = limits["email"], limits["sms"]
    assert isinstance(email, SharedQuota)
    assert isinstance(sms, SharedQuota)
    assert (email.per_second, email.per_window) == (50, None)
    assert (sms.per_second, sms.per_window, sms.window) == (None, 1000, 60)
    app.settings.dispatch = DispatchSettings(email_per_second=0.5)  # below one a second: this process spaces them
    assert isinstance(runner.limits_for(app)["email"], RateLimit)
    app.settings.dispatch = DispatchSettings()
    assert runner.limits_for(app) == {}
