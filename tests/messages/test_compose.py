"""What every message carries by law, whatever the template says."""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from jinja2.exceptions import SecurityError, TemplateAssertionError

from konsent.domain import Requirement
from konsent.errors import InputError
from konsent.messages.compose import NOTICE, Sender, compose, sms_segments
from konsent.services import organisations, templates
from konsent.services.templates import TemplateVersion
from konsent.transports import mime

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SENDER = Sender(name="Salon Sonnenschein", address="Hauptstraße 1\n10115 Berlin",
                mailbox="Salon Sonnenschein <news@salon.example>")
ADVERTISING = (Requirement.OPT_OUT_NOTICE, Requirement.UNSUBSCRIBE_LINK, Requirement.SENDER_IDENTITY)
URL = "https://konsent.example/u/TOKEN"


def template(body_text="Hallo {{ first_name }}!", subject="Neu bei uns, {{ first_name }}", body_html=None,
             channel="email"):
    return TemplateVersion("t-1", "newsletter", channel, "de", 3, subject, body_text, body_html)


def email(requirements, **overrides):
    arguments = {"message_id": "0b7c4a4e-9d0e-4d5e-8f39-1f0c6b0a2e11", "channel": "email", "to": "anna@example.com",
                 "locale": "de", "template": template(), "requirements": requirements, "sender": SENDER,
                 "fields": {"first_name": "Anna"}, "unsubscribe_url": URL, "now": NOW}
    return compose(**{**arguments, **overrides})


def test_an_advertising_email_carries_notice_link_identity_and_one_click_headers():
    message = email(ADVERTISING)
    assert message.text.startswith("Hallo Anna!")
    assert NOTICE["de"] in message.text
    assert f"Abmelden: {URL}" in message.text
    assert "Salon Sonnenschein, Hauptstraße 1, 10115 Berlin" in message.text
    assert message.headers == {"List-Unsubscribe": f"<{URL}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    parsed = message_from_bytes(mime.build(message).as_bytes(), policy=policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"] == "Neu bei uns, Anna"


def test_a_transactional_email_names_the_sender_but_has_no_unsubscribe_headers():
    message = email((Requirement.SENDER_IDENTITY,))
    assert "List-Unsubscribe" not in message.headers
    assert NOTICE["de"] not in message.text
    assert "Salon Sonnenschein, Hauptstraße 1" in message.text


def test_the_html_part_gets_the_footer_and_escapes_customer_fields():
    message = email(ADVERTISING, template=template(body_html="<html><body><p>Hallo {{ first_name }}</p></body></html>"),
                    fields={"first_name": "<script>alert(1)</script>"})
    assert "&lt;script&gt;" in message.html
    assert "<script>" not in message.html
    assert message.html.index('class="konsent-footer"') < message.html.index("</body>")
    assert f'<a href="{URL}">Abmelden</a>' in message.html


def test_an_advertising_sms_carries_the_stop_notice_and_the_sender():
    message = compose(message_id="m", channel="sms", to="+4915123456789", locale="de",
                      template=template(body_text="Alles Gute zum Geburtstag, {{ first_name }}!", channel="sms",
                                        subject=None),
                      requirements=(Requirement.OPT_OUT_NOTICE, Requirement.SENDER_IDENTITY), sender=SENDER,
                      fields={"first_name": "Anna"}, unsubscribe_url=URL, now=NOW)
    assert message.text == f"Salon Sonnenschein: Alles Gute zum Geburtstag, Anna! Abmelden: STOP senden oder {URL}"


def test_templates_cannot_reach_python_internals():
    with pytest.raises(SecurityError):
        email(ADVERTISING, template=template(body_text="{{ first_name.__class__.__mro__[1].__subclasses__() }}"))


@pytest.mark.parametrize(("body", "said"), [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "longer than"),
    ("{% set l = [1] * 1000 %}{% for a in l %}{% for b in l %}{% for c in l %}{% endfor %}{% endfor %}{% endfor %}",
     "longer than"),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}", "longer than"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "~ would"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "+ would"),
    ("{{ ('a' * 100000) | replace('a', 'a' * 1000) }}", "replace would"),
    ("{{ 'x' * 1000000000 }}", "* would"),
])
def test_a_template_that_would_stall_the_worker_or_fill_its_memory_is_stopped(body, said):
    """One organisation's template must not stop the worker that sends every organisation's messages."""
    with pytest.raises(SecurityError, match=re.escape(said)):
        email(ADVERTISING, template=template(body_text=body))


def test_the_filters_that_pad_to_any_width_are_not_offered():
    for name in ("center", "indent", "wordwrap", "format"):
        with pytest.raises(TemplateAssertionError):
            email(ADVERTISING, template=template(body_text=f"{{{{ 'x' | {name}(1000000000) }}}}"))


def test_loops_joins_and_replacements_of_ordinary_size_render_as_jinja_renders_them():
    body = ("{% for tag in tags %}{{ loop.index }}. {{ tag ~ '!' }}{% if not loop.last %}, {% endif %}{% endfor %}"
            " | {{ first_name | replace('n', 'nn') }} | {{ '-' * 3 }} | {{ 2 ** 10 }}")
    sent = email((), template=template(body_text=body), fields={"first_name": "Anna", "tags": ["vip", "neu"]})
    assert sent.text == "1. vip!, 2. neu! | Annnna | --- | 1024\n"
    page = email((), template=template(body_html="<p>{{ '<b>' | safe ~ first_name }}</p>"),
                 fields={"first_name": "<i>Anna</i>"})
    assert page.html == "<p><b>&lt;i&gt;Anna&lt;/i&gt;</p>"


def test_a_customer_field_cannot_inject_a_header():
    message = email(ADVERTISING, fields={"first_name": "Anna\r\nBcc: everyone@example.com"})
    # whitespace in the subject is folded to single spaces, so no line break reaches a header
    assert message.subject == "Neu bei uns, Anna Bcc: everyone@example.com"
    assert mime.build(message)["Bcc"] is None


@pytest.mark.parametrize(("text", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("€" * 80, 1), ("€" * 81, 2),
    ("ü" * 160, 1), ("ł" * 70, 1), ("ł" * 71, 2), ("😀" * 35, 1), ("😀" * 36, 2),
])
def test_sms_segments_follow_gsm_7_and_ucs_2(text, segments):
    assert sms_segments(text) == segments


def test_a_template_with_a_syntax_error_is_refused_by_field(app, org):
    with pytest.raises(InputError) as error:
        templates.save(app, org, key="newsletter", channel="email", locale="de", subject="Hallo",
                       body_text="Hallo {{ first_name ")
    assert error.value.field == "body_text"


def test_saving_a_template_again_makes_a_new_version_and_current_takes_the_newest(app, org):
    first = templates.save(app, org, key="newsletter", channel="email", locale="de", subject="A", body_text="1")
    second = templates.save(app, org, key="newsletter", channel="email", locale="de", subject="B", body_text="2")
    assert (first.version, second.version) == (1, 2)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        assert templates.current(session, organisation, "newsletter", "email", "en").body_text == "2"
