"""The world the end-to-end scenario tests drive: the sandbox helpdesk, the real web tier (in a
thread), the real worker (RQ, in this process), real Redis and the Zendesk adapter.

Customers, agents and managers act through `SandboxClient` (the sandbox's own controls, strict:
every webhook delivery must be accepted); every check reads the helpdesk back over HTTP. Each
`settle` records the vendor calls that step cost, so tests assert costs as facts.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from werkzeug.serving import make_server

from config.settings import Settings
from integration.sandbox.client import SandboxClient
from integration.sandbox.server import RunningSandbox, start_sandbox
from ticket_actions import store
from ticket_actions.record import ConductRecord
from ticket_actions.runtime import Runtime, set_runtime
from ticket_actions.worker import is_drained, work_until_drained
from webhooks.app import create_app

CUSTOMER = 360500000101  # Alex Customer, Harbour Freight Ltd (seed)


@dataclass
class Hook:
    """What the alert webhook received."""

    bodies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class World:
    sandbox: RunningSandbox
    helpdesk: SandboxClient
    redis: redis.Redis
    hook: Hook
    steps: list[tuple[str, list[str]]] = field(default_factory=list)
    _seen_calls: int = 0

    def settle(self, label: str) -> list[str]:
        """Work until drained, including the events the plugin's own writes cause; the vendor
        calls this step made, ids replaced by `{id}`."""
        for _ in range(20):
            assert work_until_drained(self.redis, timeout=60)
            self.helpdesk.state()  # flushes the sandbox's background deliveries
            if is_drained(self.redis):
                break
        calls = self.helpdesk.state()["calls"]
        made = [f"{c['method']} {re.sub(r'/[0-9]+', '/{id}', c['path'])}"
                for c in calls[self._seen_calls :]]  # fmt: skip
        self._seen_calls = len(calls)
        self.steps.append((label, made))
        return made

    # -- people at the helpdesk --------------------------------------------------------------
    def open_ticket(self, body: str, requester: int = CUSTOMER, channel: str = "email") -> int:
        answer = self.helpdesk.open_ticket(body, requester_id=requester, channel=channel)
        return int(answer["ticket"]["id"])

    def reply(self, ticket: int, body: str, author: int = CUSTOMER) -> None:
        self.helpdesk.comment(ticket, author, body)

    def apply_macro(self, ticket: int, title: str, agent: int) -> None:
        self.helpdesk.apply_macro(ticket, self.helpdesk.macro_id(title), agent)

    # -- reading the helpdesk and the plugin's store --------------------------------------------
    def state(self) -> dict[str, Any]:
        return self.helpdesk.state()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return self.helpdesk.ticket(ticket_id)

    def user(self, user_id: int = CUSTOMER) -> dict[str, Any]:
        return self.helpdesk.user(user_id)

    def group(self, name: str) -> int:
        return self.helpdesk.group(name)

    def notes(self, ticket_id: int) -> list[str]:
        return self.helpdesk.comments_by_plugin(ticket_id, public=False)

    def public_by_plugin(self, ticket_id: int) -> list[str]:
        return self.helpdesk.comments_by_plugin(ticket_id, public=True)

    def record(self, user_id: int = CUSTOMER) -> ConductRecord:
        return store.load_record(self.redis, f"zendesk:{user_id}")

    def stage(self, user_id: int = CUSTOMER) -> str:
        return self.record(user_id).stage


def scenario_settings(
    redis_url: str, tmp_path: Path, policy: Path, secret: str, **values: Any
) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=redis_url,
        conduct_data_dir=tmp_path,
        conduct_policy=policy,
        zendesk_subdomain="sandbox",
        zendesk_email="conduct-guard@example.com",
        zendesk_api_token="sandbox-token",
        zendesk_webhook_secret=secret,
        **values,
    )


def _serve_hook(hook: Hook) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def scenario_world(redis_url: str, tmp_path: Path, policy: Path, secret: str) -> Iterator[World]:
    """Start the web tier, the sandbox (delivering signed webhooks to it) and an alert hook;
    install the worker runtime; stop everything afterwards."""
    hook = Hook()
    hook_server = _serve_hook(hook)
    hook_url = f"http://127.0.0.1:{hook_server.server_address[1]}/alert"
    web_app = create_app(scenario_settings(redis_url, tmp_path, policy, secret))
    web = make_server("127.0.0.1", 0, web_app, threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    sandbox = start_sandbox(
        {
            "webhook_url": f"http://127.0.0.1:{web.server_port}/webhooks/zendesk",
            "webhook_secret": secret,
        }
    )
    settings = scenario_settings(redis_url, tmp_path, policy, secret,
                                 zendesk_api_url=sandbox.url,
                                 conduct_alert_webhook_url=hook_url)  # fmt: skip
    connection = redis.Redis.from_url(redis_url)
    set_runtime(Runtime(settings, connection))
    try:
        yield World(sandbox, SandboxClient(sandbox.url, strict=True, timeout=10), connection, hook)
    finally:
        set_runtime(None)
        sandbox.stop()
        web.shutdown()
        hook_server.shutdown()
