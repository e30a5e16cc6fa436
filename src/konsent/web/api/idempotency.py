"""`Idempotency-Key` on writes: a retried request gets the first answer instead of a second change.

The key is the caller's (any string up to 200 characters), per organisation. The same key with a
different method, path or body is refused, so a client bug cannot silently return a stale answer.
Only successful answers are kept: a request that failed may be corrected and sent again. While
the first request runs, a second one with its key gets 409.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from konsent.services.api_keys import Caller
from konsent.storage import tables as t
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

HEADER = "Idempotency-Key"
IN_PROGRESS = 0  # the status of a key whose request is being answered


async def fingerprint(request: Request) -> str:
    raw = await request.body()
    return hashlib.sha256(b"\0".join([request.method.encode(), request.url.path.encode(), raw])).hexdigest()


def replay_or_run(request: Request, caller: Caller, print_: str, run: Callable[[], Any],
                  status_code: int = 200, *, shown_once: tuple[str, ...] = ()) -> JSONResponse:
    """Answer from the stored response for this key, or run the write and store its answer.

    `shown_once` names fields of the answer (dotted: `api_key.key`) that must never be stored — a
    new API key's secret. A retry of such a request changes nothing and is refused with 409, since
    the one answer that held the secret cannot be given again."""
    key = request.headers.get(HEADER)
    if key is None:
        return JSONResponse(jsonable_encoder(run()), status_code=status_code)
    if not 1 <= len(key) <= 200:
        raise ApiError(422, "invalid_input", "must be 1–200 characters", field=HEADER)
    app = konsent_of(request)
    with app.db.unit_of_work() as session:
        stored = session.get(t.IdempotentRequest, (caller.organisation_id, key))
        if stored is not None:
            if stored.fingerprint != print_:
                raise ApiError(422, "idempotency_key_reused",
                               "this key was used for a different request; use a new key", field=HEADER)
            if stored.status_code == IN_PROGRESS:
                raise ApiError(409, "in_progress", "a request with this key is still being answered; retry shortly",
                               field=HEADER)
            if shown_once:
                raise ApiError(409, "already_answered",
                               f"this request was answered before ({_first_id(stored.response)}); what it showed "
                               "once is not shown again", field=HEADER)
            return JSONResponse(stored.response, status_code=stored.status_code,
                                headers={"Idempotent-Replayed": "true"})
    try:
        # Claimed before the write, so two concurrent retries cannot both change something.
        with app.db.unit_of_work() as session:
            session.add(t.IdempotentRequest(organisation_id=caller.organisation_id, key=key, fingerprint=print_,
                                            status_code=IN_PROGRESS, response={}, created_at=app.now()))
    except IntegrityError:
        raise ApiError(409, "in_progress", "a request with this key is still being answered; retry shortly",
                       field=HEADER) from None
    try:
        answer = jsonable_encoder(run())
    except BaseException:
        with app.db.unit_of_work() as session:
            session.execute(delete(t.IdempotentRequest).where(
                t.IdempotentRequest.organisation_id == caller.organisation_id, t.IdempotentRequest.key == key))
        raise
    with app.db.unit_of_work() as session:
        session.execute(update(t.IdempotentRequest).where(
            t.IdempotentRequest.organisation_id == caller.organisation_id, t.IdempotentRequest.key == key,
        ).values(status_code=status_code, response=_without(answer, shown_once)))
    return JSONResponse(answer, status_code=status_code)


def _without(answer: Any, fields: tuple[str, ...]) -> Any:
    if not fields:
        return answer
    kept = json.loads(json.dumps(answer))
    for dotted in fields:
        *path, last = dotted.split(".")
        part = kept
        for name in path:
            part = part.get(name, {}) if isinstance(part, dict) else {}
        if isinstance(part, dict):
            part.pop(last, None)
    return kept


def _first_id(response: Any) -> str:
    found = response.get("id") if isinstance(response, dict) else None
    return f"id {found}" if isinstance(found, str) else "see the list"
