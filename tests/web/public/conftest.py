"""The public pages over a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

Each test's client comes from an address of its own: rate counters live in the shared database,
and one test's posts must not count against the next one's.
"""

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from konsent.config import SmtpSettings
from konsent.services.context import Konsent
from konsent.web.app import create_app
from tests.transports.smtp_server import Inbox, smtp_server


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def site_app(app: Konsent, inbox: Inbox) -> Konsent:
    smtp = SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", sender="Salon <no-reply@salon.example>")
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"smtp": smtp}))


def client_for(konsent: Konsent) -> TestClient:
    address = uuid.uuid4().bytes
    return TestClient(create_app(konsent), follow_redirects=False,
                      client=(f"10.{address[0]}.{address[1]}.{address[2]}", 50000))


@pytest.fixture
def site(site_app: Konsent) -> Iterator[TestClient]:
    """A browser on the public pages; it follows no redirects (there must be none)."""
    with client_for(site_app) as client:
        yield client
