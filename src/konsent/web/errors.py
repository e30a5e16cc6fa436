"""One error body everywhere in the API: what went wrong, in which field, in words.

    {"error": {"code": "invalid_input", "field": "email", "message": "not a valid email address"}}

Pages for people (not under /api or /hooks) get the same facts as a short HTML page.
"""

import re
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from konsent.errors import Conflict, InputError, KonsentError, NotFound, RateLimited

_FIELD_FIRST = re.compile(r"^([a-z_][a-z0-9_.\[\]]*): ")
_MACHINE_PATHS = ("/api/", "/hooks/", "/openapi.json")


class ApiError(Exception):
    """An error a route raises on purpose with its status (403 for a missing scope, say)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def body(code: str, message: str, field: str | None = None, **more: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    error.update(more)
    return {"error": error}


def respond(request: Request, status: int, code: str, message: str, field: str | None = None,
            headers: dict[str, str] | None = None, **more: Any) -> Response:
    if request.url.path.startswith(_MACHINE_PATHS) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(body(code, message, field, **more), status_code=status, headers=headers)
    title = {400: "Bad request", 403: "Not allowed", 404: "Not found", 409: "Conflict", 413: "Too large",
             422: "Please check your input", 429: "Too many requests"}.get(status, "Something went wrong")
    page = (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{escape(title)}</title><link rel=stylesheet href='/static/public.css'>"
            f"<main><h1>{escape(title)}</h1><p>{escape((field + ': ') if field else '')}"
            f"{escape(message)}</p></main>")
    return HTMLResponse(page, status_code=status, headers=headers)


def _named(message: str) -> tuple[str, str | None]:
    """Services word refusals as `field: what is wrong`: the field goes where a client looks for it."""
    found = _FIELD_FIRST.match(message)
    return (message[found.end():], found.group(1)) if found else (message, None)


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return respond(request, 422, "invalid_input", exc.message, exc.field)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return respond(request, 404, "not_found", str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return respond(request, 409, "conflict", *_named(str(exc)))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        return respond(request, 429, "rate_limited", *_named(str(exc)), headers={"Retry-After": "60"})

    @app.exception_handler(KonsentError)
    async def refused(request: Request, exc: KonsentError) -> Response:
        return respond(request, 422, "refused", *_named(str(exc)))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return respond(request, exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
                    for e in exc.errors()]
        first = problems[0] if problems else {"field": "body", "message": "invalid"}
        return respond(request, 422, "invalid_input", first["message"], first["field"], problems=problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400 and request.url.path.startswith("/api/"):
            # FastAPI's answer to a body it cannot even decode (not UTF-8, say): a bad input like any other.
            return respond(request, 422, "invalid_input", f"the request body cannot be read: {exc.detail}", "body")
        codes = {401: "unauthorised", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "too_large", 429: "rate_limited"}
        return respond(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail),
                       headers=getattr(exc, "headers", None))
