"""SMTP delivery against a real server: what arrives is what was built, and refusals are classified."""

from datetime import UTC, datetime

import pytest

from konsent.config import SmtpSettings
from konsent.errors import InputError
from konsent.transports import OutgoingMessage, TransportError, send_now
from konsent.transports.mime import mailbox
from konsent.transports.smtp import SmtpTransport
from tests.transports.smtp_server import free_port, smtp_server, text_of


def message(**fields):
    values = {
        "id": "6f1c1d2e-7a55-4d3c-9a61-0c2b8f1e9d10", "channel": "email", "to": "anna.berg@example.com",
        "sender": mailbox("Salon Sonnenschein, Berlin", "konsent <no-reply@salon.example>"),
        "subject": "Bitte bestätigen Sie Ihre Anmeldung", "text": "Hallo Anna,\n\nbitte bestätigen: ä ö ü ß\n",
        "html": "<p>Hallo Anna, bitte bestätigen: ä ö ü ß</p>\n", "date": datetime(2026, 11, 20, 9, tzinfo=UTC),
    }
    return OutgoingMessage(**{**values, **fields})


def transport(port, **settings):
    values = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5, **settings}
    return SmtpTransport(SmtpSettings(**values))


def test_the_server_receives_exactly_the_message_built():
    with smtp_server() as inbox:
        transport_id = send_now(transport(inbox.port), message())
    [received] = inbox.messages()
    assert transport_id == received["Message-ID"] == "<6f1c1d2e-7a55-4d3c-9a61-0c2b8f1e9d10@salon.example>"
    assert inbox.received[0].rcpt_tos == ["anna.berg@example.com"]
    assert received["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung"
    assert received["From"].addresses[0].display_name == "Salon Sonnenschein, Berlin"
    assert received["From"].addresses[0].addr_spec == "no-reply@salon.example"
    assert received["Auto-Submitted"] == "auto-generated"
    assert text_of(received, "plain") == "Hallo Anna,\n\nbitte bestätigen: ä ö ü ß\n"
    assert text_of(received, "html") == "<p>Hallo Anna, bitte bestätigen: ä ö ü ß</p>\n"


@pytest.mark.parametrize("behaviour", [
    {"refuse_recipient": "550 5.1.1 Mailbox unavailable"},
    {"refuse_data": "554 5.7.1 Message rejected"},
])
def test_a_5xx_answer_is_a_permanent_failure(behaviour):
    with smtp_server(**behaviour) as inbox, pytest.raises(TransportError) as failure:
        send_now(transport(inbox.port), message())
    assert failure.value.permanent is True
    assert "anna" not in str(failure.value)  # the server's words may quote the address; ours do not


def test_a_4xx_answer_is_a_temporary_failure():
    with smtp_server(refuse_data="451 4.3.0 Try again later") as inbox, pytest.raises(TransportError) as failure:
        send_now(transport(inbox.port), message())
    assert failure.value.permanent is False


def test_a_refused_connection_is_a_temporary_failure():
    with pytest.raises(TransportError) as failure:
        send_now(transport(free_port()), message())
    assert failure.value.permanent is False


def test_starttls_is_required_when_configured():
    # aiosmtpd's test server offers no STARTTLS: a transport told to use it must not fall back to plain text.
    with smtp_server() as inbox, pytest.raises(TransportError):
        send_now(transport(inbox.port, security="starttls"), message())
    assert inbox.received == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"subject": "Hallo\r\nBcc: everyone@example.com"}, "subject"),
    ({"to": "anna@example.com\nBcc: everyone@example.com"}, "to"),
    ({"sender": "x <a@example.com>\rBcc: everyone@example.com"}, "sender"),
    ({"headers": {"List-Unsubscribe": "<https://x>\r\nBcc: everyone@example.com"}}, "headers.List-Unsubscribe"),
])
def test_a_line_break_in_a_header_is_refused(fields, field):
    with pytest.raises(InputError) as error:
        message(**fields)
    assert error.value.field == field


def test_a_line_break_in_the_display_name_is_refused():
    with pytest.raises(InputError) as error:
        mailbox("Salon\r\nBcc: everyone@example.com", "no-reply@salon.example")
    assert error.value.field == "sender"


def test_an_unknown_security_setting_is_refused():
    with pytest.raises(InputError) as error:
        transport(25, security="maybe")
    assert error.value.field == "smtp.security"
