"""The JSON contract of `konsent decide` (shared/spec/decision-scenario.md), validated at the edge.

Unknown fields are ignored, missing optional fields take their defaults, and anything malformed
is refused with one line naming the field — the engine never guesses.
"""

import json
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from konsent import domain as d


def _timestamp(value: Any) -> datetime:
    """ISO 8601; a date alone means midnight UTC, and so does a time without an offset."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    else:
        raise ValueError("must be an ISO 8601 timestamp string")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
Category = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class OrganisationIn(_Model):
    similar_categories: list[list[Category]] = []
    reading: d.Reading = d.Reading.PREVAILING


class MessageIn(_Model):
    channel: d.Channel
    kind: d.MessageKind
    advertised_categories: list[Category] = []
    contains_advertising: bool | None = None
    includes_opt_out_notice: bool = True
    sender_identified: bool = True
    automated: bool = True


class ConsentIn(_Model):
    channel: d.Channel
    purpose: d.Purpose = d.Purpose.ADVERTISING
    categories: list[Category] = []
    given_at: Timestamp
    method: d.ConsentMethod = d.ConsentMethod.ACTIVE
    source: d.ConsentSource = d.ConsentSource.ONLINE_FORM
    doi_confirmed_at: Timestamp | None = None
    withdrawn_at: Timestamp | None = None
    evidence: bool = True
    third_party: bool = False
    last_used_at: Timestamp | None = None


class ObjectionIn(_Model):
    channel: d.Channel | Literal["all"] = "all"
    scope: d.ObjectionScope = d.ObjectionScope.ADVERTISING
    at: Timestamp


class PurchaseIn(_Model):
    at: Timestamp
    categories: list[Category] = []
    contact_collected: list[d.Channel] = []
    objection_notice_at_collection: bool = False


class RegistersIn(_Model):
    robinson: bool = False
    ecg: bool = False
    star_marked: bool = False
    directory_listed: bool = True


class RecipientIn(_Model):
    type: d.RecipientType = d.RecipientType.CONSUMER
    consents: list[ConsentIn] = []
    objections: list[ObjectionIn] = []
    purchases: list[PurchaseIn] = []
    transactional_opt_out: bool = False
    registers: RegistersIn = RegistersIn()


class ScenarioIn(_Model):
    jurisdiction: d.Jurisdiction
    at: Timestamp
    organisation: OrganisationIn = OrganisationIn()
    message: MessageIn
    recipient: RecipientIn = RecipientIn()

    def to_domain(self) -> d.Scenario:
        org, msg, rec = self.organisation, self.message, self.recipient
        return d.Scenario(
            jurisdiction=self.jurisdiction,
            at=self.at,
            organisation=d.Organisation(
                similar_categories=tuple(frozenset(g) for g in org.similar_categories),
                reading=org.reading,
            ),
            message=d.Message(
                channel=msg.channel,
                kind=msg.kind,
                advertised_categories=frozenset(msg.advertised_categories),
                contains_advertising=msg.contains_advertising,
                includes_opt_out_notice=msg.includes_opt_out_notice,
                sender_identified=msg.sender_identified,
                automated=msg.automated,
            ),
            recipient=d.Recipient(
                type=rec.type,
                consents=tuple(
                    d.Consent(
                        channel=c.channel, given_at=c.given_at, purpose=c.purpose,
                        categories=frozenset(c.categories), method=c.method, source=c.source,
                        doi_confirmed_at=c.doi_confirmed_at, withdrawn_at=c.withdrawn_at,
                        evidence=c.evidence, third_party=c.third_party,
                        last_used_at=c.last_used_at,
                    )
                    for c in rec.consents
                ),
                objections=tuple(
                    d.Objection(
                        at=o.at, channel=None if o.channel == "all" else d.Channel(o.channel),
                        scope=o.scope,
                    )
                    for o in rec.objections
                ),
                purchases=tuple(
                    d.Purchase(
                        at=p.at, categories=frozenset(p.categories),
                        contact_collected=frozenset(p.contact_collected),
                        objection_notice_at_collection=p.objection_notice_at_collection,
                    )
                    for p in rec.purchases
                ),
                transactional_opt_out=rec.transactional_opt_out,
                registers=d.Registers(**rec.registers.model_dump()),
            ),
        )


class ScenarioError(ValueError):
    """A malformed scenario; the message is one line that names the field."""


MAX_SCENARIO_BYTES = 1_000_000  # a scenario is a page of JSON; more is a mistake or an attack


def parse_scenario(source: str | bytes | dict[str, Any]) -> d.Scenario:
    text = json.dumps(source) if isinstance(source, dict) else source
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_SCENARIO_BYTES:
        limit = f"{MAX_SCENARIO_BYTES:,}"
        raise ScenarioError(f"scenario: {size:,} bytes is more than the {limit} bytes a scenario may have")
    try:
        return ScenarioIn.model_validate_json(text).to_domain()
    except ValidationError as exc:
        raise ScenarioError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    if error["type"] == "json_invalid":
        return f"scenario: not valid JSON ({error['ctx'].get('error', 'syntax error')})"
    field = ""
    for part in error["loc"]:
        if isinstance(part, int):
            field += f"[{part}]"
        elif not _is_union_branch(part):
            field += f".{part}" if field else str(part)
    message = error["msg"].replace("Value error, ", "")
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "model_type":
        message = "must be a JSON object"
    return f"{field or 'scenario'}: {message}".replace("\n", " ")


def _is_union_branch(part: str) -> bool:
    # Pydantic names the union branch it tried ("function-before[...]", "literal['all']").
    return "[" in part or part in {"str", "enum", "function-after", "nullable"}
