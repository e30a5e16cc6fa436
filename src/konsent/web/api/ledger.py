"""API: the consent ledger's hash chain, recomputed — intact, or each break named."""

from fastapi import APIRouter, Request
from pydantic import Field

from konsent.storage import ledger
from konsent.web.api.auth import Reader
from konsent.web.api.models import READ_ERRORS, Out
from konsent.web.deps import konsent_of

router = APIRouter(tags=["ledger"])


class Break(Out):
    seq: int
    event_id: str
    problem: str = Field(description="edited, deleted, inserted or reordered")
    detail: str


class Verification(Out):
    ok: bool
    events: int
    head_seq: int
    breaks: list[Break]


@router.get("/ledger/verify", response_model=Verification, responses=READ_ERRORS)
def verify(request: Request, caller: Reader) -> Verification:
    """Recompute every link of the organisation's chain; name every edited, deleted, inserted or reordered event."""
    with konsent_of(request).db.unit_of_work() as session:
        result = ledger.verify(session, caller.organisation_id)
    return Verification(ok=result.ok, events=result.events, head_seq=result.head_seq,
                        breaks=[Break.model_validate(b) for b in result.breaks])
