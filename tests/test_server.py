"""The server, started as `konsent serve` starts it, answers on its health endpoint."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "KONSENT__SERVER__PORT": str(port)}
    command = [sys.executable, "-m", "konsent", "serve"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    with subprocess.Popen(command, env=env, text=True, **pipes) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("konsent serve did not start") from None
            time.sleep(0.1)


def test_health_says_ok_and_names_the_rule_packs(server):
    response = httpx.get(f"{server}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["rule_packs"] == ["DE-2026.11", "AT-2026.11", "CH-2026.11"]


def test_the_openapi_document_is_served(server):
    response = httpx.get(f"{server}/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "konsent"


def test_an_unknown_path_is_a_404(server):
    assert httpx.get(f"{server}/nope").status_code == 404
