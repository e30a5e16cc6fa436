"""What a request handler needs from the application: the use-case context."""

from fastapi import Request

from konsent.services.context import Konsent


def konsent_of(request: Request) -> Konsent:
    app: Konsent = request.app.state.konsent
    return app
