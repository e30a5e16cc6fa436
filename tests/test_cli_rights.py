"""`konsent export`, `konsent erase` and `konsent dossier`, run as an operator runs them."""

import json

import pytest

from tests.cli import in_folder, ok

EMAIL, IP = "anna.berg@example.com", "192.0.2.7"


@pytest.fixture
def konsent(tmp_path):
    return in_folder(tmp_path, timeout=60)


def test_an_operator_exports_proves_and_erases_a_customer(konsent, tmp_path):
    ok(konsent("org", "create", "salon", "--name", "Salon Sonnenschein"))
    anna = json.loads(ok(konsent("customer", "add", "--org", "salon", "--email", EMAIL, "--first-name", "Anna",
                                 "--last-name", "Müller", "--locale", "en", "--json")))["id"]
    ok(konsent("consent", "give", EMAIL, "--org", "salon", "--channel", "email", "--source", "online_form",
               "--ip", IP, "--user-agent", "Firefox"))
    ok(konsent("consent", "object", EMAIL, "--org", "salon", "--channel", "email", "--actor", "staff:mia"))

    export = json.loads(ok(konsent("export", EMAIL, "--org", "salon")))
    assert export["events"][0]["evidence"]["ip"] == IP
    ok(konsent("export", EMAIL, "--org", "salon", "--format", "html", "--out", "access.html"))
    assert "Access under Art. 15 GDPR" in (tmp_path / "access.html").read_text()  # the customer's language
    assert (tmp_path / "access.html").stat().st_mode & 0o077 == 0  # personal data: for the owner's eyes

    for form in ("json", "html", "pdf"):
        ok(konsent("dossier", anna, "--org", "salon", "--format", form, "--out", f"proof.{form}", "--lang", "de"))
    assert (tmp_path / "proof.pdf").read_bytes().startswith(b"%PDF")
    assert "Nachweis der Einwilligung" in (tmp_path / "proof.html").read_text()
    assert json.loads((tmp_path / "proof.json").read_text())["verification"]["ok"]

    refused = konsent("erase", anna, "--org", "salon")
    assert refused.returncode == 2
    assert refused.stderr.startswith("konsent: yes: ")

    erased = json.loads(ok(konsent("erase", anna, "--org", "salon", "--yes", "--actor", "staff:mia", "--json")))
    assert (erased["customer"], erased["contact_points"], erased["already_erased"]) == (anna, 1, False)
    again = ok(konsent("erase", anna, "--org", "salon", "--yes"))
    assert "already erased" in again

    after = ok(konsent("export", anna, "--org", "salon"))
    assert not [value for value in (EMAIL, "Anna", "Müller", IP, "Firefox") if value in after]
    ok(konsent("dossier", anna, "--org", "salon", "--format", "json", "--out", "proof.json"))
    assert EMAIL not in (tmp_path / "proof.json").read_text()
    assert json.loads(ok(konsent("ledger", "verify", "--org", "salon", "--json")))["ok"]

    readded = json.loads(ok(konsent("customer", "add", "--org", "salon", "--email", EMAIL, "--json")))
    assert readded["suppressed"] == ["email"]


def test_an_unknown_customer_or_format_exits_2_with_one_line(konsent):
    ok(konsent("org", "create", "salon", "--name", "Salon"))
    missing = konsent("dossier", "nobody", "--org", "salon", "--format", "pdf", "--out", "x.pdf")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == ["konsent: customer not found"]
    wrong = konsent("export", "nobody", "--org", "salon", "--format", "xml")
    assert wrong.returncode == 2
