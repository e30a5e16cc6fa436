"""Development delivery: email and SMS land as files in the outbox, whole or not at all."""

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from konsent.errors import InputError
from konsent.transports import OutgoingMessage, send_now
from konsent.transports.file import FileTransport
from konsent.transports.sms import FileSmsTransport
from tests.transports.smtp_server import text_of

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_an_email_becomes_an_eml_file_a_mail_program_can_open(tmp_path):
    email = OutgoingMessage(id="m-1", channel="email", to="anna@example.com", sender="Salon <no-reply@salon.example>",
                            subject="Grüße", text="Hallo Anna\n", html="<p>Hallo</p>\n", date=NOW)
    name = send_now(FileTransport(tmp_path / "outbox"), email)
    assert name == "m-1.eml"
    parsed = BytesParser(policy=policy.default).parsebytes((tmp_path / "outbox" / name).read_bytes())
    assert parsed["Subject"] == "Grüße"
    assert text_of(parsed, "plain") == "Hallo Anna\n"
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["m-1.eml"]  # no half-written leftovers


def test_an_sms_becomes_a_text_file(tmp_path):
    sms = OutgoingMessage(id="m-2", channel="sms", to="+4915123456789", sender="Salon", text="Code 123456", date=NOW)
    name = send_now(FileSmsTransport(tmp_path), sms)
    assert (tmp_path / name).read_text(encoding="utf-8").endswith("\n\nCode 123456")


def test_an_sms_needs_a_phone_number(tmp_path):
    sms = OutgoingMessage(id="m-3", channel="sms", to="anna@example.com", sender="Salon", text="Hi", date=NOW)
    with pytest.raises(InputError) as error:
        send_now(FileSmsTransport(tmp_path), sms)
    assert error.value.field == "to"
