"""A send plan and a campaign's progress as the pages show them: bars with the owner's sentences."""

from dataclasses import dataclass
from datetime import datetime

from konsent.domain.audience import SendPlan
from konsent.services import campaigns, outbox
from konsent.services.context import Konsent
from konsent.services.reporting.words import word
from konsent.web.staff import campaign_plan
from konsent.web.staff.charts import Bar, bars
from konsent.web.staff.guard import Staff
from konsent.web.staff.words_more import more_words, reason_sentence

REACHED = "reached"
PENDING = (outbox.QUEUED, outbox.IN_FLIGHT, outbox.AWAITING_RETRY)
DONE = (outbox.SENT, outbox.FAILED, outbox.WITHHELD)


@dataclass(frozen=True)
class Row:
    bar: Bar
    sentence: str
    href: str | None  # the list behind the bar, for a stored campaign's reasons

    @property
    def code(self) -> str:
        return self.bar.code


@dataclass(frozen=True)
class ChannelShown:
    channel: str
    audience: int
    included: int
    excluded: int
    bars: list[Row]  # the reached first, then each reason, the most common first
    bases: list[tuple[str, int]]
    warnings: list[tuple[str, int]]


@dataclass(frozen=True)
class PreviewShown:
    at: datetime
    included: int
    excluded: int
    channels: list[ChannelShown]


def shown(plan: SendPlan, lang: str, campaign_id: str | None) -> PreviewShown:
    w = more_words(lang)
    channels = []
    for c in plan.channels:
        reached = w["reaches_sentence_one" if c.included == 1 else "reaches_sentence"].format(n=c.included)
        items = [(REACHED, w["reached"], c.included), *((r.code, r.code, r.count) for r in c.reasons)]
        sentences = [reached, *(reason_sentence(r.code, r.count, c.channel, lang, r.texts.get(lang))
                                for r in c.reasons)]
        rows = [Row(bar, sentence, f"/staff/campaigns/{campaign_id}/left-out/{c.channel}/{bar.code}"
                    if campaign_id and bar.code != REACHED else None)
                for bar, sentence in zip(bars(items, whole=c.audience), sentences, strict=True)]
        channels.append(ChannelShown(
            c.channel, c.audience, c.included, c.excluded, rows,
            [(word(basis or "none", lang), n) for basis, n in sorted(c.bases.items(), key=lambda item: -item[1])],
            [(word(code, lang), n) for code, n in sorted(c.warnings.items(), key=lambda item: -item[1])],
        ))
    return PreviewShown(plan.at, plan.included, plan.excluded, channels)


@dataclass(frozen=True)
class ProgressShown:
    campaign_id: str
    status: str
    counts: list[tuple[str, int]]  # outbox state -> messages
    total: int
    done: int
    polling: bool  # still moving: the page asks again
    sent_by_basis: list[Bar]
    withheld_by_reason: list[Bar]


def progress_of(app: Konsent, who: Staff, campaign_id: str) -> ProgressShown:
    found = campaigns.status(app, who.organisation_id, campaign_id)
    outcome = campaign_plan.results(app, who.organisation_id, campaign_id)
    counts = found.counts
    pending = sum(counts.get(state, 0) for state in PENDING)
    moving = found.campaign.status in (campaigns.SCHEDULED, campaigns.SENDING)
    return ProgressShown(
        campaign_id=campaign_id, status=found.campaign.status,
        counts=[(state, counts.get(state, 0)) for state in outbox.STATES], total=sum(counts.values()),
        done=sum(counts.get(state, 0) for state in DONE), polling=moving and pending > 0,
        sent_by_basis=bars([(code, word(code, who.lang), n) for code, n in outcome.sent_by_basis.items()]),
        withheld_by_reason=bars([(code, word(code, who.lang), n) for code, n in outcome.withheld_by_reason.items()]),
    )
