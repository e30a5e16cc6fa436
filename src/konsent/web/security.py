"""Safe defaults for every response: security headers and a limit on request bodies."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from konsent.config import Settings
from konsent.web.errors import body

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # tokens live in paths: never hand them to another site
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
DOCS_CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline' https:; "
            "script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'")


class _CountedBody:
    """A body without Content-Length (chunked) is counted as it arrives: 413 once it is too large."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"request bodies are limited to {self.limit:,} bytes")
            return message

        await self.app(scope, counted, send)


def install(app: FastAPI, settings: Settings) -> None:
    limit = settings.security.max_body_bytes
    https = settings.server.public_url.startswith("https://")
    app.add_middleware(_CountedBody, limit=limit)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return JSONResponse(body("too_large", f"request bodies are limited to {limit:,} bytes"), status_code=413)
        response = await call_next(request)
        # A page that may be framed (the embeddable sign-up form) says so in its own CSP.
        framed = "frame-ancestors 'none'" not in response.headers.get("content-security-policy", CSP)
        for name, value in HEADERS.items():
            if not (framed and name == "X-Frame-Options"):
                response.headers.setdefault(name, value)
        docs = request.url.path in ("/docs", "/redoc")
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
