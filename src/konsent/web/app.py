"""The ASGI application. Later issues add the API, the public pages and the staff UI."""

from typing import Any

from fastapi import FastAPI

from konsent import __version__
from konsent.domain.law import PACKS


def create_app() -> FastAPI:
    app = FastAPI(title="konsent", version=__version__)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "rule_packs": [pack.RULE_PACK for pack in PACKS.values()],
        }

    return app
