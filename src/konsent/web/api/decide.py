"""API: may this message go to this person now, on which legal basis, and why?

Asked about a stored customer (their ledger, purchases and registers, as of `at`) or about a
whole scenario given in the request (shared/spec/decision-scenario.md). Changes nothing, so it
needs no Idempotency-Key. It is on the host system's hot path: the key and the customer's records
are read in one statement (services/decisions.py), the answer goes straight to JSON, and a plain
question about a stored customer is answered ahead of the router (`Shortcut`).
"""

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from konsent.domain import Scenario, decide
from konsent.errors import InputError, KonsentError, NotFound
from konsent.scenario import ScenarioError, parse_scenario
from konsent.services import api_keys, decisions, facts
from konsent.services.context import Konsent
from konsent.web.api.auth import Bearer, allowed, known, presented
from konsent.web.api.models import READ_ERRORS, DecisionOut, Lang, Question, errors
from konsent.web.deps import konsent_of, quick_read
from konsent.web.errors import ApiError

router = APIRouter(tags=["decide"])
_STORED_ONLY = ("customer_id", "channel", "kind", "advertised_categories", "at", "contains_advertising",
                "includes_opt_out_notice", "sender_identified", "hand_written")


@router.post("/decide", response_model=DecisionOut, responses={**READ_ERRORS, **errors(413)})
async def decide_message(request: Request, credentials: Bearer, question: Question,
                         lang: Lang = "en") -> JSONResponse:
    """`{"customer_id", "channel", "kind", "advertised_categories"?, "at"?, …}` for a stored customer,
    or `{"scenario": {…}}`. Each reason comes as `text` in `lang` and as `texts` in German and English.
    Needs the `read` scope."""
    return await _answered(konsent_of(request), presented(credentials), question, lang)


async def _answered(app: Konsent, key: str, question: Question, lang: str) -> JSONResponse:
    return await quick_read(app, _answer, app, key, question, lang)


def _answer(app: Konsent, key: str, question: Question, lang: str) -> JSONResponse:
    if question.scenario is not None:
        allowed(known(api_keys.authenticate(app, key)), "read")
        scenario = _scenario(question)
    else:
        customer_id, asked = _stored(question)
        caller, found = decisions.question_for(app, key, customer_id, asked, at=question.at)
        allowed(known(caller), "read")
        if found is None:
            raise NotFound("customer", customer_id, personal=True)  # it may be an address sent by mistake
        scenario = found
    decision = decide(scenario)
    return JSONResponse({"allowed": decision.allowed, **decision.to_dict(lang)})


def _scenario(question: Question) -> Scenario:
    given = sorted(question.model_fields_set & set(_STORED_ONLY))
    if given:
        raise InputError(given[0], "give either a scenario or a stored customer's message, not both")
    try:
        return parse_scenario(question.scenario or {})
    except ScenarioError as exc:
        field, _, message = str(exc).partition(": ")
        raise InputError("scenario" if field == "scenario" else f"scenario.{field}", message) from None


def _stored(question: Question) -> tuple[str, facts.Asked]:
    customer_id, channel, kind = question.customer_id, question.channel, question.kind
    if customer_id is None or channel is None or kind is None:
        missing = next(n for n, v in (("customer_id", customer_id), ("channel", channel), ("kind", kind)) if v is None)
        raise InputError(missing, "is required (or give a whole `scenario`)")
    return customer_id, facts.Asked(
        kind=kind.value, channel=channel.value, advertised_categories=tuple(question.advertised_categories),
        contains_advertising=question.contains_advertising, includes_opt_out_notice=question.includes_opt_out_notice,
        sender_identified=question.sender_identified, automated=not question.hand_written)


PATH = "/api/v1/decide"


class Shortcut:
    """`POST /api/v1/decide` about a stored customer, answered ahead of the router.

    FastAPI's routing, dependency solving and request parsing cost this route more than its own work
    (bench/api.py). The shortcut answers only what it is sure of: a JSON question about a stored
    customer that `Question` accepts, from a key with the read scope, about a customer of the key's
    organisation. Anything else — a scenario, a body that does not validate, a chunked body, no key, a
    refusal — goes on to the route with the body already read, so every refusal reads as the API's
    others do; the route also stays the one the OpenAPI schema describes. Installed inside the
    security middleware: the answer carries the same headers, and bodies over the limit never get here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        key, is_json, sized = None, False, False
        for name, value in scope["headers"]:
            if name == b"authorization" and key is None:
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                key = credentials.strip() if scheme.lower() == "bearer" else ""
            elif name == b"content-type":
                is_json = value.split(b";", 1)[0].strip().lower() == b"application/json"
            elif name == b"content-length":
                sized = True
        if not (key and is_json and sized):
            await self.app(scope, receive, send)
            return
        body, ended = await _body(receive)
        if not ended:
            return  # the client went away

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        lang = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)).get("lang", "en")
        try:
            question: Question | None = Question.model_validate_json(body)
        except ValidationError:
            question = None
        if question is None or question.scenario is not None or lang not in ("en", "de"):
            await self.app(scope, replay, send)
            return
        try:
            answer = await _answered(scope["app"].state.konsent, key, question, lang)
        except (KonsentError, ApiError):
            await self.app(scope, replay, send)
            return
        await answer(scope, replay, send)


async def _body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether it came whole (False: the client disconnected)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True
