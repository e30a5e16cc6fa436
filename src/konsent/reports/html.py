"""HTML pages from the export and the dossier.

Names, notes and consent texts are other people's input: templates run sandboxed and every
value is escaped unless a template says otherwise (none does).
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from konsent.reports import sections, words

if TYPE_CHECKING:
    from konsent.services.processing_record import ProcessingRecord


@cache
def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=PackageLoader("konsent.reports", "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["value"] = words.value_text
    environment.filters["moment"] = words.moment
    environment.filters["event_name"] = words.event_name
    environment.filters["field_name"] = words.field_name
    return environment


def _render(template: str, lang: str, **context: Any) -> str:
    return _environment().get_template(template).render(lang=lang, w=words.labels(lang), **context)


def export(document: dict[str, Any], lang: str) -> str:
    return _render(
        "export.html", lang, doc=document, name=sections.display_name(document["customer"]),
        timeline=sections.timeline(document["events"], lang), consents=sections.consents(document, lang),
    )


def dossier(document: dict[str, Any], lang: str) -> str:
    return _render(
        "dossier.html", lang, doc=document, name=sections.display_name(document["customer"]),
        timeline=sections.timeline(document["events"], lang), consents=sections.consents(document, lang),
    )


def processing_record(record: "ProcessingRecord") -> str:
    """The records of processing (services/processing_record.py) as a page."""
    return _render("processing_record.html", record.lang, record=record)
