"""Small builders for the API core tests: a customer, a second organisation, a read-only key, the
settings of a test's application changed."""

import dataclasses
import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from konsent.services import api_keys, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.web.app import create_app

API = "/api/v1"
ANNA = {"email": "anna.berg@example.com", "phone": "+4915123456789", "first_name": "Anna", "last_name": "Berg"}
SIGNUP = {"channel": "email", "source": "online_form",
          "evidence": {"ip": "192.0.2.7", "user_agent": "Firefox/140", "page_url": "https://salon.example/news"}}
CODE = re.compile(r"Code (\d{6}) ")


def add_customer(web: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = web.post(f"{API}/customers", headers=auth, json={**ANNA, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def other_organisation(app: Konsent) -> tuple[str, dict[str, str]]:
    """Another tenant with a read+write key: its id and the headers to call with."""
    other = organisations.create(app, slug=f"nachbar-{uuid.uuid4().hex[:8]}", name="Friseur Nachbar",
                                 jurisdiction="DE").id
    key = api_keys.create(app, other, name="nachbar", scopes=["read", "write"])[1]
    return other, {"Authorization": f"Bearer {key}"}


def read_only(app: Konsent, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_keys.create(app, org, name='reporting', scopes=['read'])[1]}"}


def with_settings(app: Konsent, **sections: Any) -> Konsent:
    """The test's application with some settings sections replaced (e.g. smtp=SmtpSettings(...))."""
    return dataclasses.replace(app, settings=app.settings.model_copy(update=sections))


def client(app: Konsent) -> TestClient:
    return TestClient(create_app(app), follow_redirects=False)


def count(app: Konsent, table: Any, org: str) -> int:
    with app.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(table.organisation_id == org)) or 0)


def ledger_size(app: Konsent, org: str) -> int:
    return count(app, t.LedgerEvent, org)


def error(response: Any) -> dict[str, Any]:
    """The error body, after checking it is one."""
    body = response.json()
    assert set(body) == {"error"}, body
    return dict(body["error"])
