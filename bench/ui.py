"""Do the staff pages stay fast on a million customers? Customer search and the campaign preview.

The organisation of bench/audience.py (1,000,000 customers with contact points, purchases, a
hash-chained ledger and the audience projection, on PostgreSQL) — built afresh, or the one a run of
`bench/audience.py --keep` left (`--reuse URL`, much quicker). A staff owner signs in to the real
server (`konsent serve`, a separate process) through its login form, then each page is fetched
`--runs` times over HTTP, as the browser would, and timed from request to last byte:

  search   /staff/customers?q=…  a common surname, a first + last name, an email address (part),
           a phone number, an external id, a word no one has
  preview  the campaign page with its live audience preview (every reason, its sentence and count),
           for a campaign to everyone and for one with a segment (tags and last visit)
  report   the dashboard and the authority answer pack, once each (no target: they fold the whole
           ledger; printed so that what a million customers cost there is known)

Target (issue 6): each search and preview answers in ≤ 1 s. Prints median, best and worst; never asserts.

Run: `.venv/bin/python bench/ui.py [--reuse URL] [--runs R]`.
"""

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from audience import ADMIN, NOW, million
from konsent.services import campaigns, staff
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft
from konsent.services.context import Konsent
from konsent.storage import tables as t

ROOT = Path(__file__).resolve().parents[1]
EMAIL, PASSWORD = "inhaberin@salon-kette.example", "bench-only-password-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "KONSENT__DATABASE__URL": url, "KONSENT__SERVER__PORT": str(port),
           "KONSENT__SERVER__PUBLIC_URL": f"http://127.0.0.1:{port}", "KONSENT__DATA_DIR": "/tmp/konsent-bench-ui"}
    process = subprocess.Popen([sys.executable, "-m", "konsent", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = process.stderr.read() if process.stderr else ""
                    raise RuntimeError(f"konsent serve did not start: {said}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def owner(app: Konsent, org: str) -> None:
    with app.db.unit_of_work() as session:
        known = session.scalar(select(t.StaffAccount.id).where(t.StaffAccount.email == EMAIL))
    if known is None:
        staff.create(app, org, email=EMAIL, name="Inhaberin", password=PASSWORD, role="owner")


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
    form = client.get("/staff/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token in the login form")
    answer = client.post("/staff/login", data={"csrf": token.group(1), "email": EMAIL, "password": PASSWORD,
                                               "next": "/staff/customers", "lang": "de"})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return client


def timed(client: httpx.Client, path: str, runs: int) -> tuple[list[float], httpx.Response]:
    took, answer = [], None
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(path)
        took.append(time.perf_counter() - began)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code}")
    assert answer is not None
    return took, answer


def figures(took: list[float]) -> str:
    return (f"median {statistics.median(took) * 1000:7.1f} ms   best {min(took) * 1000:7.1f} ms   "
            f"worst {max(took) * 1000:7.1f} ms")


def searches(app: Konsent, org: str) -> dict[str, str]:
    """Queries a person at the desk types, taken from the data so that they find someone."""
    with app.db.unit_of_work() as session:
        someone = session.execute(select(t.Customer.first_name, t.Customer.last_name, t.Customer.external_id).where(
            t.Customer.organisation_id == org, t.Customer.external_id.is_not(None)).limit(1)).one()
        email = session.scalar(select(t.ContactPoint.value).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.kind == "email").offset(123_456).limit(1))
        phone = session.scalar(select(t.ContactPoint.value).where(
            t.ContactPoint.organisation_id == org, t.ContactPoint.kind == "phone").offset(54_321).limit(1))
    return {
        "a surname": someone.last_name or "Müller",
        "first and last name": f"{someone.first_name} {someone.last_name}",
        "part of an email address": (email or "anna").split("@")[0][:8],
        "a phone number": phone or "+4915100000000",
        "an external id": someone.external_id or "K-1",
        "a word no one has": "Xylophonbauer",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--admin-url", default=ADMIN)
    parser.add_argument("--reuse", metavar="URL", help="the database a `bench/audience.py --keep` run left")
    parser.add_argument("--keep", action="store_true", help="keep a freshly built database for --reuse")
    options = parser.parse_args()
    with million(options) as (app, org):
        app.clock = lambda: NOW
        owner(app, org)
        draft = CampaignDraft(name="Winterpflege", kind="product_ad", channels=["email"], template_key="winter",
                              advertised_categories=["hair-care"])
        everyone = campaigns.create(app, org, draft).id
        regulars = Segment(tags=("vip", "stammkunde"), last_visit_before=NOW - timedelta(days=90))
        segmented = campaigns.create(app, org, CampaignDraft(**{**vars(draft), "name": "Stammkunden",
                                                                "segment": regulars})).id
        queries = searches(app, org)
        url = app.settings.database_url
        with server(url) as base, contextlib.closing(signed_in(base)) as client:
            print(f"\nserver {base} on {url.rsplit('/', 1)[1]}; {options.runs} runs each, after one warm-up\n")
            for label, query in queries.items():
                client.get("/staff/customers", params={"q": query})
                took, answer = timed(client, f"/staff/customers?{httpx.QueryParams({'q': query})}", options.runs)
                found = len(re.findall(r'href="/staff/customers/[0-9a-f-]{36}"', answer.text))
                print(f"search   {label:<26} {figures(took)}   ({found} shown)")
            for label, campaign in (("to everyone", everyone), ("segment: tags, last visit", segmented)):
                path = f"/staff/campaigns/{campaign}"
                client.get(path)
                took, _ = timed(client, path, options.runs)
                print(f"preview  {label:<26} {figures(took)}")
            # No target for these: they read and fold the whole ledger from its hashed bodies.
            for label, path in (("dashboard (default weeks)", "/staff/dashboard"),
                                ("answer pack download (de)", "/staff/reports/answer-pack-de.zip")):
                took, _ = timed(client, path, 1)
                print(f"report   {label:<26} {took[0] * 1000:9.1f} ms   (once)")
        print("\ntarget: every search and preview ≤ 1 s; the reports have none")


if __name__ == "__main__":
    main()
