"""`POST /webhooks/zendesk` through the real app factory, a real Redis and RQ queue.

One test per status; every delivery is signed with `signed_headers` (verification stays on).
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from config.settings import Settings
from integration.events import Event
from integration.zendesk.auth import TEST_SECRET, signature, signed_headers
from ticket_actions.queues import ASSESS_JOB, queue
from webhooks.app import create_app
from webhooks.dedupe import DEDUPE_TTL, dedupe_key

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "zendesk"
URL = "/webhooks/zendesk"
SECRETS = "old-secret, new-secret"


def settings(redis_url: str, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "conduct_data_dir": tmp_path,
        "zendesk_subdomain": "acme",
        "zendesk_email": "bot@example.com",
        "zendesk_api_token": "token",
        "zendesk_webhook_secret": SECRETS,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def client(redis_url: str, tmp_path: Path) -> Iterator[FlaskClient]:
    yield create_app(settings(redis_url, tmp_path)).test_client()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def post(client: FlaskClient, body: bytes, secret: str = "new-secret", **kw: Any) -> Any:
    return client.post(URL, data=body, headers=signed_headers(secret, body, **kw))


def queued(redis_conn: redis.Redis) -> list[dict[str, Any]]:
    jobs = queue(redis_conn).jobs
    assert all(job.func_name == ASSESS_JOB for job in jobs)
    return [job.args[0] for job in jobs]


def outcome_count(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "conduct_webhooks_total", {"vendor": "zendesk", "outcome": outcome}
    )
    return value or 0.0


# -- 202 ---------------------------------------------------------------------------------------
def test_accepted_delivery_is_queued_as_the_event(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    before = outcome_count("accepted")
    response = post(client, fixture_bytes("ticket.comment_added__customer"))
    assert response.status_code == 202
    assert response.json == {"status": "queued"}
    [event] = queued(redis_conn)
    restored = Event.from_dict(event)
    assert restored.event_id == "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52"
    assert (restored.ticket_id, restored.message_id) == ("5158", "9876543210")
    assert restored.text == "This is the third time I have asked. Where is my refund?"
    assert outcome_count("accepted") == before + 1
    key = dedupe_key("zendesk", "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52")
    assert DEDUPE_TTL - 5 < redis_conn.ttl(key) <= DEDUPE_TTL


def test_rotation_accepts_both_secrets(client: FlaskClient, redis_conn: redis.Redis) -> None:
    assert (
        post(client, fixture_bytes("ticket.comment_added__customer"), "old-secret").status_code
        == 202
    )
    assert post(client, fixture_bytes("ticket.created__web"), "new-secret").status_code == 202
    assert len(queued(redis_conn)) == 2


# -- 200 duplicate -----------------------------------------------------------------------------
def test_duplicate_is_answered_200_and_not_queued_again(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    body = fixture_bytes("messaging_ticket.message_added__end_user")
    assert post(client, body).status_code == 202
    again = post(client, body, "old-secret")  # a redelivery, freshly signed
    assert again.status_code == 200
    assert again.json == {"status": "duplicate"}
    assert len(queued(redis_conn)) == 1


# -- 413 ---------------------------------------------------------------------------------------
def test_body_over_one_mebibyte_is_413(client: FlaskClient, redis_conn: redis.Redis) -> None:
    body = b'{"type": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(client, body)
    assert response.status_code == 413
    assert response.json == {"error": "payload too large"}
    assert queued(redis_conn) == []


def post_chunked(client: FlaskClient, body: bytes) -> Any:
    """No Content-Length; gunicorn marks a chunked stream terminated."""
    return client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={**signed_headers("new-secret", body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 2 * 1024 * 1024])
def test_chunked_body_over_one_mebibyte_is_413(
    client: FlaskClient, redis_conn: redis.Redis, size: int
) -> None:
    body = b'{"type": "' + b"x" * (size - 12) + b'"}'
    assert len(body) == size
    response = post_chunked(client, body)
    assert response.status_code == 413
    assert response.json == {"error": "payload too large"}
    assert queued(redis_conn) == []


def test_chunked_body_under_the_limit_is_read(client: FlaskClient, redis_conn: redis.Redis) -> None:
    response = post_chunked(client, fixture_bytes("ticket.comment_added__customer"))
    assert response.status_code == 202
    assert len(queued(redis_conn)) == 1


def test_body_of_exactly_one_mebibyte_is_read(client: FlaskClient) -> None:
    prefix = b'{"type": "zen:event-type:ticket.teleported", "pad": "'
    body = prefix + b"x" * (1024 * 1024 - len(prefix) - 2) + b'"}'
    assert len(body) == 1024 * 1024
    assert post(client, body).status_code == 204


# -- 401 ---------------------------------------------------------------------------------------
def test_missing_signature_is_401(client: FlaskClient, redis_conn: redis.Redis) -> None:
    body = fixture_bytes("ticket.comment_added__customer")
    response = client.post(URL, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json == {"error": "unauthorized"}
    assert queued(redis_conn) == []


def test_wrong_secret_is_401(client: FlaskClient, redis_conn: redis.Redis) -> None:
    before = outcome_count("bad-signature")
    assert post(client, fixture_bytes("ticket.comment_added__customer"), "guess").status_code == 401
    assert outcome_count("bad-signature") == before + 1
    assert queued(redis_conn) == []


def test_tampered_body_is_401(client: FlaskClient) -> None:
    body = fixture_bytes("ticket.comment_added__customer")
    headers = signed_headers("new-secret", body)
    response = client.post(URL, data=body.replace(b"refund", b"REFUND"), headers=headers)
    assert response.status_code == 401


def test_stale_timestamp_is_401(client: FlaskClient, redis_conn: redis.Redis) -> None:
    old = datetime.now(UTC) - timedelta(seconds=301)
    response = post(client, fixture_bytes("ticket.comment_added__customer"), timestamp=old)
    assert response.status_code == 401
    assert queued(redis_conn) == []


def test_replay_window_comes_from_settings(redis_url: str, tmp_path: Path) -> None:
    client = create_app(
        settings(redis_url, tmp_path, conduct_webhook_replay_window=30)
    ).test_client()
    body = fixture_bytes("ticket.comment_added__customer")
    assert (
        post(client, body, timestamp=datetime.now(UTC) - timedelta(seconds=60)).status_code == 401
    )
    assert (
        post(client, body, timestamp=datetime.now(UTC) - timedelta(seconds=10)).status_code == 202
    )


# -- 200 test ----------------------------------------------------------------------------------
def test_static_test_secret_is_answered_and_never_queued(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    response = post(client, fixture_bytes("ticket.comment_added__customer"), TEST_SECRET)
    assert response.status_code == 200
    assert response.json == {"test": True}
    assert queued(redis_conn) == []
    assert redis_conn.keys("conduct:dedupe:*") == []


# -- 400 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"ticket_id=5158", "body is not JSON"),
        (b"\xff\xfe{", "body is not JSON"),
        (b"[1, 2]", "the body must be a JSON object"),
        (b'{"id": "e1"}', "type is missing"),
        (
            b'{"type": "zen:event-type:ticket.comment_added", "id": "e1"}',
            "time is missing or not ISO-8601",
        ),
    ],
)
def test_not_json_or_wrong_shape_is_400(
    client: FlaskClient, redis_conn: redis.Redis, body: bytes, error: str
) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.json == {"error": error}
    assert queued(redis_conn) == []


def test_a_deeply_nested_field_value_is_400_not_503(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    """Deeper than the job's JSON encoder goes: refused as a wrong shape, not retried for ever."""
    body = json.loads(fixture_bytes("user.custom_field_changed__conduct_stage"))
    nested: Any = "x"
    for _ in range(300):
        nested = [nested]
    body["event"]["current"] = nested
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 400
    assert response.json == {"error": "current must be a value or a list of values"}
    assert queued(redis_conn) == []


def test_a_multi_select_field_value_is_accepted(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    body = json.loads(fixture_bytes("user.custom_field_changed__conduct_stage"))
    body["event"]["current"] = ["email_only", "named_officer"]
    assert post(client, json.dumps(body).encode()).status_code == 202
    [event] = queued(redis_conn)
    assert event["fields"]["current"] == ["email_only", "named_officer"]


# -- 204 ---------------------------------------------------------------------------------------
def test_unknown_type_is_204_with_a_warning(
    client: FlaskClient, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="webhooks.zendesk")
    response = post(client, fixture_bytes("unknown__made_up"))
    assert response.status_code == 204
    assert response.data == b""
    assert queued(redis_conn) == []
    [record] = [r for r in caplog.records if r.getMessage() == "zendesk.webhook.unknown-type"]
    assert record.levelno == logging.WARNING
    assert record.__dict__["event_type"] == "zen:event-type:ticket.teleported"


# -- 200 ignored -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ticket.status_changed__ignored", "ignore-list"),
        ("ticket.comment_added__staff", "staff-author"),
        ("messaging_ticket.message_added__agent", "actor-agent"),
    ],
)
def test_known_but_ignored_is_200_and_not_queued(
    client: FlaskClient, redis_conn: redis.Redis, name: str, reason: str
) -> None:
    response = post(client, fixture_bytes(name))
    assert response.status_code == 200
    assert response.json == {"status": "ignored", "reason": reason}
    assert queued(redis_conn) == []


# -- the documented trigger body -----------------------------------------------------------------
PLACEHOLDER_VALUES = {
    "ticket.id": "5158",
    "ticket.latest_comment.id": "9876545000",
    "ticket.latest_comment.author.id": "8447388090494",
    "ticket.requester.id": "8447388090494",
    "ticket.organization.id": "8447346622462",
    "ticket.via": "Mail",
    "ticket.updated_at_with_timestamp": "2025-01-09T08:00:00Z",
    "ticket.title": "Order never arrived",
    "ticket.latest_comment.value": 'Still nothing. "Investigating" for a week?\nFix it.',
}


def documented_trigger_body() -> str:
    doc = (ROOT / "docs" / "zendesk-webhooks.md").read_text()
    block = re.search(
        r"<!-- trigger-body:start -->\s*```json\n(.*?)```\s*<!-- trigger-body:end -->", doc, re.S
    )
    assert block, "docs/zendesk-webhooks.md lost its trigger body markers"
    return block.group(1)


def render(template: str) -> bytes:
    """Fill placeholders as Zendesk does for a JSON body (values JSON-escaped: [U])."""

    def value(match: re.Match[str]) -> str:
        return json.dumps(PLACEHOLDER_VALUES[match.group(1)])[1:-1]

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", value, template).encode()


def test_documented_trigger_body_renders_to_the_fixture() -> None:
    rendered = json.loads(render(documented_trigger_body()))
    assert rendered == json.loads(fixture_bytes("trigger.comment_added__recommended"))


def test_documented_trigger_body_is_accepted_and_queued(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    body = render(documented_trigger_body())
    response = post(client, body)
    assert response.status_code == 202
    [event] = queued(redis_conn)
    assert (event["event_id"], event["ticket_id"], event["message_id"]) == (
        "trigger:5158:9876545000",
        "5158",
        "9876545000",
    )
    assert event["text"] == 'Still nothing. "Investigating" for a week?\nFix it.'
    # Zendesk retrying the same trigger invocation: same ids → duplicate.
    assert post(client, body).status_code == 200
    assert len(queued(redis_conn)) == 1


# -- never a 500 -------------------------------------------------------------------------------
def test_redis_down_is_503_with_retry_after(tmp_path: Path) -> None:
    down = f"unix://{tmp_path}/nothing-here.sock"
    client = create_app(settings(down, tmp_path)).test_client()
    response = post(client, fixture_bytes("ticket.comment_added__customer"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_a_dropped_redis_connection_is_reopened(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    first = fixture_bytes("ticket.comment_added__customer")
    assert post(client, first).status_code == 202
    # Redis restarted or a proxy dropped the link: the pool checks a connection before use, so
    # the next delivery still goes in (a pinned single connection answered 503 here).
    redis_conn.client_kill_filter(_type="normal", skipme=True)
    second = json.loads(first)
    second["id"] = "another-delivery"
    assert post(client, json.dumps(second).encode()).status_code == 202
    assert len(queued(redis_conn)) == 2


def test_redis_failure_while_queueing_is_503_and_the_retry_is_accepted(
    client: FlaskClient, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webhooks.zendesk as blueprint

    def broken(*args: Any) -> str:
        raise redis.ConnectionError("lost")

    body = fixture_bytes("ticket.comment_added__customer")
    monkeypatch.setattr(blueprint, "enqueue_assess_once", broken)
    response = post(client, body)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "30")
    monkeypatch.undo()
    assert post(client, body).status_code == 202  # Zendesk's retry goes through
    assert len(queued(redis_conn)) == 1


def test_unexpected_error_is_503_not_500(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webhooks.zendesk as blueprint

    def boom(body: Any, *, received_at: datetime) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(blueprint, "parse_delivery", boom)
    response = post(client, fixture_bytes("ticket.comment_added__customer"))
    assert response.status_code == 503
    assert response.json == {"error": "temporarily unavailable"}


# -- logs ----------------------------------------------------------------------------------------
def test_logs_carry_ids_and_outcome_never_text_emails_or_secrets(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post(client, fixture_bytes("ticket.comment_added__customer"))
    post(client, fixture_bytes("user.tags_changed__restriction_lifted"))
    post(client, fixture_bytes("ticket.comment_added__customer"), "guess")
    records = [r for r in caplog.records if r.name == "webhooks.zendesk"]
    assert [r.getMessage() for r in records] == [
        "zendesk.webhook.accepted",
        "zendesk.webhook.accepted",
        "zendesk.webhook.bad-signature",
    ]
    assert records[0].__dict__["ticket_id"] == "5158"
    assert records[0].__dict__["outcome"] == "accepted"
    dumped = " ".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    for secret_or_text in ("refund", "customer@example.com", "new-secret", "old-secret", "guess"):
        assert secret_or_text not in dumped


def test_delivery_with_zendesks_literal_header_names_is_accepted(
    client: FlaskClient, redis_conn: redis.Redis
) -> None:
    # The names and timestamp form Zendesk sends [S, VENDOR_API §1.5], spelled out here so a
    # typo in the module's constants cannot pass unnoticed.
    body = fixture_bytes("ticket.comment_added__customer")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "x-zendesk-webhook-signature": signature("old-secret", stamp, body),
        "x-zendesk-webhook-signature-timestamp": stamp,
        "Content-Type": "application/json",
    }
    assert client.post(URL, data=body, headers=headers).status_code == 202
