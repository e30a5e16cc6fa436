"""How fast does the REST API answer, served as deployed, against the server's own ceiling?

Creates a fresh PostgreSQL database with one organisation of N customers (default 3,000), each with
an email consent proven by a signed form (so the newsletter is allowed), and an API key. Starts the
real server — `konsent serve --workers W` (uvicorn with W processes over the app factory) on
PostgreSQL — and loads it from this process:

  health     GET  /health                               the ceiling: routing, middleware, no database
  decide     POST /api/v1/decide                        for a stored customer, newsletter by email
  consent    POST /api/v1/customers/{id}/consents       records a consent: a ledger append

each at maximum throughput with wrk (closed loop, `--connections` connections; Debian's `wrk`,
installed with apt-get when missing), reporting requests/s and p50/p99 latency; then decide at a
fixed rate (default 500 requests/s) from an open-loop client here that sends each request at its
scheduled moment over keep-alive connections and measures latency from that moment, not from when
a connection came free — so a stall counts against every request it delays (no coordinated
omission). Prints decide/health (target ≥ 0.5) and p99 at the fixed rate (target ≤ 10 ms).

To say what limits the figures, each run also prints, from /proc and pg_stat_database: CPU time per
request of the server processes, of the PostgreSQL backends serving the bench's database (live ones:
a backend that exits takes its time along) and of wrk; how many cores the rest of the machine kept
busy meanwhile (on a shared machine, CPU the server did not get); and new PostgreSQL connections per
request (a connection pool smaller than the server's thread pool opens and closes one per overflow).

Run: `.venv/bin/python bench/api.py [--customers N] [--workers W] [--seconds S] [--rate R]`.
Creates and drops its own database on postgresql://postgres@127.0.0.1:5432. Prints; never asserts.
The load generator shares the machine with the server: on a small machine it takes CPU the server
would otherwise have (its share is printed). uvicorn serves on uvloop and httptools (dependencies);
the server's first lines say which loop and parser it found.
"""

import argparse
import asyncio
import gc
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from _postgres import fresh_database
from konsent.bootstrap import build
from konsent.config import DatabaseSettings, Settings
from konsent.services import api_keys, consents, customers, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent
SIGNED_FORM = {"document_hash": "ab" * 32}
BATCH = 250


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("bench/api.py: wrk is missing; install Debian's wrk package (or run as root)")
    print("installing wrk with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("bench/api.py: wrk did not install")


@dataclass(frozen=True)
class Shop:
    key: str
    customer_ids: list[str]


def fill(settings: Settings, count: int) -> Shop:
    app = build(settings)
    org = organisations.create(app, slug="salon-bench", name="Salon Sonnenschein", jurisdiction="DE",
                               similar_categories=[["haircut", "hair-care"]], sender_name="Salon Sonnenschein",
                               sender_address="Hauptstraße 1, 10115 Berlin").id
    ids: list[str] = []
    started = time.perf_counter()
    signed = ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED_FORM)
    for first in range(0, count, BATCH):
        # The services' own in-transaction steps, a batch per transaction: one commit per customer
        # would spend the set-up time on fsyncs.
        with app.db.unit_of_work() as session:
            organisation = organisations.get(session, org)
            for number in range(first, min(count, first + BATCH)):
                view = customers.add_in(session, organisation, NewCustomer(
                    email=f"kunde{number}@example.com", first_name="Kundin", external_id=f"K-{number}"), now=app.now())
                customer = customers.get(session, organisation, view.id)
                consents.give_in(session, organisation, customer, signed, now=app.now())
                ids.append(view.id)
    print(f"filled {count:,} customers with consents in {time.perf_counter() - started:.1f} s", flush=True)
    key = api_keys.create(app, org, name="bench", scopes=["read", "write"])[1]
    app.db.dispose()
    return Shop(key=key, customer_ids=ids)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(settings: Settings, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KONSENT__DATABASE__URL": str(settings.database.url),
           "KONSENT__DATA_DIR": str(settings.data_dir), "KONSENT__SERVER__PUBLIC_URL": f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "konsent", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if probe.recv(16).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not answer /health within a minute")


# --- where the CPU goes: /proc ------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(server: int, database: str) -> dict[str, float]:
    """CPU used so far by the server (master and workers) and by the PostgreSQL backends serving the
    bench's database (named in their process titles; other databases' work is not ours)."""
    tree = [server, *_children(server)]
    postgres = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and f" {database} ".encode() in title:
                postgres += _cpu_of(int(entry.name))
    with psycopg.connect(ADMIN, autocommit=True) as admin:  # new server connections: pool churn costs a fork each
        sessions = admin.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database]).fetchone()
    return {"server": sum(_cpu_of(pid) for pid in tree), "postgres": postgres, "machine": _machine_busy(),
            "sessions": float(sessions[0] if sessions else 0)}


def _machine_busy() -> float:
    """CPU seconds every process on the machine has used: what the bench did not use, others did."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(ticks[:3]) + sum(ticks[5:8])) / TICK  # user nice system, irq softirq steal; not idle, iowait


# --- maximum throughput: wrk --------------------------------------------------------------------

LUA = """
local bodies = {}
local paths = {}
local n = 0
init = function(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do
    local path, body = line:match("^(%S+)\\t(.*)$")
    n = n + 1
    paths[n] = path
    bodies[n] = body
  end
  f:close()
end
local i = 0
request = function()
  i = (i % n) + 1
  return wrk.format(wrk.method, paths[i], wrk.headers, bodies[i])
end
"""


@dataclass(frozen=True)
class Throughput:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_ms: dict[str, float]  # CPU time per request: server, postgres, wrk
    others: float  # cores the rest of the machine kept busy meanwhile
    connects: float  # new PostgreSQL connections per request


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_run(wrk: str, name: str, base: str, requests: list[tuple[str, str]], *, method: str, key: str,
            seconds: float, connections: int, folder: Path, server: int, database: str) -> Throughput:
    """`requests`: (path, body) pairs the connections take in turn."""
    script, plan = folder / f"{name}.lua", folder / f"{name}.tsv"
    script.write_text(LUA.replace("wrk.method", f'"{method}"'))
    plan.write_text("".join(f"{path}\t{body}\n" for path, body in requests))
    # A timeout long enough that slow answers are measured, not dropped from the latencies.
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "--latency",
               "-s", str(script), "-H", f"Authorization: Bearer {key}", "-H", "Content-Type: application/json",
               base, "--", str(plan)]
    before, used_before = os.times(), cpu_seconds(server, database)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after, used_after = os.times(), cpu_seconds(server, database)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    if socket_errors:
        print(f"  {name}: {socket_errors.group(0)}")
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # Backends that exit meanwhile (a pool's overflow connections) take their CPU time along: at least 0.
    cpu = {part: max(0.0, used_after[part] - used_before[part]) for part in used_before}
    cpu["wrk"] = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    others = max(0.0, cpu.pop("machine") - cpu["server"] - cpu["postgres"] - cpu["wrk"]) / seconds
    sessions = cpu.pop("sessions")  # asked through the admin database: not counted in the bench's
    return Throughput(name, rps, p50, p99, int(bad.group(1)) if bad else 0, done,
                      {part: 1000 * seconds_used / max(done, 1) for part, seconds_used in cpu.items()}, others,
                      sessions / max(done, 1))


# --- a fixed rate: an open-loop client ----------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection; requests are small and answers carry Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, head: bytes, body: bytes) -> int:
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


@dataclass(frozen=True)
class Paced:
    rate: float
    sent: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    errors: int
    behind_ms: float  # how late the client itself was at its worst in starting a request


async def paced(port: int, path: str, bodies: list[bytes], key: str, *, rate: float, seconds: float,
                connections: int) -> Paced:
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))
    heads = [(f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n"
              f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n").encode() for b in bodies]
    latencies: list[float] = []
    errors = 0
    behind = 0.0
    loop = asyncio.get_running_loop()

    async def one(index: int, intended: float) -> None:
        nonlocal errors
        connection = await idle.get()  # waiting for a free connection counts: the clock started at `intended`
        try:
            status = await connection.send(heads[index % len(heads)], bodies[index % len(bodies)])
            if status != 200:
                errors += 1
        finally:
            idle.put_nowait(connection)
        latencies.append(loop.time() - intended)

    total = int(rate * seconds)
    start = loop.time() + 0.1
    tasks = []
    for index in range(total):
        intended = start + index / rate
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        behind = max(behind, loop.time() - intended)
        tasks.append(asyncio.create_task(one(index, intended)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait().writer.close()
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return Paced(rate, total, at(0.5), at(0.9), at(0.99), at(0.999), ordered[-1] * 1000, errors, behind * 1000)


def maximum(wrk: str, port: int, shop: Shop, server: int, database: str, folder: Path, args: argparse.Namespace,
            decide: list[tuple[str, str]]) -> None:
    base = f"http://127.0.0.1:{port}"
    consent = [(f"/api/v1/customers/{json.loads(body)['customer_id']}/consents", json.dumps({
        "channel": "email", "purpose": "advertising", "source": "online_form",
        "evidence": {"ip": "192.0.2.7", "page_url": "https://salon.example/newsletter"},
        "double_opt_in": False})) for _, body in decide]
    runs = {"health": ("GET", [("/health", "")]), "decide": ("POST", decide), "consent": ("POST", consent)}

    def run(name: str, method: str, requests: list[tuple[str, str]], seconds: float) -> Throughput:
        return wrk_run(wrk, name, base, requests, method=method, key=shop.key, seconds=seconds,
                       connections=args.connections, folder=folder, server=server, database=database)

    run("warm-up", "POST", decide, 3)
    results = {name: run(name, method, requests, args.seconds) for name, (method, requests) in runs.items()}
    print(f"\n{'maximum throughput':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}   "
          f"CPU ms per request: {'server':>7}{'postgres':>9}{'wrk':>6}   others (cores)   PG connects/request")
    for r in results.values():
        print(f"{r.name:<20}{r.rps:>9,.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>9}   "
              f"{'':>19} {r.cpu_ms['server']:>7.2f}{r.cpu_ms['postgres']:>9.2f}{r.cpu_ms['wrk']:>6.2f}"
              f"   {r.others:>14.2f}   {r.connects:>19.3f}")
    print(f"\ndecide/health: {results['decide'].rps / results['health'].rps:.2f} (target ≥ 0.5)")


def fixed_rate(port: int, shop: Shop, server: int, database: str, args: argparse.Namespace,
               decide: list[tuple[str, str]]) -> None:
    bodies = [body.encode() for _, body in decide]
    used_before, client_before, wall = cpu_seconds(server, database), time.process_time(), time.perf_counter()
    # The client's own pauses would count against the server: a full garbage collection of this process
    # (the shop's data, psycopg, ten thousand tasks) stalled its event loop by 30-60 ms. Not during the run.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        fixed = asyncio.run(paced(port, "/api/v1/decide", bodies, shop.key, rate=args.rate,
                                  seconds=args.paced_seconds, connections=args.paced_connections))
    finally:
        gc.enable()
        gc.unfreeze()
    used_after, client_used = cpu_seconds(server, database), time.process_time() - client_before
    wall = time.perf_counter() - wall
    print(f"\ndecide at a fixed {fixed.rate:.0f} req/s for {args.paced_seconds:.0f} s "
          f"({fixed.sent:,} requests, {fixed.errors} non-200; latency from the intended send time):")
    print(f"  p50 {fixed.p50_ms:.2f} ms   p90 {fixed.p90_ms:.2f} ms   p99 {fixed.p99_ms:.2f} ms   "
          f"p99.9 {fixed.p999_ms:.2f} ms   max {fixed.max_ms:.2f} ms   (client at worst "
          f"{fixed.behind_ms:.2f} ms behind its schedule)")
    busy = {part: max(0.0, used_after[part] - used_before[part]) / wall for part in ("server", "postgres", "machine")}
    others = max(0.0, busy["machine"] - busy["server"] - busy["postgres"] - client_used / wall)
    connects = (used_after["sessions"] - used_before["sessions"]) / fixed.sent
    print(f"  new PostgreSQL connections per request: {connects:.3f}")
    print(f"  CPU busy meanwhile ({wall:.1f} s): server {busy['server']:.2f} cores, postgres "
          f"{busy['postgres']:.2f}, this client {client_used / wall:.2f}, other processes {others:.2f} "
          f"(of {os.cpu_count()})")
    print(f"p99 at {fixed.rate:.0f} req/s: {fixed.p99_ms:.2f} ms (target ≤ 10 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="per maximum-throughput run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument("--rate", type=float, default=500.0, help="decide requests/s in the fixed-rate run")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--paced-connections", type=int, default=16)
    args = parser.parse_args()
    wrk = ensure_wrk()
    print(f"{os.cpu_count()} CPUs; server: uvicorn with {args.workers} worker process(es) on PostgreSQL; "
          f"load: wrk -t1 -c{args.connections}, then an open-loop client at {args.rate:.0f}/s", flush=True)
    with fresh_database(ADMIN) as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database=DatabaseSettings(url=url))
        shop = fill(settings, args.customers)
        port = free_port()
        server = start_server(settings, port, args.workers, Path(folder) / "server.log")
        rng = random.Random(2026)
        decide = [("/api/v1/decide", json.dumps({"customer_id": rng.choice(shop.customer_ids), "channel": "email",
                                                  "kind": "newsletter"})) for _ in range(5_000)]
        try:
            database = url.rsplit("/", 1)[1]
            maximum(wrk, port, shop, server.pid, database, Path(folder), args, decide)
            fixed_rate(port, shop, server.pid, database, args, decide)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            tail = (Path(folder) / "server.log").read_text(errors="replace").strip()
            if tail:
                print(f"\nserver log (last lines):\n{tail[-1500:]}")


if __name__ == "__main__":
    main()
