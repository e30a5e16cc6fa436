"""Fixtures for the web layer: the ASGI app over the test's database (SQLite and PostgreSQL)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from konsent.services import api_keys
from konsent.services.context import Konsent
from konsent.web.app import create_app


@pytest.fixture
def web(app: Konsent) -> Iterator[TestClient]:
    """A client of the whole application; it follows no redirects, so tests see them."""
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield client


@pytest.fixture
def api_key(app: Konsent, org: str) -> str:
    """A read+write API key of the test's organisation."""
    return api_keys.create(app, org, name="booking system", scopes=["read", "write"])[1]


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
