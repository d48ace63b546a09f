"""Safety alerts against a local HTTP server on 127.0.0.1: kind and link, never the words."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis

from config.settings import Settings
from ticket_actions import alerts
from ticket_actions.policy import AlertRequest
from ticket_actions.queues import URGENT_QUEUE, queue
from ticket_actions.runtime import Runtime, set_runtime

ALERT = AlertRequest("safety_incident", "zendesk", "123", "zendesk:42")


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.bodies.append(json.loads(self.rfile.read(length)))
            if state.delay:
                threading.Event().wait(state.delay)
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, redis_url="redis://unused", conduct_data_dir=tmp_path,
        zendesk_subdomain="acme", zendesk_email="bot@example.com",
        zendesk_api_token="t", zendesk_webhook_secret="s", **values,
    )  # fmt: skip


def test_alert_carries_kind_and_link_never_the_customers_words(
    hook: tuple[Hook, str], tmp_path: Path
) -> None:
    state, url = hook
    link = alerts.ticket_link(_settings(tmp_path), "zendesk", "123")
    assert link == "https://acme.zendesk.com/agent/tickets/123"
    alerts.send_alert(url, alerts.payload(ALERT, link), timeout=2)
    (body,) = state.bodies
    assert body["kind"] == "safety_incident" and body["link"] == link
    assert link in body["text"] and "Safety incident" in body["text"]
    assert set(body) == {"text", "kind", "vendor", "ticket_id", "link"}


def test_a_refusing_or_slow_webhook_raises_for_the_caller_to_retry(
    hook: tuple[Hook, str],
) -> None:
    state, url = hook
    state.status = 500
    with pytest.raises(alerts.AlertFailed, match="500"):
        alerts.send_alert(url, alerts.payload(ALERT, None), timeout=2)
    state.status, state.delay = 200, 0.5
    with pytest.raises(alerts.AlertFailed, match="unreachable"):
        alerts.send_alert(url, alerts.payload(ALERT, None), timeout=0.2)


def test_unreachable_webhook_raises() -> None:
    with pytest.raises(alerts.AlertFailed):
        alerts.send_alert("http://127.0.0.1:9/none", {"text": "x"}, timeout=0.5)


def test_the_alert_job_is_urgent_retried_and_posts_to_the_configured_url(
    hook: tuple[Hook, str], redis_conn: redis.Redis, tmp_path: Path
) -> None:
    state, url = hook
    set_runtime(Runtime(_settings(tmp_path, conduct_alert_webhook_url=url), redis_conn))
    try:
        job_id = alerts.queue_alert(redis_conn, alerts.payload(ALERT, None), 2.0)
        urgent = queue(redis_conn, URGENT_QUEUE)
        job = urgent.fetch_job(job_id)
        assert job is not None and job.retries_left == len(alerts.RETRY_INTERVALS)
        state.status = 503
        with pytest.raises(alerts.AlertFailed):
            alerts.deliver(*job.args)
        state.status = 204
        assert alerts.deliver(*job.args) == {"sent": True}
        assert len(state.bodies) == 2
    finally:
        set_runtime(None)
