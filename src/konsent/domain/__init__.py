"""The pure heart of konsent: standard library only, no I/O, no clock."""

from konsent.domain.decision import Basis, Decision, Finding, Outcome, Requirement
from konsent.domain.facts import (
    Consent,
    ConsentMethod,
    ConsentSource,
    Jurisdiction,
    Message,
    Objection,
    ObjectionScope,
    Organisation,
    Purchase,
    Reading,
    Recipient,
    RecipientType,
    Registers,
    Scenario,
)
from konsent.domain.kinds import Channel, MessageKind, Nature, Purpose
from konsent.domain.law import decide

__all__ = [
    "Basis", "Channel", "Consent", "ConsentMethod", "ConsentSource", "Decision", "Finding",
    "Jurisdiction", "Message", "MessageKind", "Nature", "Objection", "ObjectionScope",
    "Organisation", "Outcome", "Purchase", "Purpose", "Reading", "Recipient", "RecipientType",
    "Registers", "Requirement", "Scenario", "decide",
]
