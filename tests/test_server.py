"""The server, started as `make run` starts it: `konsent demo`, then `konsent serve --with-worker` —
health OK, the demo organisation visible through the API with the printed key, its booking
confirmations sent by the worker beside the server, and one SIGINT (Ctrl-C) stopping both."""

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from konsent import aio

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    url: str
    demo: dict[str, object]  # what `konsent demo --json` printed
    data_dir: Path
    process: subprocess.Popen[str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.demo['api_key']}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("data")
    # The embedded database in a data directory of its own, as on a newcomer's machine.
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONSENT__")}
    env |= {"KONSENT__SERVER__PORT": str(port), "KONSENT__DATA_DIR": str(data_dir),
            "KONSENT__DISPATCH__IDLE_SECONDS": "0.2"}
    seeded = subprocess.run([sys.executable, "-m", "konsent", "demo", "--json"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert seeded.returncode == 0, seeded.stderr
    command = [sys.executable, "-m", "konsent", "serve", "--with-worker"]
    with subprocess.Popen(command, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process)
            yield Running(url, json.loads(seeded.stdout), data_dir, process)
        finally:
            if process.poll() is None:
                process.terminate()
                process.communicate(timeout=60)


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("konsent serve did not start") from None
            time.sleep(0.1)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.2)


def test_health_says_ok_and_names_the_rule_packs(server):
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["rule_packs"] == ["DE-2026.11", "AT-2026.11", "CH-2026.11"]


def test_the_openapi_document_is_served(server):
    response = httpx.get(f"{server.url}/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "konsent"


def test_an_unknown_path_is_a_404(server):
    assert httpx.get(f"{server.url}/nope").status_code == 404


def test_the_demo_organisation_is_seen_through_the_api_with_the_printed_key(server):
    organisation = httpx.get(f"{server.url}/api/v1/organisation", headers=server.auth)
    assert organisation.status_code == 200
    assert organisation.json()["name"] == "Salon Sonnenschein"
    listed = httpx.get(f"{server.url}/api/v1/campaigns", headers=server.auth).json()
    [campaign] = listed["items"]
    assert (campaign["name"], campaign["status"]) == ("Herbst-Pflegeserie", "draft")
    preview = httpx.get(f"{server.url}/api/v1/campaigns/{campaign['id']}/preview", headers=server.auth)
    assert preview.status_code == 200
    assert preview.json()["included"] == server.demo["reached"] > 0
    assert preview.json()["excluded"] == server.demo["left_out"] > 0
    assert server.demo["url"] == server.url
    assert httpx.get(str(server.demo["docs_url"])).status_code == 200


def test_the_worker_beside_the_server_sends_the_demos_booking_confirmations(server):
    def confirmations() -> list[dict[str, object]]:
        found = httpx.get(f"{server.url}/api/v1/messages", headers=server.auth,
                          params={"kind": "booking_confirmation"}).json()["items"]
        return [m for m in found if m["status"] == "sent"]

    wait_for(lambda: len(confirmations()) == 2, "both booking confirmations to be sent")
    written = {path.stem for path in (server.data_dir / "outbox").glob("*.eml")}
    assert {str(m["id"]) for m in confirmations()} <= written


def test_one_sigint_stops_the_server_and_its_worker(server):
    # Last in this module: it ends the server the other tests used.
    server.process.send_signal(signal.SIGINT)
    out, err = server.process.communicate(timeout=60)
    assert server.process.returncode == 0, err
    assert "running at" in out
    assert "Traceback" not in err


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:  # it ended (the killed one, reaped) between listing and reading
        return ""


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_the_server_runs_several_processes_restarts_a_killed_one_and_a_sigterm_stops_them_all(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONSENT__")}
    env |= {"KONSENT__SERVER__PORT": str(port), "KONSENT__DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "konsent", "serve", "--workers", "2"]
    with subprocess.Popen(command, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process)
            def spawned() -> set[int]:  # uvicorn's server processes, not multiprocessing's resource tracker
                return {pid for pid in children_of(process.pid) if "spawn_main" in _command_line(pid)}

            wait_for(lambda: len(spawned()) == 2, "two server processes")
            first = spawned()
            os.kill(min(first), signal.SIGKILL)  # as the OOM killer would: the supervisor starts another
            wait_for(lambda: len(spawned()) == 2 and spawned() != first, "a process in place of the killed one")
            servers = spawned()
            for _ in range(20):
                assert httpx.get(f"{url}/health").json()["status"] == "ok"
        finally:
            process.terminate()
            _, err = process.communicate(timeout=60)
        assert "Traceback" not in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in servers)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_another_server_holds_is_refused_before_anything_starts(tmp_path, workers):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # even one that would share it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if not key.startswith("KONSENT__")}
        env |= {"KONSENT__SERVER__PORT": str(port), "KONSENT__DATA_DIR": str(tmp_path)}
        refused = subprocess.run([sys.executable, "-m", "konsent", "serve", "--workers", workers], env=env, cwd=ROOT,
                                 capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2
    assert f"127.0.0.1:{port} is in use" in refused.stderr
    assert "running at" not in refused.stdout


def test_settling_leaves_what_start_up_built_out_of_the_collectors_full_passes():
    assert gc.get_freeze_count() == 0  # conftest unfreezes after every test that ran a command in-process
    try:
        aio.settle()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # everything alive now: the modules, the app, its routes and models
        assert len(gc.get_objects(generation=2)) < frozen / 100  # what a full pass still has to look at
    finally:
        gc.unfreeze()
