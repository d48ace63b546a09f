"""`conduct demo`: the whole path on embedded defaults, against the sandbox helpdesk.

Starts a real Redis (embedded), the sandbox helpdesk, the web tier under gunicorn and a worker;
replays the sample conversations as signed webhooks (the sandbox delivers them exactly as
Zendesk would); waits until drained; prints a report; stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import requests
import yaml

from config.redis_server import start_embedded_redis
from config.settings import PROJECT_ROOT
from integration.sandbox.client import SandboxClient
from ticket_actions.processes import free_port, start_conduct, stopping, wait_http
from ticket_actions.worker import is_drained

CONVERSATIONS = Path(__file__).with_name("demo_conversations.yaml")
DEMO_DIR = PROJECT_ROOT / "var" / "demo"
DRAIN_TIMEOUT = 120.0


@dataclass
class DemoStats:
    messages: int = 0
    macros: int = 0
    deliveries: Counter[int] = field(default_factory=Counter)
    customers: dict[str, str] = field(default_factory=dict)  # name -> `zendesk:<id>`


def _by_name(items: Any, key: str = "name") -> dict[str, Any]:
    values = items.values() if isinstance(items, dict) else items
    return {item[key]: item for item in values}


def replay(sandbox: SandboxClient, conversations: dict[str, Any]) -> DemoStats:
    stats = DemoStats()
    state = sandbox.state()
    macros = _by_name(state["macros"], "title")
    agents = _by_name(state["users"])
    for customer in conversations["customers"]:
        ticket_id: Any = None
        requester_id: Any = None
        for step in customer["steps"]:
            if "say" in step:
                stats.messages += 1
                if ticket_id is None:
                    opened = sandbox.open_ticket(
                        step["say"],
                        requester={"name": customer["name"], "email": customer["email"]},
                        subject=customer["subject"],
                        channel=customer["channel"],
                    )
                    ticket_id = opened["ticket"]["id"]
                    requester_id = opened["ticket"]["requester_id"]
                    stats.customers[customer["name"]] = f"zendesk:{requester_id}"
                else:
                    opened = sandbox.comment(ticket_id, requester_id, step["say"])
            else:
                stats.macros += 1
                macro = macros[step["macro"]]
                agent = agents[step["agent"]]
                opened = sandbox.apply_macro(ticket_id, macro["id"], agent["id"])
            for status in opened.get("deliveries", []):
                stats.deliveries[int(status)] += 1
    return stats


def wait_drained(connection: redis.Redis, timeout: float = DRAIN_TIMEOUT) -> bool:
    """Drained, and still drained a moment later (a job may be enqueueing another)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_drained(connection):
            time.sleep(0.3)
            if is_drained(connection):
                return True
        time.sleep(0.1)
    return False


def run_demo(*, keep: bool = False) -> int:
    started = time.monotonic()
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    server = start_embedded_redis(DEMO_DIR / "redis")
    secret = secrets.token_urlsafe(24)
    sandbox_port, web_port = free_port(), free_port()
    sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "REDIS_URL": server.url,
        "CONDUCT_DATA_DIR": str(DEMO_DIR),
        "PROMETHEUS_MULTIPROC_DIR": str(DEMO_DIR / "metrics"),
        "ZENDESK_SUBDOMAIN": "sandbox",
        "ZENDESK_EMAIL": "conduct-guard@example.com",
        "ZENDESK_API_TOKEN": "sandbox-token",
        "ZENDESK_WEBHOOK_SECRET": secret,
        "ZENDESK_API_URL": sandbox_url,
        "CONDUCT_LOG_LEVEL": "WARNING",
    }
    (DEMO_DIR / "metrics").mkdir(parents=True, exist_ok=True)
    logs = DEMO_DIR / "logs"
    connection = redis.Redis.from_url(server.url)
    try:
        with stopping([]) as running:
            sandbox_args = ["sandbox", "--port", str(sandbox_port)]
            sandbox_args += ["--webhook-url", f"{web_url}/webhooks/zendesk"]
            sandbox_args += ["--webhook-secret", secret]
            sandbox_proc = start_conduct("sandbox", sandbox_args, env, logs)
            running.append(sandbox_proc)
            web = start_conduct("web", ["serve", "--port", str(web_port)], env, logs)
            running.append(web)
            worker = start_conduct("worker", ["worker"], env, logs)
            running.append(worker)
            wait_http(f"{sandbox_url}/_sandbox/state", sandbox_proc)
            wait_http(f"{web_url}/healthz", web)
            conversations = yaml.safe_load(CONVERSATIONS.read_text())
            replay_started = time.monotonic()
            stats = replay(SandboxClient(sandbox_url), conversations)
            drained = wait_drained(connection)
            replay_seconds = time.monotonic() - replay_started
            state = SandboxClient(sandbox_url).state()
            metrics = requests.get(f"{web_url}/metrics", timeout=10).text
            print(report(stats, state, metrics, drained, replay_seconds, started))
            print(trails(connection, stats))
            if not drained:
                print(f"worker log:\n{worker.log_tail()}")
                return 1
            return 0
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(DEMO_DIR, ignore_errors=True)


def trails(connection: redis.Redis, stats: DemoStats) -> str:
    """Each customer's conduct trail, as `conduct audit` prints it (evidence quotes left out)."""
    from ticket_actions.trail import trail_lines

    lines = ["", "Conduct trails per customer (conduct audit):"]
    for name, customer in stats.customers.items():
        lines.append(f"- {name}")
        lines.extend(f"  {line}" for line in trail_lines(connection, customer, quotes=False))
    return "\n".join(lines)


def _metric_sum(metrics: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def report(
    stats: DemoStats,
    state: dict[str, Any],
    metrics: str,
    drained: bool,
    replay_seconds: float,
    started: float,
) -> str:
    calls = state.get("calls", [])
    writes = [c for c in calls if c["method"] in ("PUT", "POST") and c["path"].startswith("/api/")]
    flagged = _metric_sum(metrics, "conduct_jobs_total", job="assess", result="flagged")
    tickets = state["tickets"].values() if isinstance(state["tickets"], dict) else state["tickets"]
    lines = [
        "",
        "Conduct Guard demo report",
        "=========================",
        f"customer messages sent            {stats.messages}",
        f"staff macros applied              {stats.macros}",
        f"webhook deliveries by status      {dict(sorted(stats.deliveries.items()))}",
        f"messages flagged                  {flagged:.0f}",
        f"actions written to the helpdesk   "
        f"{_metric_sum(metrics, 'conduct_actions_written_total'):.0f}",
        f"vendor API calls (all / writes)   {len(calls)} / {len(writes)}",
        f"queues drained                    {'yes' if drained else 'NO'}",
        f"replay to drained                 {replay_seconds:.1f} s",
        f"total time                        {time.monotonic() - started:.1f} s",
        "",
        "Tickets as the helpdesk shows them:",
    ]
    for ticket in tickets:
        tags = [t for t in ticket.get("tags", []) if t.startswith("conduct_")]
        notes = sum(1 for c in ticket.get("comments", []) if not c.get("public", True))
        lines.append(
            f"  #{ticket['id']:<4} {ticket.get('subject', '')[:34]:<34} "
            f"tags={','.join(tags) or '-'} internal_notes={notes} "
            f"priority={ticket.get('priority') or '-'}"
        )
    return "\n".join(lines)
