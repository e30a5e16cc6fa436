"""What every public page handler needs: the evidence of a request, its form, its rate limit."""

from fastapi import Request
from starlette.datastructures import FormData

from konsent.services.context import Konsent
from konsent.web import ratelimit
from konsent.web.deps import konsent_of

EVIDENCE_LIMIT = 2000  # what the ledger keeps of one evidence field


def evidence_of(request: Request, page_url: str | None = None) -> dict[str, str]:
    """The proof of an action on a page: the address and browser it came from (kept beside the
    ledger, never in a log)."""
    found = {"ip": ratelimit.client_of(request)}
    agent = request.headers.get("user-agent")
    if agent:
        found["user_agent"] = agent[:EVIDENCE_LIMIT]
    if page_url:
        found["page_url"] = page_url
    return found


async def form_of(request: Request) -> FormData:
    """The posted fields, urlencoded or multipart; anything else reads as no fields at all."""
    return await request.form(max_files=0, max_fields=50)


def text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def limited(request: Request, *, signup: bool = False) -> int | None:
    """Seconds to wait when this client has posted too often; None when it may go on."""
    app: Konsent = konsent_of(request)
    exceeded = ratelimit.first_exceeded(app, ratelimit.public_limits(app, signup=signup),
                                        ratelimit.client_of(request))
    return exceeded.retry_after if exceeded else None
