"""A decision as a short explanation a shop owner can read, in German or English."""

from konsent.domain.decision import Decision
from konsent.domain.facts import Scenario
from konsent.domain.wording import localise

_WORDS = {
    "en": {
        "allow": "ALLOWED", "deny": "NOT ALLOWED", "by": "by", "basis": "on the basis of",
        "why": "Why", "carry": "The message must carry", "warning": "Warning",
        "opt_out_notice": "a clear notice that the customer may object at any time",
        "unsubscribe_link": "an unsubscribe link",
        "sender_identity": "the sender's name and address",
    },
    "de": {
        "allow": "ERLAUBT", "deny": "NICHT ERLAUBT", "by": "per", "basis": "auf Grundlage von",
        "why": "Warum", "carry": "Die Nachricht muss enthalten", "warning": "Achtung",
        "opt_out_notice": "einen klaren Hinweis auf das jederzeitige Widerspruchsrecht",
        "unsubscribe_link": "einen Abmeldelink",
        "sender_identity": "Name und Anschrift des Absenders",
    },
}


def explain(decision: Decision, scenario: Scenario, lang: str = "en") -> str:
    words = _WORDS[lang]
    message = scenario.message
    headline = (
        f"{words[decision.decision.value]}: {localise(message.kind, lang)} {words['by']} "
        f"{localise(message.channel, lang)} ({decision.jurisdiction.value}, "
        f"{scenario.at.isoformat(timespec='minutes')})"
    )
    if decision.basis is not None:
        headline += f" — {words['basis']} {localise(decision.basis, lang)}"
    lines = [headline, f"{words['why']}:"]
    mark = "✓" if decision.allowed else "✗"
    lines += [
        f"  {mark} {reason.text(lang)} [{'; '.join(reason.citations)}]"
        for reason in decision.reasons
    ]
    if decision.requirements:
        needs = ", ".join(words[r.value] for r in decision.requirements)
        lines.append(f"{words['carry']}: {needs}.")
    lines += [
        f"! {words['warning']}: {w.text(lang)} [{'; '.join(w.citations)}]" for w in decision.warnings
    ]
    return "\n".join(lines)
