"""Messages konsent itself writes (the DOI confirmation), rendered from templates in a sandbox.

Templates are data a business may one day edit, so they render in Jinja2's immutable sandbox:
no attribute tricks, no mutation, and HTML autoescaped. Text parts are not escaped — they are
plain text — but never reach a browser as HTML.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = ("de", "en")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    # One environment for the process: each template is compiled once, not per message.
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(kind: str, locale: str, channel: str, context: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of an email, or the text of an SMS, in `locale` (de or en)."""
    if locale not in LOCALES:
        raise ValueError(f"locale {locale!r}: templates exist for {', '.join(LOCALES)}")
    folder = f"{kind}/{locale}"

    def part(name: str) -> str:
        return environment().get_template(f"{folder}/{name}").render(context)

    if channel == "sms":
        return Rendered(subject=None, text=_flowing(part("sms.txt")), html=None)
    subject = " ".join(part("subject.txt").split())
    return Rendered(subject=subject, text=_paragraphs(part("email.txt")), html=_paragraphs(part("email.html")))


def _paragraphs(text: str) -> str:
    # Exactly one final newline: MIME adds one when missing, and the stored copy must equal the sent one.
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def _flowing(text: str) -> str:
    return " ".join(text.split())
