"""The use cases on the command line, run as an operator runs them, against both databases."""

import json
import os
import subprocess
import sys
import uuid

import pytest


@pytest.fixture
def konsent(database, tmp_path):
    env = {**os.environ, "KONSENT__DATABASE__URL": database.url, "KONSENT__DATA_DIR": str(tmp_path)}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "konsent", *args], env=env, capture_output=True,
                                text=True, timeout=120, check=False)
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return run


def as_json(result):
    return json.loads(result.stdout)


def test_an_operator_records_consent_and_objection_and_the_ledger_verifies(konsent):
    slug = f"salon-{uuid.uuid4().hex[:8]}"
    org = as_json(konsent("org", "create", slug, "--name", "Salon Sonnenschein", "--jurisdiction", "DE", "--json"))
    assert org["slug"] == slug
    anna = as_json(konsent("customer", "add", "--org", slug, "--email", "Anna@Example.com", "--phone",
                           "+4915123456789", "--first-name", "Anna", "--json"))
    assert anna["contacts"]["email"] == "anna@example.com"

    konsent("consent", "give", "anna@example.com", "--org", slug, "--channel", "sms", "--source", "paper_form",
            "--document-hash", "ab" * 32, "--actor", "staff:mia")
    decision = as_json(konsent("decide", "--customer", anna["id"], "--org", slug, "--kind", "birthday_greeting",
                               "--channel", "sms"))
    assert (decision["decision"], decision["basis"]) == ("allow", "consent")

    konsent("consent", "object", anna["id"], "--org", slug, "--channel", "sms", "--actor", "staff:mia")
    decision = as_json(konsent("decide", "--customer", anna["id"], "--org", slug, "--kind", "birthday_greeting",
                               "--channel", "sms"))
    assert [r["code"] for r in decision["reasons"]] == ["objection"]

    verified = as_json(konsent("ledger", "verify", "--org", slug, "--json"))
    assert verified == {"ok": True, "events": 2, "head_seq": 2, "breaks": []}
    audit = as_json(konsent("audit", "--org", slug, "--json"))
    assert [entry["action"] for entry in audit] == ["objection.recorded_by_staff", "consent.recorded_by_staff",
                                                   "customer.created"]
    assert {entry["actor"] for entry in audit[:2]} == {"staff:mia"}


def test_bad_input_exits_2_with_one_line_naming_the_field(konsent):
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    konsent("org", "create", slug, "--name", "Shop", "--jurisdiction", "AT")
    result = konsent("customer", "add", "--org", slug, "--email", "not-an-address", ok=False)
    assert result.returncode == 2
    assert result.stderr.startswith("konsent: email: not a valid email address")
    assert len(result.stderr.strip().splitlines()) == 1
    result = konsent("customer", "show", "nobody@example.com", "--org", slug, ok=False)
    assert (result.returncode, result.stderr.strip()) == (2, "konsent: customer not found")
    result = konsent("org", "create", slug, "--name", "Again", ok=False)
    assert "exists" in result.stderr
