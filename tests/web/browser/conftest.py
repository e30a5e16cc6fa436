"""Browser tests: Debian's Chromium driven by Playwright against the live server (tests/web/live.py).

Playwright's own browser download does not work on these machines, so the tests use
`/usr/bin/chromium` (KONSENT_TEST_CHROMIUM overrides it); `make test` installs it when missing
(scripts/ensure-chromium). Without it the tests skip — except in CI, where that is a failure.

Each test module runs on PostgreSQL only (`pytestmark` there): the server answers from its own
threads while the test reads the ledger, which is how konsent is deployed; a second run on SQLite
would double the slowest tests for no path the API and service tests do not already cover on it.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, sync_playwright

from konsent.services.context import Konsent
from tests.web.live import Live, live_server

CHROMIUM = Path(os.environ.get("KONSENT_TEST_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's own connections are refused on these machines
# and page loads stall behind them.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
WIDTHS = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module, not per session: Playwright's sync API keeps an event loop running in the main thread
    while it is open, and later tests' `asyncio.run()` (the worker's) would fail beside it."""
    if not CHROMIUM.exists():
        message = f"Chromium is missing at {CHROMIUM}; `scripts/ensure-chromium` installs it (as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def live(app: Konsent) -> Iterator[Live]:
    with live_server(app) as served:
        yield served


class Camera:
    """Full-page screenshots of each page at phone and tablet width, numbered in the order taken."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.taken = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, name: str) -> None:
        """Photographs the page at each width, and holds it to being legible there: nothing to scroll
        sideways (a table or a word wider than the screen) and no visible text under 12 CSS pixels."""
        self.taken += 1
        for width, size in WIDTHS.items():
            self.page.set_viewport_size(size)
            self.page.screenshot(path=self.folder / f"{self.taken:02d}-{name}-{width}.png", full_page=True)
            assert self.page.evaluate(_ILLEGIBLE) == {"sideways": 0, "wide": [], "small": []}, f"{name}, {width}"
        self.page.set_viewport_size(WIDTHS["phone"])


_ILLEGIBLE = """() => {
  const all = [...document.body.querySelectorAll("*")];
  const sideways = Math.max(0, document.documentElement.scrollWidth - window.innerWidth);
  // When the page is too wide, name the innermost things that stick out: what to mend.
  const out = sideways ? all.filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) : [];
  const wide = out.filter(e => ![...e.children].some(c => out.includes(c))).slice(0, 3)
    .map(e => e.outerHTML.slice(0, 120));
  const small = [];
  for (const element of all) {
    const text = [...element.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
      .map(n => n.textContent.trim()).join(" ").trim();
    if (!text || element.getClientRects().length === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || parseFloat(style.fontSize) >= 12) continue;
    small.push(`${element.tagName.toLowerCase()} ${style.fontSize}: ${text.slice(0, 40)}`);
  }
  return {sideways, wide, small};
}"""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport=WIDTHS["phone"], locale="de-DE", java_script_enabled=True)
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()


class Refusals:
    """What the browser refused or failed on the way: CSP violations and script errors (console), and
    answers of 400 and above to what the pages asked for — except the favicon, which browsers guess."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        # A failed load is reported again, with its address, by `response`.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.found.append(message.text)

    def response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.found.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def refusals() -> Refusals:
    return Refusals()


@pytest.fixture
def page(context: BrowserContext, refusals: Refusals) -> Iterator[Page]:
    opened = context.new_page()
    opened.on("console", refusals.console)
    opened.on("pageerror", lambda exc: refusals.found.append(f"uncaught: {exc}"))
    opened.on("response", refusals.response)
    yield opened
    opened.close()


@pytest.fixture
def camera(page: Page, request: pytest.FixtureRequest) -> Camera:
    return Camera(page, SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name))
