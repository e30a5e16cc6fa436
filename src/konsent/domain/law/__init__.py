"""decide(): may this message go to this person over this channel now, and on what basis?

The walk (docs/legal-basis.md draws it):
1. What is the message by nature? Advertising content makes any kind advertising.
2. Not advertising: transactional (contract), service (no advertising) or a plain
   double opt-in request — GDPR-level rules shared by every pack.
3. Advertising: the jurisdiction's pack — blockers first (objection, hidden sender, missing
   opt-out notice), then the bases its statute allows on that channel, in order.
"""

from types import ModuleType

from konsent.domain.decision import Decision
from konsent.domain.facts import Jurisdiction, Scenario
from konsent.domain.kinds import MessageKind, Nature, nature_of
from konsent.domain.law import at, ch, de
from konsent.domain.law.case import Case

PACKS: dict[Jurisdiction, ModuleType] = {pack.JURISDICTION: pack for pack in (de, at, ch)}


def decide(scenario: Scenario) -> Decision:
    pack = PACKS[scenario.jurisdiction]
    message = scenario.message
    nature = nature_of(message.kind, contains_advertising=message.contains_advertising)
    case = Case(scenario, pack.CITATIONS, nature)
    if nature is Nature.ADVERTISING:
        if message.kind is MessageKind.DOI_CONFIRMATION:
            # An advertising confirmation request advertises before any consent exists.
            case.deny("doi_with_advertising")
        pack.advertising(case)
    elif nature is Nature.TRANSACTIONAL:
        case.transactional()
    elif nature is Nature.SERVICE:
        case.service()
    else:
        case.confirmation_request()
    return case.decision(pack.RULE_PACK, scenario.jurisdiction)
