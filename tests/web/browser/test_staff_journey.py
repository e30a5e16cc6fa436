"""Mia, the salon's owner, at work in a real browser against the real server and a real SMTP server
(issue 6): she signs in and switches the UI to English, finds Clara and records her consent from a
signed paper form, builds an autumn campaign, reads its exclusion chart and the list behind a bar,
schedules it and watches the progress page report it done while the worker sends it, records Anna's
complaint ("no more messages") and downloads the answer with its proof dossier, and switches back to
German. Every page is photographed at phone and tablet width (test-artifacts/screenshots/), and the
browser must refuse nothing on the way (no CSP violation, no script error, no failed request).
"""

import hashlib
import re
from email.message import EmailMessage
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from konsent.domain.ledger import EventType
from konsent.services import facts, staff
from konsent.services.context import Konsent
from konsent.storage import tables as t
from tests.web.browser.conftest import Camera, Refusals
from tests.web.browser.test_signup_journey import deliver
from tests.web.live import Live
from tests.worker.audience import ALLOWED, autumn_template, mixed

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

PASSWORD = "correct horse battery staple"
OFFER = facts.Asked(kind="product_ad", channel="email", advertised_categories=("hair-care",))
SIGNED_FORM = b"%PDF-1.4 scan of the signed consent form, Clara, 20.11.2026\n"
REFERENCE = "Unterschriebenes Formular Nr. 17, Ordner 2026"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """As tests/web/staff/conftest.py: argon2id with small parameters, the same algorithm and format."""
    monkeypatch.setattr(staff, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def allowed(app: Konsent, org: str, customer_id: str) -> bool:
    return facts.decide_for(app, org, customer_id, OFFER)[1].allowed


def events_of(app: Konsent, org: str, customer_id: str) -> list[tuple[int, str, dict[str, Any] | None]]:
    """(seq, type, evidence) of the customer's ledger events, in order."""
    with app.db.unit_of_work() as session:
        rows = session.execute(select(t.LedgerEvent.seq, t.LedgerEvent.type, t.LedgerEvent.evidence).where(
            t.LedgerEvent.organisation_id == org, t.LedgerEvent.customer_id == customer_id)
            .order_by(t.LedgerEvent.seq))
        return [(seq, kind, evidence) for seq, kind, evidence in rows]


def outbox_states(app: Konsent, org: str, campaign_id: str) -> dict[str, str]:
    with app.db.unit_of_work() as session:
        return dict(session.execute(select(t.OutboxItem.customer_id, t.OutboxItem.status).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.campaign_id == campaign_id)).all())


def recipients(mails: list[EmailMessage]) -> set[str]:
    return {str(mail["To"]) for mail in mails}


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_an_owner_works_through_the_staff_ui_in_a_browser(live: Live, org: str, page: Page, camera: Camera,
                                                          refusals: Refusals) -> None:
    app = live.app
    autumn_template(app, org)
    people = mixed(app, org)  # anna, dora, gert, hanna may get the offer; bruno, clara, emil may not
    owner = staff.create(app, org, email=f"mia.{org[:8]}@salon.example", name="Mia", password=PASSWORD,
                         role="owner", locale="de")

    # 1. Signing in: an unsigned visitor is sent to the sign-in page, and back where she wanted to go.
    page.goto(f"{live.url}/staff/customers")
    assert "/staff/login" in page.url
    camera.shoot("login")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Anmeldung für Mitarbeiter"
    page.fill("#login-email", owner.email)
    page.fill("#login-password", PASSWORD)
    submit(page, "#login-submit")
    assert page.url.startswith(f"{live.url}/staff/customers")
    assert page.locator("#nav-customers").inner_text() == "Kunden"
    camera.shoot("customers-de")

    # 2. The language switch: the same page, in English, and it stays so for her account.
    submit(page, "#switch-language")
    assert page.url.startswith(f"{live.url}/staff/customers")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Customers"
    assert page.locator("#switch-language").inner_text() == "Deutsch"
    assert staff.signed_in(app, owner.id).account.locale == "en"  # type: ignore[union-attr]
    camera.shoot("customers-en")

    # 3. Finding a customer by name.
    page.fill("#search-q", "clara")
    submit(page, "#search-submit")
    camera.shoot("search")
    links = page.locator("a.customer-link")
    assert links.count() == 1
    assert links.inner_text() == "Clara"
    submit(page, "a.customer-link")
    clara = people["clara"]
    assert page.url == f"{live.url}/staff/customers/{clara}"
    assert page.locator("#permission-email-product_ad").get_attribute("data-status") != "allowed"
    camera.shoot("record-before")

    # 4. A manual consent with its evidence: the signed form, hashed in the browser, and its reference.
    before = events_of(app, org, clara)
    submit(page, "#action-consent")
    camera.shoot("consent-form")
    assert page.locator("h1").inner_text().startswith("Record consent")
    page.select_option("#consent-channel", "email")
    page.select_option("#consent-purpose", "advertising")
    page.check("#consent-source-paper_form")
    scan = FilePayload(name="clara-einwilligung.pdf", mimeType="application/pdf", buffer=SIGNED_FORM)
    page.set_input_files("#consent-document", files=[scan])
    digest = hashlib.sha256(SIGNED_FORM).hexdigest()
    # The page hashes the file in the browser (consent.js). `expect` waits without evaluating a string,
    # which the page's CSP (no 'unsafe-eval') would refuse once the hash is not there at the first look.
    expect(page.locator("#consent-document-hash")).to_have_value(digest)
    assert digest in page.inner_text("#consent-document-digest")
    page.fill("#consent-reference", REFERENCE)
    camera.shoot("consent-form-filled")
    assert events_of(app, org, clara) == before, "filling in the form changed the ledger"
    submit(page, "#consent-submit")
    camera.shoot("consent-recorded")
    assert page.locator("#consent-status").get_attribute("data-proven") == "yes"
    assert page.locator("#consent-proven").is_visible()
    [(_, kind, evidence)] = [e for e in events_of(app, org, clara) if e not in before]
    assert kind == EventType.CONSENT_GIVEN.value
    assert evidence is not None
    assert evidence["values"] == {"document_hash": digest, "note": REFERENCE}  # the scan itself stays at the desk
    assert allowed(app, org, clara)
    submit(page, "#to-record")
    assert page.locator("#permission-email-product_ad").get_attribute("data-status") == "allowed"
    camera.shoot("record-after")

    # 5. The campaign builder: the form filled completely, the live preview counts as she types.
    page.click("#nav-campaigns")
    page.wait_for_load_state()
    camera.shoot("campaigns")
    page.goto(f"{live.url}/staff/campaigns/new")
    page.fill("#campaign-name", "Herbstpflege")
    page.select_option("#campaign-kind", "product_ad")
    page.check("#campaign-channel-email")
    page.select_option("#campaign-template", "autumn")
    page.fill("#campaign-advertised", "hair-care")
    reachable = len(ALLOWED) + 1  # and Clara, since her consent
    page.wait_for_selector(f'#bar-email-reached[data-count="{reachable}"]')
    assert page.locator("#preview-unsaved").is_visible()
    assert page.locator("#list-email-objection").count() == 0  # an unsaved draft has no lists
    camera.shoot("campaign-builder")
    submit(page, "#campaign-save")
    found = re.search(r"/staff/campaigns/([\w-]+)\?saved=1$", page.url)
    assert found, page.url
    campaign_id = found.group(1)
    assert page.locator("#campaign-status").get_attribute("data-status") == "draft"

    # 6. The exclusion chart, in her words, and the list behind a bar.
    assert page.locator("#bar-email-reached").get_attribute("data-count") == str(reachable)
    assert page.locator("#bar-email-objection").get_attribute("data-count") == "1"
    assert page.locator("#bar-email-consent_withdrawn").get_attribute("data-count") == "1"
    assert "1 customer objected to advertising." in page.inner_text("#bars-email")
    assert page.locator("#preview-summary").get_attribute("data-included") == str(reachable)
    camera.shoot("campaign-preview")
    submit(page, "#list-email-objection")
    camera.shoot("left-out")
    assert page.locator("#left-out-total").get_attribute("data-total") == "1"
    assert page.locator(f"#customer-{people['emil']}").is_visible()
    assert "emil@example.com" in page.inner_text("#left-out")
    submit(page, "#back-to-campaign")

    # 7. Scheduling, then the worker sends while the progress page watches.
    assert outbox_states(app, org, campaign_id) == {}
    submit(page, "#campaign-schedule")
    assert page.locator("#campaign-queued").get_attribute("data-queued") == str(reachable)
    assert page.locator("#campaign-status").get_attribute("data-status") == "scheduled"
    assert page.locator("#count-queued").inner_text() == str(reachable)
    camera.shoot("campaign-scheduled")
    assert deliver(app, org).sent == reachable
    # campaign.js asks for the progress again on its own; no reload here.
    page.wait_for_selector("#campaign-progress #progress-done", timeout=30_000)
    assert page.locator("#count-sent").inner_text() == str(reachable)
    assert page.locator("#count-queued").inner_text() == "0"
    assert page.locator("#progress-refresh").count() == 0
    camera.shoot("campaign-sent")
    page.reload()
    assert page.locator("#progress-done").is_visible()
    assert page.locator("#campaign-progress").get_attribute("data-poll") is None  # nothing left to watch
    assert page.locator("#sent-by-basis-consent").get_attribute("data-count") == "3"  # anna, gert, clara
    assert page.locator("#sent-by-basis-existing_customer").get_attribute("data-count") == "2"  # dora, hanna
    mails = live.inbox.messages()
    expected = {f"{name}@example.com" for name in (*ALLOWED, "clara")}
    assert recipients(mails) == expected
    assert len(mails) == reachable
    assert {str(mail["Subject"]) for mail in mails} >= {"Herbst bei uns, Clara", "Herbst bei uns, Anna"}

    # 8. Anna complains and wants no more: the complaint, the objection, the answer and its proof.
    anna = people["anna"]
    page.goto(f"{live.url}/staff/customers/{anna}")
    camera.shoot("record-anna")
    submit(page, "#action-complaint")
    camera.shoot("complaint-form")
    page.select_option("#complaint-arrived", "email")
    page.fill("#complaint-summary", "Sie möchte keine Werbung mehr bekommen.")
    page.check("#complaint-stop")
    submit(page, "#complaint-submit")
    camera.shoot("complaint")
    assert re.search(r"/staff/complaints/[\w-]+$", page.url), page.url
    assert page.locator("#complaint-objection").inner_text() == "yes (all channels)"
    assert page.locator("#complaint").get_attribute("data-status") == "open"
    assert not allowed(app, org, anna)
    assert EventType.OBJECTION.value in {kind for _, kind, _ in events_of(app, org, anna)}
    assert "Herbst bei uns, Anna" in page.inner_text("main")  # what she was sent, with its decision
    draft = page.input_value("#answer-text")
    assert "Produktwerbung per E-Mail — Grundlage: Einwilligung" in draft  # in Anna's language, with the basis
    assert "Widerspruch" in draft
    submit(page, "#answer-submit")
    camera.shoot("complaint-answered")
    assert page.locator("#complaint").get_attribute("data-status") == "answered"
    assert page.inner_text("pre#answer-text").strip() == draft.strip()
    with page.expect_download() as downloading:
        page.click("#complaint-dossier")
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    path = download.path()
    assert path is not None
    assert path.read_bytes().startswith(b"%PDF")

    # 9. The language switch back: German texts again, on the page she was on.
    here = page.url
    submit(page, "#switch-language")
    assert page.url == here
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("#nav-complaints").inner_text() == "Beschwerden"
    assert page.locator("#switch-language").inner_text() == "English"
    camera.shoot("complaint-de")
    assert refusals.found == []
