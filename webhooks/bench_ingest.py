"""`conduct bench ingest`: deliveries per second the web tier takes, against a bare baseline.

In one run, on loopback only:
- `conduct serve` (gunicorn, the real app, the embedded Redis and RQ), and
- a bare Flask app answering `202` at the same path, under the same gunicorn invocation
  (`webhooks/gunicorn_conf.py`, the same worker count),

both receive distinct, correctly signed `ticket.comment_added` deliveries (every one a new
envelope id, so none is a duplicate). The load generator is this module: several processes,
each one connection at a time with pre-built requests (keep-alive when the server offers it;
gunicorn's sync workers close after each answer). To show it is not the bottleneck:
1. against a null server (asyncio, canned 202) it must reach well above the bare app's rate;
2. the bare app's rate must plateau as concurrency grows (more offered, no more served).

Figures: requests/s at saturation for both and their ratio (target ≥ 0.5), then p50/p99 latency
at a fixed offered load of half the bare app's saturation rate (open loop: latency counts from
each request's scheduled time, so a slow answer is not hidden by a late send; target p99 ≤ 20 ms).
Every phase is bounded in time and in requests; the command stops the servers it started.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from webhooks.workers import default_workers

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from flask import Flask

PATH = "/webhooks/zendesk"
ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "webhooks" / "gunicorn_conf.py"
HOST = "127.0.0.1"
MAX_REQUESTS_PER_PHASE = 120_000  # the bound on any phase, whatever its duration
CEILING_RATE = 8_000  # req/s a phase is prepared for; reaching it is reported as "exhausted"
# Comment bodies in Zendesk's `ticket.comment_added` are plain text (the HTML form is a separate
# field [S]); one in six still carries quoted e-mail history, which the parser must strip.
TEXTS = (
    "This is the third time I have asked. Where is my refund?",
    "You are all completely useless, fix my account today.",
    "Thanks, that worked.",
    "Answer me now or I will come to your office.",
    "Still waiting.\n\nOn Wed, 8 Jan 2025 at 14:30, Support <support@example.com> wrote:\n"
    "> We are investigating this issue and will update you shortly.",
    "Order 5521: the tracking page says delivered, but nothing came. Please check.",
)


# -- the baseline ----------------------------------------------------------------------------
def bare_app() -> Flask:
    """The baseline: the same path answered 202 with nothing done (`gunicorn '…:bare_app()'`)."""
    from flask import Flask, jsonify

    app = Flask("bench_bare")

    @app.post(PATH)
    def receive() -> Any:
        return jsonify(status="queued"), 202

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    return app


# -- deliveries ------------------------------------------------------------------------------
def delivery_body(delivery_id: str, n: int) -> bytes:
    """A `ticket.comment_added` envelope shaped like tests/fixtures/zendesk (ids made unique)."""
    ticket = str(100_000 + n % 5_000)
    envelope = {
        "account_id": 22129848,
        "detail": {
            "actor_id": "8447388090494",
            "assignee_id": "8447388090495",
            "brand_id": "8447346621310",
            "created_at": "2025-01-08T10:12:07Z",
            "custom_status": "8447320465790",
            "description": "My order never arrived.",
            "external_id": None,
            "form_id": "8646151517822",
            "group_id": "8447320466430",
            "id": ticket,
            "is_public": True,
            "organization_id": "8447346622462",
            "priority": "NORMAL",
            "requester_id": "8447388090494",
            "status": "OPEN",
            "subject": "Order never arrived",
            "submitter_id": "8447388090494",
            "tags": ["order", "delivery"],
            "type": "PROBLEM",
            "updated_at": "2025-01-08T14:25:30Z",
            "via": {"channel": "email"},
        },
        "event": {
            "comment": {
                "id": str(10**12 + n),
                "body": TEXTS[n % len(TEXTS)],
                "is_public": True,
                "author": {"id": "8447388090494", "is_staff": False, "name": "Sam Customer"},
            }
        },
        "id": delivery_id,
        "subject": f"zen:ticket:{ticket}",
        "time": "2025-01-08T14:25:30Z",
        "type": "zen:event-type:ticket.comment_added",
        "zendesk_event_version": "2022-11-06",
    }
    return json.dumps(envelope).encode()


def http_request(port: int, body: bytes, secret: str) -> bytes:
    from integration.zendesk.auth import signed_headers

    headers = signed_headers(secret, body)
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _exchange(conn: socket.socket | None, port: int, payload: bytes) -> tuple[int, Any]:
    """One request and its whole response; returns the status and the connection to reuse."""
    fresh = conn is None
    if conn is None:
        conn = socket.create_connection((HOST, port), timeout=10)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        conn.sendall(payload)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the response")
            buf += chunk
    except OSError:
        conn.close()
        if fresh:
            raise
        return _exchange(None, port, payload)  # a kept-alive connection the server dropped
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"connection" and value.strip().lower() == b"close":
            close = True
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            close = True
            break
        rest += chunk
    if close:
        conn.close()
        return status, None
    return status, conn


# -- load generation (child processes) -------------------------------------------------------
@dataclass
class Spec:
    port: int
    secret: str
    run_id: str
    phase: str
    procs: int
    duration: float
    start_at: float  # wall clock, shared by all processes
    rate: float | None = None  # None: closed loop; else requests/s across all processes
    per_proc: int = 0


@dataclass
class Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unsent: int = 0  # open loop: scheduled sends given up at the hard stop (server too slow)
    first: float = 0.0
    last: float = 0.0
    cpu: float = 0.0
    exhausted: bool = False


def _cpu_self() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate(spec: Spec, index: int, out: Queue[Tally]) -> None:
    payloads = [
        http_request(
            spec.port,
            delivery_body(f"bench-{spec.run_id}-{spec.phase}-{index}-{i}", index * 1_000_003 + i),
            spec.secret,
        )
        for i in range(spec.per_proc)
    ]
    tally = Tally()
    statuses: Counter[int] = Counter()
    conn: socket.socket | None = None
    while time.time() < spec.start_at:
        time.sleep(min(0.005, max(0.0, spec.start_at - time.time())))
    deadline = spec.start_at + spec.duration
    hard_stop = deadline + max(2.0, spec.duration)  # an overloaded server cannot stretch a phase
    cpu0 = _cpu_self()
    tally.first = time.time()
    for i, payload in enumerate(payloads):
        if spec.rate is None:
            scheduled = time.time()
            if scheduled >= deadline:
                break
        else:
            scheduled = spec.start_at + (index + i * spec.procs) / spec.rate
            if scheduled >= deadline:
                break
            if time.time() > hard_stop:
                tally.unsent = math.ceil((deadline - scheduled) * spec.rate / spec.procs)
                break
            wait = scheduled - time.time()
            if wait > 0:
                time.sleep(wait)
        try:
            status, conn = _exchange(conn, spec.port, payload)
        except OSError:
            tally.errors += 1
            conn = None
            continue
        tally.latencies.append(time.time() - scheduled)
        statuses[status] += 1
    else:
        tally.exhausted = spec.rate is None
    tally.last = time.time()
    tally.cpu = _cpu_self() - cpu0
    tally.statuses = dict(statuses)
    if conn is not None:
        conn.close()
    out.put(tally)


@dataclass
class Phase:
    target: str
    mode: str  # "closed" or "open"
    procs: int
    offered: float | None
    rps: float
    statuses: dict[int, int]
    errors: int
    unsent: int
    p50_ms: float
    p99_ms: float
    generator_cpu: float
    server_cpu: float
    seconds: float
    exhausted: bool
    round: int = 0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def run_phase(
    target: str,
    port: int,
    secret: str,
    run_id: str,
    procs: int,
    duration: float,
    rate: float | None = None,
    server: Server | None = None,
    tag: str = "",
) -> Phase:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    expected = (rate or CEILING_RATE) * duration
    per_proc = min(MAX_REQUESTS_PER_PHASE // procs, math.ceil(expected / procs) + 2)
    warmup = 0.5 + per_proc * procs * 25e-6  # time to build the requests before the start
    name = f"{target}-{procs}-{rate or 'max'}-{tag}"
    spec = Spec(port, secret, run_id, name, procs, duration, time.time() + warmup, rate, per_proc)
    out: Queue[Tally] = context.Queue()
    workers = [context.Process(target=_generate, args=(spec, i, out)) for i in range(procs)]
    for worker in workers:
        worker.start()
    cpu_before = server.cpu_seconds() if server else 0.0
    tallies = [out.get(timeout=3 * duration + warmup + 60) for _ in workers]
    cpu_after = server.cpu_seconds() if server else 0.0
    for worker in workers:
        worker.join(timeout=5)
        if worker.is_alive():  # pragma: no cover - a stuck generator of ours
            worker.terminate()
    statuses: Counter[int] = Counter()
    for tally in tallies:
        statuses.update(tally.statuses)
    latencies = [value for tally in tallies for value in tally.latencies]
    seconds = max(t.last for t in tallies) - min(t.first for t in tallies)
    return Phase(
        target=target,
        mode="closed" if rate is None else "open",
        procs=procs,
        offered=rate,
        rps=len(latencies) / seconds if seconds > 0 else 0.0,
        statuses=dict(statuses),
        errors=sum(t.errors for t in tallies),
        unsent=sum(t.unsent for t in tallies),
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        generator_cpu=sum(t.cpu for t in tallies),
        server_cpu=cpu_after - cpu_before,
        seconds=seconds,
        exhausted=any(t.exhausted for t in tallies),
    )


# -- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        """CPU time of every live process in the server's process group (gunicorn, Redis)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / tick

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        request = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException(f"{self.name} exited; its log: {self.log}")
            with contextlib.suppress(OSError, ValueError, IndexError):
                if _exchange(None, self.port, request)[0] == 200:
                    return
            time.sleep(0.2)
        raise click.ClickException(f"{self.name} did not answer /healthz; its log: {self.log}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        # gunicorn workers and Redis are in the same group; give them a moment, then insist.
        deadline = time.time() + 10
        while time.time() < deadline and self.cpu_group_alive():
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def cpu_group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


def _spawn(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    port = (
        int(args[args.index("--port") + 1])
        if "--port" in args
        else int(args[args.index("-b") + 1].rsplit(":", 1)[1])
    )
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return Server(name, port, process, log)


def start_bare(workers: int, workdir: Path) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-w", str(workers),
            "-b", f"{HOST}:{port}", "webhooks.bench_ingest:bare_app()"]  # fmt: skip
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(_fresh(workdir / "bare-metrics"))}
    return _spawn("bare", args, env, workdir)


def start_conduct(workers: int, workdir: Path, secret: str) -> Server:
    """`conduct serve` exactly as a user runs it, with a throwaway data dir (embedded Redis)."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZENDESK_", "FRESHDESK_", "CONDUCT_", "PROMETHEUS_"))
    }
    env.update(
        REDIS_URL="",
        ZENDESK_SUBDOMAIN="bench",
        ZENDESK_EMAIL="bench@example.invalid",
        ZENDESK_API_TOKEN="bench",  # noqa: S106 - never used: the web tier calls no vendor
        ZENDESK_WEBHOOK_SECRET=secret,
        CONDUCT_DATA_DIR=str(workdir / "data"),
        CONDUCT_LOG_LEVEL="WARNING",
    )
    args = [sys.executable, "-m", "cli", "serve", "--host", HOST, "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    return _spawn("conduct", args, env, workdir)


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _null_server(port: int) -> None:
    """A canned `202` over asyncio, closing after each answer as gunicorn's sync workers do."""
    import asyncio

    body = b'{"status":"queued"}\n'
    response = (
        b"HTTP/1.1 202 ACCEPTED\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )

    class Answer(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) >= end + 4 + length:
                self.transport.write(response)
                self.transport.close()

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Answer, HOST, port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


# -- the benchmark ---------------------------------------------------------------------------
@dataclass
class Report:
    workers: int
    concurrency: list[int]
    duration: float
    rounds: int
    null: list[Phase] = field(default_factory=list)
    saturation: list[Phase] = field(default_factory=list)
    fixed: list[Phase] = field(default_factory=list)  # at half the bare app's saturation rate
    context: list[Phase] = field(default_factory=list)  # conduct at half its own rate
    queued_jobs: int = 0
    accepted: int = 0

    def level_rates(self, target: str) -> dict[int, float]:
        """Median requests/s per concurrency level over the rounds."""
        return {
            level: statistics.median(
                p.rps for p in self.saturation if p.target == target and p.procs == level
            )
            for level in self.concurrency
        }

    def saturation_rate(self, target: str) -> float:
        return max(self.level_rates(target).values())

    def paired_ratio(self) -> float:
        """Median of conduct/bare over phases run back to back (same level, same round)."""
        pairs = [
            c.rps / b.rps
            for b in self.saturation
            if b.target == "bare" and b.rps
            for c in self.saturation
            if c.target == "conduct" and (c.procs, c.round) == (b.procs, b.round)
        ]
        return statistics.median(pairs) if pairs else math.nan

    def cpu_per_request(self, target: str) -> float:
        """Server CPU seconds (gunicorn master and workers, and Redis) per answered request."""
        phases = [p for p in self.saturation if p.target == target]
        answered = sum(sum(p.statuses.values()) for p in phases)
        return sum(p.server_cpu for p in phases) / answered if answered else math.nan

    def summary(self) -> dict[str, Any]:
        bare, conduct = self.saturation_rate("bare"), self.saturation_rate("conduct")
        null = max((p.rps for p in self.null), default=math.nan)
        levels = self.level_rates("bare")
        ordered = [levels[level] for level in sorted(levels)]
        plateau = ordered[-1] / max(ordered[:-1]) - 1 if len(ordered) > 1 else math.nan
        fixed = {p.target: p for p in self.fixed}
        context = self.context[0] if self.context else None
        return {
            "bare_rps": bare,
            "conduct_rps": conduct,
            "ratio": conduct / bare if bare else math.nan,
            "paired_ratio": self.paired_ratio(),
            "bare_cpu_ms": self.cpu_per_request("bare") * 1000,
            "conduct_cpu_ms": self.cpu_per_request("conduct") * 1000,
            "null_rps": null,
            "generator_headroom": null / bare if bare else math.nan,
            "bare_plateau_gain": plateau,
            "fixed_rate": fixed["conduct"].offered if "conduct" in fixed else math.nan,
            "conduct_p50_ms": fixed["conduct"].p50_ms if "conduct" in fixed else math.nan,
            "conduct_p99_ms": fixed["conduct"].p99_ms if "conduct" in fixed else math.nan,
            "conduct_unsent": fixed["conduct"].unsent if "conduct" in fixed else 0,
            "bare_p50_ms": fixed["bare"].p50_ms if "bare" in fixed else math.nan,
            "bare_p99_ms": fixed["bare"].p99_ms if "bare" in fixed else math.nan,
            "context_rate": context.offered if context else math.nan,
            "context_p50_ms": context.p50_ms if context else math.nan,
            "context_p99_ms": context.p99_ms if context else math.nan,
            "queued_jobs": self.queued_jobs,
            "accepted": self.accepted,
        }


def run(
    workers: int, concurrency: list[int], duration: float, rounds: int, echo: Any = print
) -> Report:
    import multiprocessing
    import secrets

    import redis

    from config.redis_server import socket_url
    from ticket_actions.queues import queue

    run_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(24)
    report = Report(workers=workers, concurrency=concurrency, duration=duration, rounds=rounds)
    with tempfile.TemporaryDirectory(prefix="conduct-bench-") as tmp:
        workdir = Path(tmp)
        servers = [start_bare(workers, workdir), start_conduct(workers, workdir, secret)]
        try:
            for server in servers:
                server.wait_ready()
            bare, conduct = servers
            echo(f"servers up: bare :{bare.port}, conduct serve :{conduct.port} "
                 f"({workers} gunicorn sync workers each, {os.cpu_count()} cores)")  # fmt: skip

            echo("generator check (null server: canned 202, no work):")
            null_port = free_port()
            null = multiprocessing.get_context("fork").Process(
                target=_null_server, args=(null_port,)
            )
            null.start()
            try:
                time.sleep(0.3)
                for procs in concurrency:  # the same levels the apps get; the best one counts
                    phase = run_phase("null", null_port, secret, run_id, procs, duration / 2)
                    report.null.append(phase)
                    echo(_line(phase))
            finally:
                null.terminate()
                null.join(timeout=5)

            echo(f"saturation (closed loop; bare and conduct back to back, {rounds} rounds):")
            for round_ in range(rounds):
                for procs in concurrency:
                    for server in servers:
                        phase = run_phase(server.name, server.port, secret, run_id, procs,
                                          duration, server=server, tag=f"r{round_}")  # fmt: skip
                        phase.round = round_
                        report.saturation.append(phase)
                        echo(_line(phase))

            rate = round(report.saturation_rate("bare") / 2, 1)
            echo(f"fixed offered load, half the bare app's saturation rate ({rate:.0f}/s):")
            for server in servers:
                report.fixed.append(_open_loop(server, secret, run_id, rate, duration, "half-bare"))
                echo(_line(report.fixed[-1]))
            own = round(report.saturation_rate("conduct") / 2, 1)
            echo(f"context: conduct at half its own saturation rate ({own:.0f}/s):")
            report.context.append(_open_loop(conduct, secret, run_id, own, duration, "own"))
            echo(_line(report.context[-1]))

            connection = redis.Redis.from_url(socket_url(workdir / "data" / "redis"))
            report.queued_jobs = queue(connection).count
            phases = report.saturation + report.fixed + report.context
            report.accepted = sum(p.statuses.get(202, 0) for p in phases if p.target == "conduct")
        finally:
            for server in reversed(servers):
                server.stop()
    return report


def _open_loop(
    server: Server, secret: str, run_id: str, rate: float, duration: float, tag: str
) -> Phase:
    procs = max(4, min(32, math.ceil(rate / 100)))  # ≥ 10 ms between one process's sends
    return run_phase(server.name, server.port, secret, run_id, procs, duration * 1.5,
                     rate=rate, server=server, tag=tag)  # fmt: skip


def _line(phase: Phase) -> str:
    load = "closed loop" if phase.offered is None else f"offered {phase.offered:.0f}/s"
    statuses = " ".join(f"{code}×{count}" for code, count in sorted(phase.statuses.items()))
    extras = f" errors×{phase.errors}" if phase.errors else ""
    extras += f" unsent×{phase.unsent}" if phase.unsent else ""
    return (
        f"  {phase.target:8} {load:>15}, {phase.procs:2} procs: {phase.rps:7.0f} req/s  "
        f"p50 {phase.p50_ms:7.2f} ms  p99 {phase.p99_ms:7.2f} ms  [{statuses}{extras}]  "
        f"cpu s: server {phase.server_cpu:.1f} generator {phase.generator_cpu:.1f} "
        f"in {phase.seconds:.1f}{'  (request bound reached)' if phase.exhausted else ''}"
    )


def verdicts(report: Report) -> list[tuple[str, bool]]:
    s = report.summary()
    unsent = f", {s['conduct_unsent']} sends given up" if s["conduct_unsent"] else ""
    return [
        (f"generator not the bottleneck: it drove the null server at {s['null_rps']:.0f}/s = "
         f"{s['generator_headroom']:.2f}× the bare app's rate (needs ≥ 1.5×)",
         s["generator_headroom"] >= 1.5),
        (f"bare app saturated: its rate at the highest concurrency is "
         f"{s['bare_plateau_gain'] * 100:+.1f}% vs the best lower level (needs < +10%)",
         s["bare_plateau_gain"] < 0.10),
        (f"throughput: conduct {s['conduct_rps']:.0f}/s vs bare {s['bare_rps']:.0f}/s = "
         f"{s['ratio']:.2f}× (back-to-back pairs: median {s['paired_ratio']:.2f}×; "
         f"target ≥ 0.5×); server CPU per request: bare {s['bare_cpu_ms']:.2f} ms, "
         f"conduct {s['conduct_cpu_ms']:.2f} ms", s["ratio"] >= 0.5),
        (f"latency at {s['fixed_rate']:.0f}/s (half the bare rate): conduct p50 "
         f"{s['conduct_p50_ms']:.2f} ms, p99 {s['conduct_p99_ms']:.2f} ms"
         f"{unsent}"
         f" (target p99 ≤ 20 ms); bare p50 {s['bare_p50_ms']:.2f} ms, "
         f"p99 {s['bare_p99_ms']:.2f} ms",
         s["conduct_p99_ms"] <= 20 and not s["conduct_unsent"]),
        (f"every 202 is a job: {s['accepted']} accepted, {s['queued_jobs']} in the RQ queue",
         s["accepted"] == s["queued_jobs"] and s["accepted"] > 0),
    ]  # fmt: skip


@click.command("ingest", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workers",
    default=default_workers,
    type=int,
    show_default="as conduct serve: 2 per core",
    help="gunicorn workers for both apps.",
)
@click.option(
    "--concurrency",
    default="2,4,8",
    show_default=True,
    help="Closed-loop generator processes per saturation step (comma-separated).",
)
@click.option("--duration", default=3.0, show_default=True, help="Seconds per phase (≤ 30).")
@click.option("--rounds", default=2, show_default=True, help="Saturation rounds (≤ 5).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write figures here.")
def ingest_command(
    workers: int, concurrency: str, duration: float, rounds: int, json_path: str | None
) -> None:
    """Webhook throughput and latency: `conduct serve` vs a bare 202 app, same gunicorn.

    Loopback only; every phase is bounded in time and requests; exits 1 on errors, non-202
    answers, or a 202 that is not a job in the queue. Targets are reported as PASS/MISS.
    """
    levels = sorted({int(value) for value in concurrency.split(",") if value.strip()})
    if not levels or levels[0] < 1 or levels[-1] > 64:
        raise click.BadParameter("1 to 64 processes per level", param_hint="--concurrency")
    if not 0 < duration <= 30 or not 1 <= rounds <= 5 or not 1 <= workers <= 16:
        raise click.BadParameter("0 < duration ≤ 30, 1 ≤ rounds ≤ 5, 1 ≤ workers ≤ 16")
    click.echo(f"conduct bench ingest: loopback only, {duration:g} s per phase")
    report = run(workers, levels, duration, rounds, echo=click.echo)
    results = verdicts(report)
    click.echo("")
    for text, ok in results:
        click.echo(f"{'PASS' if ok else 'MISS'}  {text}")
    if json_path:
        payload = {"summary": report.summary(), "report": asdict(report)}
        Path(json_path).write_text(json.dumps(payload, indent=2, default=str))
    phases = report.saturation + report.fixed + report.context
    errors = sum(p.errors for p in phases)
    wrong = sum(n for p in phases for code, n in p.statuses.items() if code != 202)
    if errors or wrong or not results[-1][1]:
        click.echo(f"conduct bench ingest: {errors} errors, {wrong} non-202 answers", err=True)
        sys.exit(1)
