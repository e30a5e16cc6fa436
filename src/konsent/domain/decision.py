"""The answer: allow or deny, on which basis, why, and what the message must carry."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from konsent.domain.facts import Jurisdiction
from konsent.domain.wording import sentence


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Basis(StrEnum):
    CONTRACT = "contract"  # Art. 6 (1) b GDPR
    NO_ADVERTISING = "no_advertising"
    DOI_REQUEST = "doi_request"
    CONSENT = "consent"
    EXISTING_CUSTOMER = "existing_customer"  # §7 (3) UWG, §174 (4) TKG, Art. 3 (1) o UWG-CH
    PRESUMED_CONSENT = "presumed_consent"
    BUSINESS_RELATIONSHIP = "business_relationship"
    LEGITIMATE_INTEREST = "legitimate_interest"  # Art. 6 (1) f GDPR


class Requirement(StrEnum):
    OPT_OUT_NOTICE = "opt_out_notice"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    SENDER_IDENTITY = "sender_identity"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that spoke: a reason for the decision, or a warning beside it.

    `params` fill the rule's sentence; the sentence itself is worded only when asked for,
    because most decisions in a campaign are counted, not read.
    """

    code: str
    citations: tuple[str, ...]
    params: Mapping[str, Any]

    def text(self, lang: str = "en") -> str:
        return sentence(self.code, self.params, lang)


@dataclass(frozen=True, slots=True)
class Decision:
    decision: Outcome
    basis: Basis | None
    reasons: tuple[Finding, ...]
    requirements: tuple[Requirement, ...]
    warnings: tuple[Finding, ...]
    jurisdiction: Jurisdiction
    rule_pack: str

    @property
    def allowed(self) -> bool:
        return self.decision is Outcome.ALLOW

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for reason in self.reasons for c in reason.citations))

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON shape of shared/spec/decision-scenario.md, with both languages for each text."""
        return {
            "decision": self.decision.value,
            "basis": self.basis.value if self.basis else None,
            "reasons": [_finding_dict(reason, lang) for reason in self.reasons],
            "citations": list(self.citations),
            "requirements": [r.value for r in self.requirements],
            "warnings": [_finding_dict(warning, lang) for warning in self.warnings],
            "jurisdiction": self.jurisdiction.value,
            "rule_pack": self.rule_pack,
        }


def _finding_dict(finding: Finding, lang: str) -> dict[str, Any]:
    texts = {"de": finding.text("de"), "en": finding.text("en")}  # worded once each: every message logs them
    return {
        "code": finding.code,
        "text": texts["de"] if lang == "de" else texts["en"],  # as `sentence` words any other language
        "texts": texts,
        "citations": list(finding.citations),
    }
