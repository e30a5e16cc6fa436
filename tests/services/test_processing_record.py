"""The records of processing (Art. 30 GDPR), filled from the organisation and the live settings —
as a page and as a PDF that renders — and the `konsent report` commands an operator runs."""

import json
import subprocess
import zipfile

import pytest
from sqlalchemy import update

from konsent.config import SmsSettings, SmtpSettings
from konsent.errors import InputError
from konsent.services import processing_record, staff, webhooks
from konsent.storage import tables as t
from tests.cli import in_folder, ok
from tests.poppler import tool


@pytest.fixture
def configured(app, org):
    """A salon with a real SMTP provider, Twilio for SMS, a webhook receiver and a data protection officer."""
    app.settings.smtp = SmtpSettings(host="smtp.provider.example", port=587, username="salon",
                                     password="smtp-password-secret", security="starttls")
    app.settings.sms = SmsSettings(provider="twilio", account="AC123", token="twilio-token-secret")
    app.settings.doi.lifetime_days = 9
    app.settings.security.session_hours = 8
    app.settings.server.public_url = "https://konsent.salon.example"
    webhooks.create(app, org, url="https://booking.example/konsent-events")
    staff.create(app, org, email=f"dana.{org[:8]}@salon.example", name="Dana Datenschutz",
                 password="a long passphrase", role="dpo")
    with app.db.unit_of_work() as session:
        session.execute(update(t.Organisation).where(t.Organisation.id == org).values(
            imprint="Salon Sonnenschein GmbH, HRB 4711", privacy_url="https://salon.example/datenschutz"))
    return app


def pdf_text(document: bytes, tmp_path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(document)
    result = subprocess.run([tool("pdftotext"), str(path), "-"], capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


LIVE = {
    "de": ("Salon Sonnenschein", "Hauptstraße 1, 10115 Berlin", "Salon Sonnenschein GmbH, HRB 4711",
           "https://salon.example/datenschutz", "Dana Datenschutz <dana.{org}@salon.example>",
           "smtp.provider.example:587", "twilio: api.twilio.com", "booking.example", "gültig 9 Tage", "8 Stunden",
           "Verschlüsselung STARTTLS", "nur über HTTPS", "Twilio Inc. (USA)", "§ 7 Abs. 3 UWG"),
    "en": ("Record of processing activities (Art. 30 GDPR)", "smtp.provider.example:587", "valid for 9 days",
           "8 hours", "encryption STARTTLS", "over HTTPS only", "Hash-chained, append-only ledger",
           "signed, expiring tokens", "keyed hashes (HMAC-SHA256", "Tenant separation"),
}
SECRETS = ("smtp-password-secret", "twilio-token-secret", "AC123", "a long passphrase")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_record_is_filled_from_the_organisation_and_the_live_settings(configured, org, lang, tmp_path):
    page = processing_record.render(configured, org, lang, fmt="html").decode()
    document = processing_record.render(configured, org, lang, fmt="pdf")
    printed = pdf_text(document, tmp_path)
    for fact in (fact.format(org=org[:8]) for fact in LIVE[lang]):
        shown = fact.replace("<", "&lt;").replace(">", "&gt;")
        assert shown in page, fact
        assert fact in printed, fact
    for secret in SECRETS:
        assert secret not in page
        assert secret not in printed

    (tmp_path / "pages").mkdir()
    subprocess.run([tool("pdftoppm"), "-png", "-r", "50", str(tmp_path / "record.pdf"), str(tmp_path / "pages/p")],
                   check=True, capture_output=True)
    pages = sorted((tmp_path / "pages").glob("*.png"))
    assert pages
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 3_000 for p in pages)


def test_without_providers_it_says_messages_stay_local_and_nothing_leaves_the_country(app, org):
    record = processing_record.build(app, org, lang="en")
    recipients = dict(next(part for part in record.parts if part.key == "recipients").facts)
    assert recipients["Email delivery (SMTP)"] == "none: messages are written to local files"
    assert recipients["Transfers to third countries"].startswith("konsent itself transfers nothing")
    controller = dict(next(part for part in record.parts if part.key == "controller").facts)
    assert controller["Data protection officer"] == "none registered in konsent"
    assert controller["Imprint"] == "not on file"


def test_what_the_organisation_typed_is_escaped_on_the_page(app, org):
    with app.db.unit_of_work() as session:
        session.execute(update(t.Organisation).where(t.Organisation.id == org).values(
            name="Salon <script>alert(1)</script>", imprint="<img src=x onerror=alert(2)>"))
    page = processing_record.render(app, org, "de", fmt="html").decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "Salon &lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(("options", "field"), [({"lang": "fr"}, "lang"), ({"fmt": "docx"}, "format")])
def test_an_unknown_language_or_format_is_refused_naming_the_field(app, org, options, field):
    with pytest.raises(InputError) as refused:
        processing_record.render(app, org, **{"lang": "de", "fmt": "html", **options})
    assert refused.value.field == field


# --- the commands --------------------------------------------------------------------------------

@pytest.fixture
def konsent(tmp_path):
    return in_folder(tmp_path)


def test_an_operator_produces_every_report_from_the_command_line(konsent, tmp_path):
    ok(konsent("org", "create", "salon", "--name", "Salon Sonnenschein"))
    ok(konsent("report", "answer-pack", "--org", "salon", "--lang", "en", "--out", "pack.zip"))
    archive = zipfile.ZipFile(tmp_path / "pack.zip")
    assert archive.read("answer.pdf").startswith(b"%PDF")
    figures = json.loads(archive.read("figures.json"))["figures"]
    assert figures["ledger"] == {"events": {"result": "0"}, "head": {"result": "0"}, "intact": {"result": "yes"},
                                 "breaks": {"result": "0"}}
    assert (tmp_path / "pack.zip").stat().st_mode & 0o077 == 0

    board = json.loads(ok(konsent("report", "dashboard", "--org", "salon", "--json", "--bucket", "day",
                                  "--since", "2020-01-01", "--until", "2020-01-03")))
    assert [p["start"][:10] for p in board["points"]] == ["2020-01-01", "2020-01-02"]

    ok(konsent("report", "processing", "--org", "salon", "--lang", "de", "--format", "pdf", "--out", "r.pdf"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "Verzeichnis von Verarbeitungstätigkeiten" in ok(konsent("report", "processing", "--org", "salon"))

    refused = konsent("report", "dashboard", "--org", "salon", "--since", "last tuesday")
    assert refused.returncode == 2
    assert refused.stderr.startswith("konsent: since: ")
