"""`conduct bench burst`: a burst of customer messages through the real pipeline, against the
sandbox's rate limits.

10× the per-minute ticket-update limit in messages (clean, abusive and a few threats to safety)
go in as fast as signed webhooks can be delivered: sandbox → `conduct serve` (gunicorn) → Redis →
`conduct worker` processes → the Zendesk adapter → the sandbox's API. The sandbox runs with a time
scale, so its one-minute rate-limit windows pass in seconds. Afterwards, from the sandbox's own
call log and the project's metrics:

- ticket updates per flagged message (target ≤ 1): batching merges waiting actions per ticket;
- user updates per record change (target ≤ 1);
- duplicates (target 0): the same plugin note twice on a ticket;
- share of the allowed rate used (target ≥ 90 %): successful ticket updates over what the limit
  allowed between the first update and the start of the last window (the last one is partial:
  the backlog has run out);
- where the threats' updates fell among all updates (target: first, ahead of the backlog).

The processes are started with functions the command passes in (`Stack`), so this module, in
`integration/`, does not import `ticket_actions`.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import requests

from integration.sandbox.server import start_sandbox

Kind = Literal["clean", "abusive", "threat"]
MINUTE = 60.0
ROUNDS = 4  # messages per customer

CLEAN = (
    "Hi, my order {n} has not arrived yet. Could you check the tracking for me please?",
    "Thanks for the update on order {n}, that works for me.",
    "Can you change the delivery address for order {n} to our warehouse on Mill Lane?",
    "I was charged twice for order {n}, could you look into it when you have a moment?",
)
ABUSIVE = (
    "You useless idiots, order {n} is still missing. Sort it out.",
    "Are you all completely incompetent? This is the third time I ask about order {n}.",
    "This is stupid. Fix order {n} now, you morons.",
    "What the fuck is going on with order {n}? Total shit service.",
)
THREAT = "If order {n} is not here today I will find where you live and hurt you. Watch your back."


@dataclass(frozen=True)
class BurstOptions:
    limit: int = 100  # the sandbox's ticket updates per minute (Zendesk's documented default)
    factor: int = 10  # messages = factor × limit
    time_scale: float = 4.0  # a one-minute window lasts 15 s: the burst arrives within one
    workers: int = 2  # `conduct worker` processes
    web_workers: int = 2  # gunicorn workers of `conduct serve`
    threats: int = 5
    abusive_share: float = 0.45  # of customers
    senders: int = 8  # concurrent deliveries
    seed: int = 7
    timeout: float = 600.0
    data_dir: Path = Path("var/bench-burst")


@dataclass(frozen=True)
class Message:
    index: int  # position in the send order
    customer: int
    round: int
    kind: Kind
    text: str


def plan_messages(options: BurstOptions) -> list[list[Message]]:
    """Rounds of messages, one per customer each (a customer's messages stay in order)."""
    rng = random.Random(options.seed)  # noqa: S311 - a reproducible mix, not a secret
    total = options.limit * options.factor
    customers = total // ROUNDS
    kinds: list[str] = ["threat"] * options.threats
    kinds += ["abusive"] * round(customers * options.abusive_share)
    kinds += ["clean"] * (customers - len(kinds))
    rng.shuffle(kinds)
    threat_round = {
        c: 1 + i % (ROUNDS - 1)
        for i, c in enumerate(c for c, k in enumerate(kinds) if k == "threat")
    }
    rounds: list[list[Message]] = []
    index = 0
    for r in range(ROUNDS):
        order = list(range(customers))
        rng.shuffle(order)
        current = []
        for c in order:
            kind: Kind = "clean"
            if kinds[c] == "abusive":
                kind = "abusive"
            elif kinds[c] == "threat" and threat_round[c] == r:
                kind = "threat"
            n = 40000 + c * 10 + r
            if kind == "threat":
                text = THREAT.format(n=n)
            else:
                text = rng.choice(ABUSIVE if kind == "abusive" else CLEAN).format(n=n)
            current.append(Message(index, c, r, kind, text))
            index += 1
        rounds.append(current)
    return rounds


@dataclass
class Sent:
    message: Message
    ticket_id: int
    at: float  # real time the delivery was answered
    statuses: list[int]


def send(base: str, rounds: list[list[Message]], senders: int) -> list[Sent]:
    """Deliver every message through the sandbox's controls (each delivery is synchronous)."""
    tickets: dict[int, int] = {}
    sent: list[Sent] = []
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=senders))

    def one(message: Message) -> Sent:
        if message.round == 0:
            body = {
                "requester": {
                    "name": f"Bench Customer {message.customer}",
                    "email": f"bench-customer-{message.customer}@example.org",
                },
                "subject": f"Order {40000 + message.customer * 10}",
                "body": message.text,
                "channel": "web",
            }
            answer = http.post(f"{base}/_sandbox/tickets", json=body, timeout=60)
            answer.raise_for_status()
            data = answer.json()
            tickets[message.customer] = int(data["ticket"]["id"])
        else:
            tid = tickets[message.customer]
            answer = http.post(
                f"{base}/_sandbox/tickets/{tid}/comments", json={"body": message.text}, timeout=60
            )
            answer.raise_for_status()
            data = answer.json()
        return Sent(message, tickets[message.customer], time.time(), list(data["deliveries"]))

    with ThreadPoolExecutor(max_workers=senders) as pool:
        for current in rounds:
            sent.extend(pool.map(one, current))
    return sent


# -- measuring -----------------------------------------------------------------------------------
def metric(metrics: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        named = line.startswith(name + "{") or line.startswith(name + " ")
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@dataclass
class Report:
    options: BurstOptions
    messages: Counter[str]
    send_seconds: float
    delivery_statuses: Counter[int]
    flagged: int
    ticket_updates: int
    rejected_updates: int  # 429 answers to ticket updates
    user_updates: int
    record_changes: int
    duplicates: int
    windows: list[int]
    share: float | None
    threats: list[tuple[int, int, float]]  # (updates before it, updates waiting, seconds)
    drained: bool
    drain_seconds: float
    notes: list[str] = field(default_factory=list)


def _windows(times: list[float], length: float) -> tuple[list[int], list[float]]:
    """Counts per fixed window as the sandbox opens them (at the first request after the last
    one closed), and each window's start."""
    counts: list[int] = []
    starts: list[float] = []
    for t in sorted(times):
        if not starts or t >= starts[-1] + length:
            starts.append(t)
            counts.append(0)
        counts[-1] += 1
    return counts, starts


def measure(
    state: dict[str, Any],
    metrics: str,
    sent: list[Sent],
    options: BurstOptions,
    *,
    send_seconds: float,
    drained: bool,
    drain_seconds: float,
) -> Report:
    api_user = state["api_user_id"]
    updates = [
        c
        for c in state["calls"]
        if c["method"] == "PUT" and c["path"].startswith("/api/v2/tickets/")
    ]
    ok = [c for c in updates if c["status"] == 200]
    counts, starts = _windows([c["t"] for c in ok], MINUTE)
    share = None
    if len(counts) > 1:
        elapsed = starts[-1] - starts[0]
        share = sum(counts[:-1]) / (options.limit * elapsed / MINUTE)
    # Threats: how many updates went before each threat's, of those waiting when it arrived
    # (flagged messages sent before it and not yet written: one update each, or fewer when
    # merged), and how long it took.
    written = sorted(c["real"] for c in ok)
    flagged_sent = sorted(s.at for s in sent if s.message.kind != "clean")
    threats: list[tuple[int, int, float]] = []
    for s in sent:
        if s.message.kind != "threat":
            continue
        own = [
            c["real"]
            for c in ok
            if c["path"].endswith(f"/{s.ticket_id}") and c["real"] > s.at - 0.5
        ]
        if not own:
            continue
        write = min(own)
        waiting = sum(t < s.at for t in flagged_sent) - sum(t < s.at for t in written)
        ahead = sum(s.at <= t < write for t in written)
        threats.append((ahead, max(0, waiting), write - s.at))
    # Duplicates: plugin notes on a ticket beyond one per flagged message sent on it. (Notes may
    # have the same words for different messages, e.g. "another incident while a warning is
    # pending", so equal bodies are not duplicates.)
    flagged_on = Counter(s.ticket_id for s in sent if s.message.kind != "clean")
    duplicates = 0
    for ticket in state["tickets"]:
        notes = [c for c in ticket["comments"] if c["author_id"] == api_user and not c["public"]]
        duplicates += max(0, len(notes) - flagged_on[ticket["id"]])
    user_updates = sum(
        1
        for c in state["calls"]
        if c["method"] == "PUT" and c["path"].startswith("/api/v2/users/") and c["status"] == 200
    )
    return Report(
        options=options,
        messages=Counter(s.message.kind for s in sent),
        send_seconds=send_seconds,
        delivery_statuses=Counter(code for s in sent for code in s.statuses),
        flagged=int(metric(metrics, "conduct_jobs_total", job="assess", result="flagged")),
        ticket_updates=len(ok),
        rejected_updates=sum(1 for c in updates if c["status"] == 429),
        user_updates=user_updates,
        record_changes=int(metric(metrics, "conduct_actions_written_total", kind="UpdateCustomer")),
        duplicates=duplicates,
        windows=counts,
        share=share,
        threats=threats,
        drained=drained,
        drain_seconds=drain_seconds,
    )


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def format_report(r: Report) -> str:
    o = r.options
    window = MINUTE / o.time_scale
    total = sum(r.messages.values())
    share = f"{r.share:.1%}" if r.share is not None else "n/a (fewer than two windows)"
    lines = [
        "",
        "conduct bench burst",
        "===================",
        f"messages             {total} = {o.factor}× the sandbox's {o.limit} ticket updates/min "
        f"({', '.join(f'{k} {v}' for k, v in sorted(r.messages.items()))})",
        f"time scale           {o.time_scale:g}× (a one-minute window lasts {window:.1f} s)",
        f"delivered            in {r.send_seconds:.1f} s; webhook answers "
        f"{dict(sorted(r.delivery_statuses.items()))}",
        f"flagged (assess)     {r.flagged}",
        f"ticket updates       {r.ticket_updates}; per flagged message "
        f"{_ratio(r.ticket_updates, r.flagged)} (target ≤ 1); 429 answers {r.rejected_updates}",
        f"user updates         {r.user_updates} for {r.record_changes} mirror changes: "
        f"{_ratio(r.user_updates, r.record_changes)} per change (target ≤ 1)",
        f"duplicates           {r.duplicates} (target 0)",
        f"rate used            {share} of {o.limit}/min (target ≥ 90 %); "
        f"updates per window {r.windows}",
        "threats              written after N of the M updates waiting when each arrived, "
        "T seconds after it was sent:",
        *(f"                     {n} of {m}, {t:.1f} s" for n, m, t in r.threats),
        f"drained              {'yes' if r.drained else 'NO'} after {r.drain_seconds:.1f} s",
        *r.notes,
    ]
    return "\n".join(lines)


# -- running it ----------------------------------------------------------------------------------
class Process(Protocol):
    def stop(self, timeout: float = 10.0) -> None: ...


@dataclass
class Stack:
    """How to start the project's processes (passed in by the command: ticket_actions')."""

    start: Callable[[str, list[str], dict[str, str], Path], Any]  # name, args, env, log dir
    wait_http: Callable[[str, Any], None]
    is_drained: Callable[[Any], bool]
    start_redis: Callable[[Path], Any]  # -> object with .url and .stop()
    free_port: Callable[[], int]


def wait_drained(stack: Stack, connection: Any, base: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.is_drained(connection):
            # The sandbox may still be delivering the plugin's own writes coming back.
            requests.get(f"{base}/_sandbox/state", timeout=60)
            time.sleep(0.5)
            if stack.is_drained(connection):
                return True
        time.sleep(0.2)
    return False


def run_burst(options: BurstOptions, stack: Stack) -> Report:
    import redis

    data_dir = options.data_dir.resolve()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    server = stack.start_redis(data_dir / "redis")
    secret = secrets.token_urlsafe(24)
    web_port = stack.free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    sandbox = start_sandbox(
        {
            "webhook_url": f"{web_url}/webhooks/zendesk",
            "webhook_secret": secret,
            "ticket_update_limit": options.limit,
            "time_scale": options.time_scale,
        }
    )
    env = {
        **os.environ,
        "REDIS_URL": server.url,
        "CONDUCT_DATA_DIR": str(data_dir),
        "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
        "ZENDESK_SUBDOMAIN": "sandbox",
        "ZENDESK_EMAIL": "conduct-guard@example.com",
        "ZENDESK_API_TOKEN": "sandbox-token",
        "ZENDESK_WEBHOOK_SECRET": secret,
        "ZENDESK_API_URL": sandbox.url,
        "CONDUCT_LOG_LEVEL": "WARNING",
    }
    (data_dir / "metrics").mkdir(parents=True, exist_ok=True)
    logs = data_dir / "logs"
    processes: list[Any] = []
    connection = redis.Redis.from_url(server.url)
    try:
        web = stack.start(
            "web", ["serve", "--port", str(web_port), "--workers", str(options.web_workers)],
            env, logs,
        )  # fmt: skip
        processes.append(web)
        for n in range(options.workers):
            processes.append(stack.start(f"worker-{n}", ["worker"], env, logs))
        stack.wait_http(f"{web_url}/healthz", web)
        rounds = plan_messages(options)
        started = time.monotonic()
        sent = send(sandbox.url, rounds, options.senders)
        send_seconds = time.monotonic() - started
        drained = wait_drained(stack, connection, sandbox.url, options.timeout)
        drain_seconds = time.monotonic() - started
        state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=60).json()
        metrics = requests.get(f"{web_url}/metrics", timeout=30).text
        report = measure(
            state,
            metrics,
            sent,
            options,
            send_seconds=send_seconds,
            drained=drained,
            drain_seconds=drain_seconds,
        )
        (data_dir / "sandbox-state.json").write_text(json.dumps(state))
        (data_dir / "report.json").write_text(
            json.dumps({k: v for k, v in report.__dict__.items() if k != "options"}, default=str)
        )
        return report
    finally:
        for process in reversed(processes):
            process.stop()
        sandbox.stop()
        server.stop()
