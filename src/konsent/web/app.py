"""The ASGI application: the vendor's REST API, the customer's public pages, the staff UI.

    /health             operations
    /api/v1/...         REST API for the host system (API keys, one organisation per key)
    /c, /u, /p, /s      public pages a customer reaches from a message or a sign-up form
    /hooks/...          inbound webhooks from providers (SMS replies)
    /staff/...          the owner's and the data protection officer's UI
"""

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from konsent import __version__
from konsent.domain.law import PACKS
from konsent.services.context import Konsent
from konsent.web import api, errors, public, security, staff

STATIC = Path(__file__).parent / "static"


def create_app(konsent: Konsent | None = None) -> FastAPI:
    if konsent is None:
        from konsent.bootstrap import build  # noqa: PLC0415 - the default wiring, only without one given

        konsent = build(upgrade=False)
    app = FastAPI(title="konsent", version=__version__, docs_url="/docs", openapi_url="/openapi.json",
                  description="Message your customers only where the law allows it — and prove it afterwards.")
    app.state.konsent = konsent
    errors.install(app)
    app.add_middleware(api.decide.Shortcut)  # added first, so innermost: inside the security middleware
    security.install(app, konsent.settings)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "rule_packs": [pack.RULE_PACK for pack in PACKS.values()],
        }

    app.include_router(api.router)
    app.include_router(public.router)
    app.include_router(staff.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
