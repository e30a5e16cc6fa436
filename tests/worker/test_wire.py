"""The message on the wire is built by hand for speed; it must parse to what the email package builds."""

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from hypothesis import given, settings
from hypothesis import strategies as st

from konsent.transports import OutgoingMessage, mime
from konsent.transports.smtp import wire

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "List-Unsubscribe", "List-Unsubscribe-Post")


def parsed(data: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


def from_the_wire(data: bytes) -> EmailMessage:
    assert data.endswith(b"\r\n.\r\n")
    lines = data[:-3].split(b"\r\n")
    assert not any(line.startswith(b".") and not line.startswith(b"..") for line in lines)  # dot-stuffed
    return parsed(b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines))


def assert_same(message: OutgoingMessage) -> None:
    ours, theirs = from_the_wire(wire(message)), parsed(mime.build(message).as_bytes(policy=policy.SMTP))
    for name in HEADERS:
        assert str(ours[name]) == str(theirs[name]), name
    assert ours.get_content_type() == theirs.get_content_type()
    for subtype in ("plain", "html"):
        mine, other = ours.get_body((subtype,)), theirs.get_body((subtype,))
        assert (mine is None) == (other is None)
        if mine is not None and other is not None:
            assert mine.get_content() == other.get_content(), subtype


def email(**fields) -> OutgoingMessage:
    values = {"id": "0b7c4a4e-9d0e-4d5e-8f39-1f0c6b0a2e11", "channel": "email", "to": "anna@example.com",
              "sender": mime.mailbox("Salon Sonnenschein", "konsent <news@salon.example>"),
              "subject": "Herbst bei uns, Anna", "text": "Hallo Anna,\n\nneu: Pflege.\n",
              "html": "<p>Hallo Anna</p>\n", "date": NOW,
              "headers": {"List-Unsubscribe": "<https://konsent.example/u/abc.def>",
                          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
    return OutgoingMessage(**{**values, **fields})


def test_a_newsletter_on_the_wire_is_the_newsletter_the_email_package_builds():
    assert_same(email())
    assert_same(email(html=None))


def test_a_line_that_starts_with_a_dot_is_doubled_so_that_it_cannot_end_the_message():
    data = wire(email(text=".\n.hidden\n..two\n", html=None))
    assert b"\r\n.\r\n" not in data[:-5]
    assert from_the_wire(data).get_content() == ".\r\n.hidden\r\n..two\r\n"


def test_umlauts_in_the_subject_and_the_senders_name_are_encoded():
    message = email(subject="Grüße aus der Hauptstraße, Jürgen " * 3,
                    sender=mime.mailbox("Salon Müller, Berlin", "news@salon.example"))
    head = wire(message).split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert_same(message)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
    html=st.none() | st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
    subject=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=120),
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40),
)
def test_any_text_parses_to_the_same_message_either_way(text, html, subject, name):
    subject = " ".join(subject.split())  # as compose makes every subject: one line, single spaces
    assert_same(email(text=text, html=html, subject=subject, sender=mime.mailbox(name, "news@salon.example")))
