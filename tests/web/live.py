"""The whole application served over real HTTP, for a browser: uvicorn in a background thread on a
free port, over the test's database, with its links pointing at itself and its mail going to a real
SMTP server (aiosmtpd) whose inbox the test reads.

    with live_server(app) as live:
        page.goto(f"{live.url}/s/{slug}")
        [mail] = live.inbox.messages()
        services.something(live.app, ...)   # the same settings as the server: links and SMTP

The server shares the test's `Konsent` (database and hand-moved clock), so what a page does is
visible to the services at once and tokens expire on the test's clock, not the machine's.
"""

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from konsent.config import SmtpSettings
from konsent.services.context import Konsent
from konsent.web.app import create_app
from tests.transports.smtp_server import Inbox, smtp_server

SENDER = "Salon Sonnenschein <no-reply@salon.example>"
STARTUP_SECONDS = 20.0


@dataclass(frozen=True)
class Live:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    app: Konsent  # the server's context: use it for services so their links and mails match the pages
    inbox: Inbox


def _listening_socket() -> socket.socket:
    # Bound before uvicorn starts and handed to it, so no other process can take the port meanwhile.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def live_server(app: Konsent) -> Iterator[Live]:
    with smtp_server() as inbox:
        sock = _listening_socket()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = app.settings.model_copy(update={
            "server": app.settings.server.model_copy(update={"public_url": url}),
            "smtp": SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", sender=SENDER, timeout=10.0),
        })
        served = dataclasses.replace(app, settings=settings)
        config = uvicorn.Config(create_app(served), log_level="warning", lifespan="off", ws="none",
                                access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
        thread.start()
        try:
            _wait_until_started(server, thread)
            yield Live(url=url, app=served, inbox=inbox)
        finally:
            server.should_exit = True
            thread.join(timeout=STARTUP_SECONDS)
            sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start; see its log above")
        time.sleep(0.02)
