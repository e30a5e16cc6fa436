"""Anna's whole journey in a real browser, against the real server and a real SMTP server: she signs
up through the salon's embedded form, confirms from the mail, sees the consent in her preference
centre, receives the newsletter and unsubscribes from its link. Opening a link changes nothing;
only the buttons do — checked in the ledger after each page. Every page is photographed at phone
and tablet width (test-artifacts/screenshots/), and the browser must refuse nothing on the way
(no CSP violation, no script error).
"""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from konsent.domain.ledger import EventType
from konsent.services import campaigns, consents, facts, templates
from konsent.services.campaigns import CampaignDraft
from konsent.services.context import Konsent
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.worker import runner
from tests.transports.smtp_server import text_of
from tests.web.browser.conftest import Camera, Refusals
from tests.web.live import Live

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

ANNA = "anna.berg@example.com"
NEWSLETTER = facts.Asked(kind="newsletter", channel="email")
WORDING = "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten. Widerruf jederzeit."


def ledger_of(app: Konsent, org: str) -> list[tuple[int, str]]:
    with app.db.unit_of_work() as session:
        rows = session.execute(select(t.LedgerEvent.seq, t.LedgerEvent.type)
                               .where(t.LedgerEvent.organisation_id == org).order_by(t.LedgerEvent.seq))
        return [(seq, kind) for seq, kind in rows]


def anna_of(app: Konsent, org: str) -> str:
    with app.db.unit_of_work() as session:
        [customer_id] = session.scalars(select(t.Customer.id).where(t.Customer.organisation_id == org)).all()
        return customer_id


def link_in(mail: EmailMessage, live: Live, kind: str) -> str:
    """The first konsent link of a kind (c: confirm, u: unsubscribe, p: preferences) in the plain text."""
    found = re.search(rf"{re.escape(live.url)}/{kind}/[\w.-]+", text_of(mail, "plain"))
    assert found, f"no /{kind}/ link to {live.url} in the mail"
    return found.group(0)


def deliver(app: Konsent, org: str) -> runner.Stats:
    """One worker pass, in a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, runner.run(app, once=True, organisations=[org])).result()


def allowed(app: Konsent, org: str, customer_id: str) -> bool:
    return facts.decide_for(app, org, customer_id, NEWSLETTER)[1].allowed


def test_sign_up_confirm_see_it_and_unsubscribe_in_a_browser(live: Live, org: str, page: Page, camera: Camera,
                                                             refusals: Refusals) -> None:
    app = live.app
    consents.consent_text(app, org, key="newsletter", locale="de", title="Salon-Newsletter", body=WORDING)
    templates.save(app, org, key="herbst", channel="email", locale="de", subject="Herbst im Salon",
                   body_text="Hallo {{ first_name }},\n\nunsere Pflege für den Herbst ist da.\n",
                   body_html="<html><body><p>Hallo {{ first_name }},</p><p>Pflege für den Herbst.</p></body></html>")
    with app.db.unit_of_work() as session:
        slug = session.get(t.Organisation, org).slug  # type: ignore[union-attr]

    # 1. The embedded sign-up form: nothing ticked, the consent text shown.
    page.goto(f"{live.url}/s/{slug}?embed=1")
    camera.shoot("signup-form")
    assert not page.is_checked("#consent-email-newsletter")
    assert WORDING in page.inner_text("main")
    page.fill("#email", ANNA)
    page.check("#consent-email-newsletter")
    page.click("#signup-form button[type=submit]")
    page.wait_for_load_state()
    camera.shoot("signup-sent")
    assert page.locator("h1").inner_text() == "Fast geschafft"
    anna = anna_of(app, org)
    assert [kind for _, kind in ledger_of(app, org)] == [EventType.CONSENT_GIVEN.value, EventType.DOI_REQUESTED.value]
    assert not allowed(app, org, anna)

    # 2. The confirmation mail arrives; opening its link shows a button and changes nothing.
    [confirmation] = live.inbox.messages()
    assert confirmation["To"] == ANNA
    before = ledger_of(app, org)
    page.goto(link_in(confirmation, live, "c"))
    camera.shoot("doi-confirm")
    assert ledger_of(app, org) == before, "opening the confirmation link changed the ledger"
    assert not allowed(app, org, anna)

    # 3. The button confirms: now the newsletter is allowed, on the basis of consent.
    page.click("#confirm-form button[type=submit]")
    page.wait_for_load_state()
    camera.shoot("doi-done")
    assert [kind for _, kind in ledger_of(app, org)][len(before):] == [EventType.DOI_CONFIRMED.value]
    assert allowed(app, org, anna)

    # 4. The preference centre shows the consent, confirmed, and the newsletter by email allowed.
    before = ledger_of(app, org)
    page.click("#preferences-link")
    page.wait_for_load_state()
    camera.shoot("preferences")
    cell = page.locator('#grid td[data-channel="email"][data-purpose="newsletter"]')
    assert cell.get_attribute("data-allowed") == "true"
    assert "bestätigt" in page.locator("ul.agreements").inner_text()
    assert ledger_of(app, org) == before, "opening the preference centre changed the ledger"

    # 5. A campaign reaches her; its unsubscribe link (List-Unsubscribe and in the text) withdraws.
    campaign = campaigns.create(app, org, CampaignDraft(name="Herbst", kind="newsletter", channels=["email"],
                                                        template_key="herbst"))
    assert campaigns.schedule(app, org, campaign.id).queued == 1
    assert deliver(app, org).sent == 1
    newsletter = live.inbox.messages()[-1]
    assert newsletter["Subject"] == "Herbst im Salon"
    header = re.search(r"<(http[^>]+/u/[^>]+)>", str(newsletter["List-Unsubscribe"]))
    assert header, f"no unsubscribe URL in List-Unsubscribe: {newsletter['List-Unsubscribe']}"
    assert newsletter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    visible = link_in(newsletter, live, "u")
    assert visible == header.group(1)
    before = ledger_of(app, org)
    page.goto(visible)
    camera.shoot("unsubscribe")
    assert ledger_of(app, org) == before, "opening the unsubscribe link changed the ledger"
    assert allowed(app, org, anna)
    page.click("#unsubscribe-form button[type=submit]")
    page.wait_for_load_state()
    camera.shoot("unsubscribed")
    assert not allowed(app, org, anna)
    with app.db.unit_of_work() as session:
        recorded = {e.type for e in ledger.events_of(session, org, anna)}
    assert EventType.CONSENT_WITHDRAWN in recorded

    # 6. Back in the preference centre the newsletter by email is no longer allowed.
    page.click("#preferences-link")
    page.wait_for_load_state()
    camera.shoot("preferences-after")
    assert cell.get_attribute("data-allowed") == "false"
    assert refusals.found == []


@pytest.mark.parametrize("path", ["/c/not-a-token", "/u/not-a-token", "/p/not-a-token", "/s/no-such-salon",
                                  "/no-such-page"])
def test_a_wrong_link_shows_a_page_the_browser_renders_whole(live: Live, org: str, page: Page, camera: Camera,
                                                             refusals: Refusals, path: str) -> None:
    """A mistyped or truncated link gets a page in words — styled by the site's stylesheet, since the
    CSP refuses inline styles — and changes nothing."""
    before = ledger_of(live.app, org)
    answer = page.goto(f"{live.url}{path}")
    assert answer is not None
    assert 400 <= answer.status < 500
    camera.shoot("wrong-link")
    assert page.locator("h1").count() == 1
    assert [r for r in refusals.found if not r.endswith(path)] == []  # the page's own status is expected
    assert ledger_of(live.app, org) == before
