"""The SMS provider's inbound webhook: `POST /hooks/sms/<slug>` — replies such as STOP.

The provider's signature is checked before the body is read (403 otherwise). Twilio signs the
URL it called, which is the public one (`server.public_url`), not whatever this process sees
behind a proxy. The answer is the same whether or not the number is a customer's.
"""

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from konsent.errors import InputError, NotFound
from konsent.services import inbound_sms
from konsent.transports.sms_http import INBOUND_ANSWER, WebhookRejected
from konsent.web.deps import konsent_of
from konsent.web.errors import ApiError

router = APIRouter()


@router.post("/hooks/sms/{slug}", status_code=200)
async def inbound(request: Request, slug: str) -> Response:
    body = await request.body()
    return await run_in_threadpool(_inbound, request, slug, body)


def _inbound(request: Request, slug: str, body: bytes) -> Response:
    app = konsent_of(request)
    called = app.settings.server.public_url.rstrip("/") + request.url.path
    if request.url.query:
        called += "?" + request.url.query
    try:
        inbound_sms.receive_webhook(app, slug, url=called, headers=dict(request.headers),
                                    content_type=request.headers.get("content-type", ""), body=body)
    except WebhookRejected as rejected:
        raise ApiError(403, "forbidden", str(rejected)) from None
    except NotFound:
        # After a genuine signature: the provider is told plainly that this address names no one.
        raise ApiError(404, "not_found", "no organisation with this slug") from None
    except InputError as error:
        raise ApiError(422, "invalid_input", error.message, error.field) from None
    media_type, answer = INBOUND_ANSWER[app.settings.sms.provider]
    return Response(answer, media_type=media_type)
