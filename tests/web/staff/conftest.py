"""Staff UI fixtures: one organisation with an owner, a staff member and a data protection officer,
each with their own signed-in browser (TestClient) over the same application."""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from konsent.services import api_keys, complaints, consents, customers, staff
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.web.app import create_app

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Person:
    account: staff.StaffView
    client: TestClient

    def page(self, path: str, **params: str) -> str:
        response = self.client.get(path, params=params) if params else self.client.get(path)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response.text

    def token(self, path: str) -> str:
        """The CSRF token of the forms on `path`, as a browser has it after loading the page."""
        return token_in(self.page(path))

    def post(self, path: str, data: dict[str, str] | None = None, *, form_on: str | None = None, **options):
        """Send a form the way the page at `form_on` (default: `path`'s page) would."""
        token = self.token(form_on or path)
        return self.client.post(path, data={"csrf": token, **(data or {})}, **options)


def token_in(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def email_for(org: str, name: str) -> str:
    # Addresses are unique across organisations, and the tests share one database.
    return f"{name}.{org[:8]}@salon.example"


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: str):
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf": token_in(page.text), "email": email, "password": password,
                                             **extra})


@pytest.fixture
def browsers(app) -> Iterator[Callable[[], TestClient]]:
    """Independent browsers (each with its own cookie jar) over one application."""
    opened: list[TestClient] = []
    application = create_app(app)

    def open_one() -> TestClient:
        client = TestClient(application, follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.__exit__(None, None, None)


def _person(app, org, browsers, role: str, name: str, locale: str = "de") -> Person:
    account = staff.create(app, org, email=email_for(org, name), name=name.capitalize(), password=PASSWORD,
                           role=role, locale=locale)
    client = browsers()
    response = sign_in(client, account.email)
    assert response.status_code == 303, response.text[:500]
    return Person(account, client)


@pytest.fixture
def owner(app, org, browsers) -> Person:
    return _person(app, org, browsers, "owner", "mia")


@pytest.fixture
def desk(app, org, browsers) -> Person:
    """A staff member (role `staff`) at the desk, who works in English."""
    return _person(app, org, browsers, "staff", "leo", locale="en")


@pytest.fixture
def dpo(app, org, browsers) -> Person:
    return _person(app, org, browsers, "dpo", "dora")


@pytest.fixture
def anna(app, org) -> str:
    return customers.add(app, org, NewCustomer(
        email="anna.berg@example.com", phone="+4915123456789", first_name="Anna", last_name="Berg",
        external_id=f"K-{uuid.uuid4().hex[:6]}")).id


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id with small parameters: the same algorithm and format, a hundredth of the work."""
    monkeypatch.setattr(staff, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def snapshot(app, org):
    """Everything a write in the staff UI could change."""
    tables = (t.LedgerEvent, t.Complaint, t.ApiKey, t.StaffAccount, t.AuditEntry, t.Suppression, t.DoiRequest)
    with app.db.unit_of_work() as session:
        counts = {table.__tablename__: session.scalar(select(func.count()).select_from(table).where(
            table.organisation_id == org)) for table in tables}
        organisation = session.get(t.Organisation, org)
        counts["organisation"] = (organisation.name, organisation.imprint)
        counts["revoked"] = session.scalar(select(func.count()).select_from(t.ApiKey).where(
            t.ApiKey.organisation_id == org, t.ApiKey.revoked_at.is_not(None)))
        counts["disabled"] = session.scalar(select(func.count()).select_from(t.StaffAccount).where(
            t.StaffAccount.organisation_id == org, t.StaffAccount.disabled_at.is_not(None)))
        counts["erased"] = session.scalar(select(func.count()).select_from(t.Customer).where(
            t.Customer.organisation_id == org, t.Customer.erased_at.is_not(None)))
    return counts


@pytest.fixture
def world(app, org, anna, owner):
    """A customer with an open sign-up, a complaint, an API key and a colleague: something to change."""
    consent_id = consents.give(app, org, anna, ConsentDeclaration(channel="email", source="manual_staff"))
    complaint = complaints.record(app, org, customer_key=anna, arrived_by="email", summary="Beschwerde",
                                  wants_no_more=False, actor=owner.account.actor)
    key, _ = api_keys.create(app, org, name="booking system", scopes=["read"])
    colleague = staff.create(app, org, email=email_for(org, "kim"), name="Kim", password="a long password 1",
                             role="staff")
    return {"consent": consent_id, "complaint": complaint.id, "key": key.id, "colleague": colleague.id}


def writes(org, anna, world):
    """(form page, action, fields) for every form in the staff UI that changes the organisation's data."""
    return [
        (f"/staff/customers/{anna}", f"/staff/customers/{anna}/consents",
         {"channel": "email", "source": "manual_staff", "agreed_now": "yes"}),
        (f"/staff/customers/{anna}", f"/staff/customers/{anna}/consents/{world['consent']}/doi", {}),
        (f"/staff/customers/{anna}", "/staff/complaints", {"customer": anna, "arrived_by": "email",
                                                          "summary": "noch eine", "wants_no_more": "yes"}),
        (f"/staff/customers/{anna}", f"/staff/complaints/{world['complaint']}/answer", {"text": "Antwort"}),
        (f"/staff/customers/{anna}", f"/staff/complaints/{world['complaint']}/objection", {}),
        (f"/staff/customers/{anna}", f"/staff/customers/{anna}/erase", {"confirm": "yes"}),
        (f"/staff/customers/{anna}", "/staff/api-keys", {"name": "shop", "read": "yes"}),
        (f"/staff/customers/{anna}", f"/staff/api-keys/{world['key']}/revoke", {}),
        (f"/staff/customers/{anna}", "/staff/accounts", {"email": email_for(org, "new"), "name": "New",
                                                        "role": "owner", "password": "a long password 2"}),
        (f"/staff/customers/{anna}", f"/staff/accounts/{world['colleague']}/disable", {}),
        (f"/staff/customers/{anna}", "/staff/settings", {"name": "Taken Over", "imprint": "x"}),
    ]
