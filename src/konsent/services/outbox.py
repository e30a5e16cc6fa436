"""The transactional outbox: one row per message to send, written in the scheduling transaction.

`dedupe_key` is unique per organisation, so scheduling the same campaign twice, or a host system
posting the same booking twice, can never queue a second message to the same person.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else

QUEUED = "queued"
IN_FLIGHT = "in_flight"
SENT = "sent"
FAILED = "failed"
AWAITING_RETRY = "awaiting_retry"
WITHHELD = "withheld"
STATES = (QUEUED, IN_FLIGHT, SENT, FAILED, AWAITING_RETRY, WITHHELD)
FINAL = (SENT, FAILED, WITHHELD)


@dataclass(frozen=True, slots=True)
class Entry:
    customer_id: str
    channel: str
    kind: str
    dedupe_key: str
    template_key: str
    decision: dict[str, Any]  # the decision at scheduling time, as `Decision.to_dict()`
    send_after: datetime
    advertised_categories: Sequence[str] = ()
    context: dict[str, Any] = field(default_factory=dict)
    campaign_id: str | None = None
    automation_id: str | None = None


def enqueue(session: Session, organisation_id: str, entries: Sequence[Entry], *, now: datetime) -> int:
    """Queue entries; those whose dedupe key is already queued are skipped. Returns how many were new."""
    if not entries:
        return 0
    rows = [
        {
            "id": str(uuid.uuid4()), "organisation_id": organisation_id, "customer_id": e.customer_id,
            "channel": e.channel, "kind": e.kind, "dedupe_key": e.dedupe_key, "campaign_id": e.campaign_id,
            "automation_id": e.automation_id, "template_key": e.template_key,
            "advertised_categories": list(e.advertised_categories), "context": e.context, "status": QUEUED,
            "attempts": 0, "next_attempt_at": e.send_after, "decision": e.decision, "created_at": now,
            "updated_at": now,
        }
        for e in entries
    ]
    statement = insert_or_else(session, t.OutboxItem).on_conflict_do_nothing(
        index_elements=["organisation_id", "dedupe_key"]).returning(t.OutboxItem.id)
    new = 0
    for start in range(0, len(rows), 1000):
        new += len(session.execute(statement, rows[start:start + 1000]).all())
    return new
