"""API: webhook endpoints — where konsent announces consent changes and message outcomes.

The signing secret is in the answer to the POST that creates an endpoint, and nowhere else: not in
a listing, and not in the stored answer an Idempotency-Key would replay.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import select

from konsent.services import webhooks
from konsent.services.api_keys import Caller
from konsent.storage import tables as t
from konsent.web.api import idempotency
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, In, Out, Text
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import Print
from konsent.web.deps import konsent_of

router = APIRouter(tags=["webhooks"])

EventName = Literal["consent.changed", "message.sent", "message.failed", "message.withheld"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
EndpointId = Annotated[str, Path(max_length=36, description="The endpoint's id.")]


class WebhookIn(In):
    url: Annotated[Text, Field(max_length=2000)] = Field(
        description="Where to POST; https to a public address outside development.")
    events: list[EventName] = Field(default_factory=list, max_length=4,
                                    description="Which events to send; empty or left out: every event.")


class WebhookOut(Out):
    id: str
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery (docs/webhooks.md). Shown only now: keep it.")


class DeliveryOut(Out):
    id: str
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, responses=WRITE_ERRORS)
def create_webhook(request: Request, body: WebhookIn, caller: Writer, print_: Print) -> JSONResponse:
    """Announce events to this URL, signed with a new secret (shown in this answer only)."""
    def run() -> WebhookCreated:
        view, secret = webhooks.create(konsent_of(request), caller.organisation_id, url=body.url,
                                       events=body.events, actor=_actor(caller))
        return WebhookCreated(**_out(view).model_dump(), secret=secret)

    return idempotency.replay_or_run(request, caller, print_, run, status_code=201, shown_once=("secret",))


@router.get("/webhooks", response_model=Page[WebhookOut], responses=READ_ERRORS)
def list_webhooks(request: Request, caller: Reader, limit: Limit = 50, cursor: Cursor = None) -> Page[WebhookOut]:
    """The organisation's endpoints (without their secrets), oldest first."""
    E = t.WebhookEndpoint
    with konsent_of(request).db.unit_of_work() as session:
        rows = list(session.scalars(paged(
            select(E).where(E.organisation_id == caller.organisation_id, E.disabled_at.is_(None)),
            E.created_at, E.id, cursor, limit)))
        return page(rows, limit, lambda r: (r.created_at, r.id), _row_out)


@router.get("/webhooks/{endpoint_id}", response_model=WebhookOut, responses=READ_ERRORS)
def get_webhook(request: Request, endpoint_id: EndpointId, caller: Reader) -> WebhookOut:
    return _out(webhooks.get(konsent_of(request), caller.organisation_id, endpoint_id))


@router.delete("/webhooks/{endpoint_id}", status_code=204, response_class=Response, responses=WRITE_ERRORS)
def delete_webhook(request: Request, endpoint_id: EndpointId, caller: Writer) -> Response:
    """Stop announcing to the endpoint; deliveries still waiting for it are given up."""
    webhooks.delete(konsent_of(request), caller.organisation_id, endpoint_id, actor=_actor(caller))
    return Response(status_code=204)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=Page[DeliveryOut], responses=READ_ERRORS)
def list_deliveries(
    request: Request, endpoint_id: EndpointId, caller: Reader, limit: Limit = 50, cursor: Cursor = None,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries with this status.")] = None,
) -> Page[DeliveryOut]:
    """What was announced to the endpoint and how each delivery went, oldest first."""
    app = konsent_of(request)
    webhooks.get(app, caller.organisation_id, endpoint_id)  # 404 for a foreign or deleted endpoint
    D = t.WebhookDelivery
    query = select(D).where(D.organisation_id == caller.organisation_id, D.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(D.status == status)
    with app.db.unit_of_work() as session:
        rows = list(session.scalars(paged(query, D.created_at, D.id, cursor, limit)))
        return page(rows, limit, lambda r: (r.created_at, r.id), DeliveryOut.model_validate)


def _out(view: webhooks.WebhookView) -> WebhookOut:
    return WebhookOut(id=view.id, url=view.url, events=view.events, created_at=view.created_at)


def _row_out(row: t.WebhookEndpoint) -> WebhookOut:
    return WebhookOut(id=row.id, url=row.url, events=list(row.events), created_at=row.created_at)


def _actor(caller: Caller) -> str:
    # Where the host system's events go is a setting someone answers for: the audit log names the key.
    return f"api-key:{caller.key_id}"
