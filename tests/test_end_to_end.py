"""One message the whole way, for real: the sandbox delivers a signed webhook to the web tier
(a real HTTP server), the web tier queues `assess` in a real Redis, a real RQ worker runs
`assess` and `apply`, and the adapter writes to the sandbox through its Zendesk API paths.
Everything is read back through the sandbox's own controls (`/_sandbox/state`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from werkzeug.serving import BaseWSGIServer, make_server

from config.settings import Settings
from integration.sandbox.server import RunningSandbox, start_sandbox
from ticket_actions.runtime import Runtime, set_runtime
from ticket_actions.worker import is_drained, work_until_drained
from webhooks.app import create_app

SECRET = "e2e-signing-secret"


@dataclass
class Stack:
    sandbox: RunningSandbox
    web: BaseWSGIServer
    connection: redis.Redis

    def control(self, method: str, path: str, **body: Any) -> dict[str, Any]:
        response = requests.request(method, f"{self.sandbox.url}/_sandbox{path}", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        tickets = self.control("GET", "/state")["tickets"]
        found = (
            tickets[str(ticket_id)]
            if isinstance(tickets, dict)
            else next(t for t in tickets if t["id"] == ticket_id)
        )
        return dict(found)

    def writes(self) -> list[dict[str, Any]]:
        calls = self.control("GET", "/state")["calls"]
        return [
            c for c in calls if c["method"] in ("PUT", "POST") and c["path"].startswith("/api/")
        ]


@pytest.fixture
def stack(redis_url: str, redis_conn: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    web_server: BaseWSGIServer | None = None
    sandbox = start_sandbox({"webhook_secret": SECRET})
    try:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            redis_url=redis_url,
            conduct_data_dir=tmp_path,
            zendesk_subdomain="sandbox",
            zendesk_email="conduct-guard@example.com",
            zendesk_api_token="sandbox-token",
            zendesk_webhook_secret=SECRET,
            zendesk_api_url=sandbox.url,
        )
        web_server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        threading.Thread(target=web_server.serve_forever, daemon=True).start()
        webhook_url = f"http://127.0.0.1:{web_server.server_port}/webhooks/zendesk"
        requests.post(f"{sandbox.url}/_sandbox/config", json={"webhook_url": webhook_url})
        set_runtime(Runtime(settings, redis_conn))
        yield Stack(sandbox, web_server, redis_conn)
    finally:
        set_runtime(None)
        if web_server is not None:
            web_server.shutdown()
        sandbox.stop()


def open_ticket(stack: Stack, body: str, channel: str = "email") -> dict[str, Any]:
    return stack.control(
        "POST",
        "/tickets",
        requester={"name": "Pat Example", "email": "pat@example.org"},
        subject="Order problem",
        body=body,
        channel=channel,
    )


def test_an_abusive_message_is_tagged_and_noted_in_the_helpdesk(stack: Stack) -> None:
    opened = open_ticket(stack, "You are a useless idiot and a liar, sort my order out.")
    assert 202 in opened["deliveries"]  # the signed webhook was verified and queued
    assert not is_drained(stack.connection)
    assert work_until_drained(stack.connection, timeout=30)
    ticket = stack.ticket(opened["ticket"]["id"])
    assert {"conduct_flagged", "conduct_insult"} <= set(ticket["tags"])
    notes = [c for c in ticket["comments"] if not c["public"]]
    assert len(notes) == 1
    assert "idiot" in notes[0]["body"]  # the evidence is quoted for the agent
    ticket_writes = [w for w in stack.writes() if w["path"].startswith("/api/v2/tickets/")]
    assert len(ticket_writes) == 1  # tags and note in one update


def test_an_acceptable_message_costs_no_vendor_call(stack: Stack) -> None:
    opened = open_ticket(stack, "Hello, my parcel has not arrived yet, could you check please?")
    assert 202 in opened["deliveries"]
    assert work_until_drained(stack.connection, timeout=30)
    assert stack.writes() == []
    assert not any(t.startswith("conduct_") for t in stack.ticket(opened["ticket"]["id"])["tags"])
