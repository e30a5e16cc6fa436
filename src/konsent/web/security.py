"""Safe defaults for every response: security headers and a limit on request bodies."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
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


class _Guard:
    """Refuses a declared body over the limit before it is read, and adds the security headers to
    every response. Plain ASGI rather than `@app.middleware("http")`: that wraps each request in a
    task group and memory streams, which cost the API more than its own work does (bench/api.py)."""

    def __init__(self, app: ASGIApp, limit: int, https: bool) -> None:
        self.app, self.limit, self.https = app, limit, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            refusal = JSONResponse(body("too_large", f"request bodies are limited to {self.limit:,} bytes"),
                                   status_code=413)
            await refusal(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc")

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # A page that may be framed (the embeddable sign-up form) says so in its own CSP.
                framed = "frame-ancestors 'none'" not in headers.get("content-security-policy", CSP)
                for name, value in HEADERS.items():
                    if not (framed and name == "X-Frame-Options"):
                        headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, guarded)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(_CountedBody, limit=settings.security.max_body_bytes)
    app.add_middleware(_Guard, limit=settings.security.max_body_bytes,
                       https=settings.server.public_url.startswith("https://"))
