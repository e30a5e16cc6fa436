"""Builders for table-driven decision cases: each row is a scenario in the JSON contract of
shared/spec/decision-scenario.md, the decision it must get, and the source that says so."""

from dataclasses import dataclass, field
from typing import Any

from konsent.domain import Decision, decide
from konsent.scenario import parse_scenario

AT = "2026-11-20T10:00:00+01:00"  # the moment of sending in every row unless a row says otherwise


@dataclass(frozen=True)
class Row:
    id: str
    source: str  # the rule, statute or ruling the expectation comes from
    scenario: dict[str, Any]
    decision: str
    basis: str | None = None
    reasons: tuple[str, ...] = ()  # for a denial: exactly these codes, in any order
    warnings: tuple[str, ...] = ()  # exactly these warning codes
    requirements: tuple[str, ...] | None = None  # when given: exactly these, in any order
    extra: dict[str, Any] = field(default_factory=dict)

    def decide(self) -> Decision:
        return decide(parse_scenario(self.scenario))

    def check(self) -> None:
        got = self.decide()
        warned = [w.code for w in got.warnings]
        summary = f"{self.id}: got {got.decision} {got.basis} {got.codes} warnings={warned}"
        assert got.decision.value == self.decision, summary
        assert (got.basis.value if got.basis else None) == self.basis, summary
        if self.decision == "deny":
            assert sorted(got.codes) == sorted(self.reasons), summary
        elif "reason" in self.extra:  # for an allow: the one rule that granted it
            assert got.codes == (self.extra["reason"],), summary
        assert sorted(w.code for w in got.warnings) == sorted(self.warnings), summary
        if self.requirements is not None:
            assert sorted(r.value for r in got.requirements) == sorted(self.requirements), summary
        assert got.citations, f"{self.id}: a decision without a citation"


def scenario(
    jurisdiction: str,
    channel: str,
    kind: str,
    *,
    at: str = AT,
    recipient: dict[str, Any] | None = None,
    similar: list[list[str]] | None = None,
    reading: str = "prevailing",
    **message: Any,
) -> dict[str, Any]:
    """A scenario; `message` takes the message fields (advertised_categories, automated, ...)."""
    return {
        "jurisdiction": jurisdiction,
        "at": at,
        "organisation": {"similar_categories": similar or [], "reading": reading},
        "message": {"channel": channel, "kind": kind, **message},
        "recipient": recipient or {},
    }


def recipient(
    *,
    consents: list[dict[str, Any]] = (),  # type: ignore[assignment]
    objections: list[dict[str, Any]] = (),  # type: ignore[assignment]
    purchases: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **fields: Any,
) -> dict[str, Any]:
    return {
        "consents": list(consents), "objections": list(objections), "purchases": list(purchases),
        **fields,
    }


def consent(channel: str, *, given_at: str = "2026-01-05T12:00:00Z", **fields: Any) -> dict[str, Any]:
    """A consent confirmed by double opt-in three minutes after it was given, unless overridden."""
    fields.setdefault("doi_confirmed_at", given_at.replace("12:00:00", "12:03:00"))
    return {"channel": channel, "given_at": given_at, **fields}


def objection(
    channel: str = "all", *, at: str = "2026-06-01T00:00:00Z", scope: str = "advertising"
) -> dict[str, Any]:
    return {"channel": channel, "scope": scope, "at": at}


def purchase(
    *categories: str,
    at: str = "2026-05-02T10:00:00Z",
    collected: tuple[str, ...] = ("email",),
    notice: bool = True,
) -> dict[str, Any]:
    return {
        "at": at, "categories": list(categories), "contact_collected": list(collected),
        "objection_notice_at_collection": notice,
    }
