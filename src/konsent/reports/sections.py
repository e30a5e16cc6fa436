"""The pieces both renderings show, derived once from a dossier or export document."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from konsent.reports.words import event_name, field_name, moment, value_text

# Shown elsewhere in the report, or meaningless to a reader.
_QUIET_FIELDS = frozenset({"text_sha256", "text_version_id"})
_ORDER = ("channel", "purpose", "scope", "source", "method", "via", "categories", "third_party", "evidence",
          "consent_id", "asked_to_stop")


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    when: str
    what: str
    details: str
    actor: str


@dataclass(frozen=True)
class ConsentSection:
    seq: int
    given_at: str
    channel: str
    details: list[tuple[str, str]]
    steps: list[tuple[str, str]]  # double opt-in and withdrawal, each with its moment
    text: Mapping[str, Any] | None
    evidence: list[tuple[str, str]]
    evidence_status: str  # intact | altered | erased | none


def timeline(events: Sequence[Mapping[str, Any]], lang: str) -> list[TimelineRow]:
    consent_seq = {e["id"]: e["seq"] for e in events if e["type"] == "consent.given"}
    rows = []
    for event in events:
        parts = []
        data = event["data"]
        for key in sorted(data, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k)):
            value = data[key]
            if key in _QUIET_FIELDS or value in (None, []):
                continue
            linked = key == "consent_id" and value in consent_seq
            shown = f"#{consent_seq[value]}" if linked else value_text(value, lang)
            parts.append(f"{field_name(key, lang)}: {shown}")
        rows.append(TimelineRow(
            seq=event["seq"], when=moment(event["occurred_at"], lang), what=event_name(event["type"], lang),
            details="; ".join(parts), actor=event.get("actor") or "—",
        ))
    return rows


def consents(document: Mapping[str, Any], lang: str) -> list[ConsentSection]:
    texts = {text["id"]: text for text in document.get("consent_texts", [])}
    state = document["state"] or {"consents": []}
    records = {record["consent_id"]: record for record in state["consents"]}
    sections = []
    for event in document["events"]:
        if event["type"] != "consent.given":
            continue
        data, record = event["data"], records.get(event["id"], {})
        steps = [
            (field, moment(record[stamp], lang))
            for stamp, field in (
                ("doi_requested_at", event_name("doi.requested", lang)),
                ("doi_confirmed_at", event_name("doi.confirmed", lang)),
                ("doi_expired_at", event_name("doi.expired", lang)),
                ("withdrawn_at", event_name("consent.withdrawn", lang)),
            )
            if record.get(stamp)
        ]
        details = [
            (field_name(key, lang), value_text(data.get(key), lang))
            for key in ("purpose", "source", "method", "categories", "third_party", "evidence")
            if key in data
        ]
        sections.append(ConsentSection(
            seq=event["seq"], given_at=moment(event["occurred_at"], lang),
            channel=value_text(data.get("channel"), lang), details=details, steps=steps,
            text=texts.get(data.get("text_version_id") or ""),
            evidence=[(field_name(k, lang), str(v)) for k, v in (event.get("evidence") or {}).items()],
            evidence_status=event.get("evidence_status", "none"),
        ))
    return sections


def display_name(customer: Mapping[str, Any]) -> str:
    return " ".join(filter(None, [customer.get("first_name"), customer.get("last_name")])) or "—"
