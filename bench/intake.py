"""Incident intake through the JSON API under load: ≥ 500 incidents/s sustained for 60 s
on PostgreSQL behind a production server (gunicorn), p99 < 100 ms, no errors, nothing lost.

    .venv/bin/python bench/intake.py [--rate 500] [--seconds 60] [--workers 3 --threads 4]
        [--worker-class sync] [--batch-ms 20 | --in-flight 2]
        [--database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench_intake]

The load is open-loop: request i is due at start + i/rate whatever the server does, and
its latency counts from that due time, so a stalled server shows as latency instead of
quietly lowering the rate (no "coordinated omission"). The client is asyncio in this
process, on the same two cores as the server and the database, so the figures are
conservative. Afterwards the rows in the database are counted against the 201 answers
received.

``--batch-ms`` plays a 110 system's feed: what was received in each window of that many
milliseconds goes as one batch (``POST /api/v1/incidents/batch``, all or nothing) when the
window closes; each incident's latency still counts from its own due time, so the wait for
the window is part of it.

``--in-flight K`` plays the feed the README recommends instead: no window, K requests at a
time; whenever one is answered the next sends everything received and not yet sent (up to
500) as one batch — one incident at a time when calls are few, larger batches only while
earlier requests are still being answered. Each goes on a new connection, as the TLS proxy
in front of gunicorn opens them, so it reaches a worker that is free.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fengqiao_bench_intake"
TEXTS = [
    "报警人称其停放在小区楼下的电动车被盗。",
    "报警人称接到自称客服的电话，被骗转账3000元。",
    "报警人称楼上装修噪音扰民，要求处理。",
    "两车在路口发生刮擦，无人员受伤。",
    "报警人称与邻居因漏水问题发生争吵，要求民警调解。",
    "一名老人在公园走失，家属求助。",
    "报警人称店铺门口有人打架。",
    "报警人称钥匙锁在屋内，求助开锁。",
]
ROADS = ["阳头路", "凤台街", "书院巷", "泽州路", "文昌街"]
SECRET_KEY = secrets.token_urlsafe(50)  # shared by the setup (which signs in) and the server


def setup(url: str) -> dict[str, str]:
    """A fresh database with a bureau, a station, a district and the 110 system's account
    in the station's command room; returns the API token issued to it (the way a feed
    signs its requests) and the district's id."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="fengqiao.settings",
                      FENGQIAO_VAR=str(OUT), FENGQIAO_SECRET_KEY=SECRET_KEY)  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command

    from fengqiao.accounts import tokens
    from fengqiao.accounts.models import User
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction

    call_command("migrate", verbosity=0)
    make = create_jurisdiction
    department = make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="省公安厅")
    bureau = make(actor=None, kind=Kind.COUNTY_BUREAU, name="城区公安分局", parent=department)
    station = make(actor=None, kind=Kind.STATION, name="南街派出所", parent=bureau)
    district = make(actor=None, kind=Kind.POLICE_DISTRICT, name="第一警务区", parent=station)
    user = User.objects.create_user(username="feed.110", password=secrets.token_hex(8),
                                    full_name="110接处警系统", role="command_room",
                                    jurisdiction=station)  # fmt: skip
    _, token = tokens.issue(actor=None, user=user, name="110 接处警系统")
    return {"token": token, "district": str(district.pk)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str, port: int, workers: int, threads: int, worker_class: str = "gthread"
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=url, FENGQIAO_ENV="production", FENGQIAO_HTTPS="0",
               FENGQIAO_SECRET_KEY=SECRET_KEY,
               FENGQIAO_ALLOWED_HOSTS="127.0.0.1", FENGQIAO_VAR=str(OUT))  # fmt: skip
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "fengqiao.wsgi",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads),
               "--keep-alive", "30", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def incident(rng: random.Random, district: str) -> dict[str, object]:
    return {
        "source": "110", "description": rng.choice(TEXTS),
        "location_text": f"{rng.choice(ROADS)}{rng.randint(1, 200)}号",
        "reporter_phone": f"13{rng.randint(0, 999_999_999):09d}",
        "jurisdiction_id": int(district),
    }  # fmt: skip


def plan(rate: float, seconds: float, batch_ms: float) -> list[tuple[float, list[float]]]:
    """The requests to send: (when to send, the due times of the incidents it carries),
    in seconds from the start. One incident per request, or with ``batch_ms`` the
    incidents due in each window of that many milliseconds, sent when the window ends
    (the way a 110 system's feed forwards what it received meanwhile)."""
    dues = [i / rate for i in range(int(rate * seconds))]
    if not batch_ms:
        return [(due, [due]) for due in dues]
    window = batch_ms / 1000
    jobs: dict[int, list[float]] = {}
    for due in dues:
        jobs.setdefault(int(due / window), []).append(due)
    return [((k + 1) * window, group) for k, group in sorted(jobs.items())]


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass
class Tally:
    """What came back: each incident's latency from its due time, how many were stored,
    the refusals."""

    start: float
    latencies: list[float] = field(default_factory=list)
    created: int = 0
    errors: list[str] = field(default_factory=list)

    async def post(self, connection: Connection, access: dict[str, str], path: str,
                   document: object, dues: list[float], close: bool = False) -> None:  # fmt: skip
        status, payload = await exchange(*connection, access, path, document, close)
        done = time.perf_counter()
        self.latencies.extend(done - (self.start + due) for due in dues)
        if status == 201:
            self.created += len(dues)
        else:
            self.errors.append(f"{status} {payload[:200].decode(errors='replace')}")


async def run_load(
    port: int, access: dict[str, str], rate: float, seconds: float, connections: int,
    batch_ms: float = 0,
) -> Tally:  # fmt: skip
    """Latency of each incident counts from its own due time to the answer that carried it."""
    queue: asyncio.Queue[tuple[float, list[float]]] = asyncio.Queue()
    for job in plan(rate, seconds, batch_ms):
        queue.put_nowait(job)
    rng = random.Random(7)
    path = "/api/v1/incidents/batch" if batch_ms else "/api/v1/incidents/"
    tally = Tally(start=time.perf_counter() + 0.5)

    async def worker() -> None:
        connection = await asyncio.open_connection("127.0.0.1", port)
        while True:
            try:
                send_at, dues = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            delay = tally.start + send_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            items = [incident(rng, access["district"]) for _ in dues]
            await tally.post(connection, access, path, {"items": items} if batch_ms else items[0],
                             dues)  # fmt: skip
        connection[1].close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return tally


async def run_feed(
    port: int, access: dict[str, str], rate: float, seconds: float, in_flight: int
) -> Tally:
    """A feed with ``in_flight`` requests at a time: each sender, when answered, sends what
    is due and not yet sent (up to the batch limit); latency counts from each incident's
    due time."""
    dues = [i / rate for i in range(int(rate * seconds))]
    taken = 0
    rng = random.Random(7)
    tally = Tally(start=time.perf_counter() + 0.5)

    async def sender() -> None:
        nonlocal taken
        while taken < len(dues):
            now = time.perf_counter() - tally.start
            if dues[taken] > now:
                await asyncio.sleep(dues[taken] - now)
                continue
            first = taken
            while taken < len(dues) and dues[taken] <= now and taken - first < 500:
                taken += 1
            batch = dues[first:taken]
            items = [incident(rng, access["district"]) for _ in batch]
            # A connection per request, as the TLS proxy in front of gunicorn opens them
            # (nginx speaks HTTP/1.0 upstream): each request goes to a worker that is free.
            connection = await asyncio.open_connection("127.0.0.1", port)
            await tally.post(connection, access, "/api/v1/incidents/batch", {"items": items}, batch,
                             close=True)  # fmt: skip
            connection[1].close()

    await asyncio.gather(*(sender() for _ in range(in_flight)))
    return tally


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, access: dict[str, str],
    path: str, document: object, close: bool = False,
) -> tuple[int, bytes]:  # fmt: skip
    """POST one JSON document on a keep-alive connection (or one to ``close`` after the
    answer); the status and the body."""
    body = json.dumps(document, ensure_ascii=False).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Authorization: Bearer {access['token']}\r\n\r\n").encode()  # fmt: skip
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    payload = await reader.readexactly(length)
    return (int(status_line.split()[1]) if status_line else 0), payload


def count_rows(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        return int(db.execute("SELECT count(*) FROM incidents_incident").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread",
                        help="gunicorn's: gthread (threads, keep-alive) or sync (one request "
                        "at a time per worker; takes a connection only when free)")  # fmt: skip
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--batch-ms", type=float, default=0,
                        help="send the incidents due in each window of this many ms as one "
                        "batch (POST /api/v1/incidents/batch); 0: one request each")  # fmt: skip
    parser.add_argument("--in-flight", type=int, default=0,
                        help="a feed with this many connections, each sending what is due "
                        "whenever it is free (no window); overrides --batch-ms")  # fmt: skip
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    access = setup(args.database_url)
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(args.database_url, port, args.workers, args.threads, args.worker_class)
    try:
        # Warm up every worker (imports, the classifier's first training, connections).
        asyncio.run(run_load(port, access, 50, 2, 8))
        before = count_rows(args.database_url)
        began = time.perf_counter()
        if args.in_flight:
            load = run_feed(port, access, args.rate, args.seconds, args.in_flight)
        else:
            load = run_load(port, access, args.rate, args.seconds, args.connections,
                            args.batch_ms)  # fmt: skip
        tally = asyncio.run(load)
        elapsed = time.perf_counter() - began
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    stored = count_rows(args.database_url) - before
    latencies, created, errors = sorted(tally.latencies), tally.created, tally.errors
    sent = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(sent - 1, int(p * sent))] * 1000

    mode = (f"a feed, {args.in_flight} requests in flight" if args.in_flight
            else f"batches every {args.batch_ms:g} ms" if args.batch_ms
            else "one incident a request")  # fmt: skip
    shape = (
        f"sync ×{args.workers}"
        if args.worker_class == "sync"
        else (f"{args.worker_class} {args.workers}×{args.threads}")
    )
    print(f"\ngunicorn {shape}, PostgreSQL, {os.cpu_count()} cores,"
          f" {mode}")  # fmt: skip
    print("| offered rate/s | duration s | sent | 201 | errors | stored | achieved/s |"
          " p50 ms | p95 ms | p99 ms | max ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.rate:.0f} | {elapsed:.1f} | {sent} | {created} | {len(errors)} | {stored} | "
          f"{sent / elapsed:.0f} | {statistics.median(latencies) * 1000:.1f} | {pct(0.95):.1f} | "
          f"{pct(0.99):.1f} | {latencies[-1] * 1000:.1f} |")  # fmt: skip
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")


if __name__ == "__main__":
    main()
