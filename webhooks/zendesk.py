"""`POST /webhooks/zendesk`: guard clauses in order, one status each, then enqueue `assess`.

| guard                                                     | status | outcome (metric, log key) |
|-----------------------------------------------------------|--------|---------------------------|
| body over 1 MiB                                           | 413    | too-large                 |
| signature headers missing                                 | 401    | missing-signature         |
| signature matches no configured secret                    | 401    | bad-signature             |
| timestamp outside the replay window (or not ISO-8601)     | 401    | stale-timestamp           |
| signed with Zendesk's static test secret                  | 200    | test (`{"test": true}`)   |
| not JSON, or not the documented shape                     | 400    | bad-request               |
| event type we neither map nor ignore                      | 204    | unknown-type (warning)    |
| known but ignored (ignore list, staff author, agent user) | 200    | ignored                   |
| redelivery of an id already accepted (7 days)             | 200    | duplicate                 |
| queued                                                    | 202    | accepted                  |
| Redis unreachable                                         | 503    | unavailable (retry later) |

Authenticity is checked on the raw bytes before anything parses them. Never a 500: the view
maps every failure to one of the statuses above, and the blueprint's error handlers catch what
escapes. Logs carry the event type, ids and the outcome, never text, e-mail addresses or
secrets. The web tier never calls Zendesk and never loads the classifier.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import redis
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from config.metrics import WEBHOOK_SECONDS, WEBHOOKS
from config.settings import Settings
from integration.zendesk.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, Authenticity, verify
from integration.zendesk.payload import Delivery, PayloadError, parse_delivery
from webhooks.dedupe import enqueue_assess_once

VENDOR = "zendesk"
MAX_BODY = 1024 * 1024  # bytes; Zendesk's own payloads are a few KiB
RETRY_AFTER = "30"  # seconds, on 503

log = logging.getLogger(__name__)
bp = Blueprint("zendesk_webhooks", __name__)


@dataclass
class Answer:
    status: int
    outcome: str
    body: dict[str, Any] | None = None
    level: int = logging.INFO
    ids: dict[str, Any] = field(default_factory=dict)


_UNAUTHORIZED = {"error": "unauthorized"}


@bp.post("/webhooks/zendesk")
def receive() -> Response:
    started = time.perf_counter()
    try:
        answer = _guards()
    except (redis.RedisError, OSError) as exc:
        answer = Answer(503, "unavailable", {"error": "temporarily unavailable"}, logging.ERROR)
        answer.ids["error"] = type(exc).__name__
    _record(answer)
    _SECONDS.observe(time.perf_counter() - started)
    return _respond(answer)


def _guards() -> Answer:
    if (request.content_length or 0) > MAX_BODY:
        return _too_large()
    # A chunked body has no Content-Length up front. Werkzeug stops reading it quietly at the
    # limit (gunicorn sets `wsgi.input_terminated`), so read one byte past the limit and
    # measure: a body cut at exactly MAX_BODY would otherwise fail its signature (401).
    request.max_content_length = MAX_BODY + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large()
    if len(raw) > MAX_BODY:
        return _too_large()

    settings: Settings = current_app.config["CONDUCT_SETTINGS"]
    headers = {
        name: value
        for name in (SIGNATURE_HEADER, TIMESTAMP_HEADER)
        if (value := request.headers.get(name)) is not None
    }
    authenticity = verify(
        headers,
        raw,
        settings.zendesk_webhook_secrets,
        replay_window=settings.conduct_webhook_replay_window,
    )
    if authenticity is Authenticity.TEST:
        return Answer(200, "test", {"test": True})
    if authenticity is not Authenticity.VALID:
        return Answer(401, authenticity.value, _UNAUTHORIZED, logging.WARNING)

    try:
        body = orjson.loads(raw)  # ~3× faster than `json.loads` on a delivery
    except orjson.JSONDecodeError:  # also invalid UTF-8, NaN, integers beyond 64 bits
        return Answer(400, "bad-request", {"error": "body is not JSON"}, logging.WARNING)
    try:
        delivery = parse_delivery(body, received_at=datetime.now(UTC))
    except PayloadError as exc:
        return Answer(400, "bad-request", {"error": str(exc)}, logging.WARNING)
    return _dispatch(delivery)


def _too_large() -> Answer:
    return Answer(413, "too-large", {"error": "payload too large"}, logging.WARNING)


def _dispatch(delivery: Delivery) -> Answer:
    ids: dict[str, Any] = {"event_type": delivery.event_type, "delivery_id": delivery.delivery_id}
    if delivery.outcome == "unknown":
        return Answer(204, "unknown-type", None, logging.WARNING, ids)
    if delivery.outcome == "ignored" or delivery.event is None or not delivery.delivery_id:
        ids["reason"] = delivery.reason
        return Answer(200, "ignored", {"status": "ignored", "reason": delivery.reason}, ids=ids)
    event = delivery.event
    ids.update(event_id=event.event_id, ticket_id=event.ticket_id, kind=event.kind)
    connection: redis.Redis = current_app.extensions["conduct_redis"]
    # One round trip: the id recorded for 7 days and the `assess` job queued, or neither.
    job_id = enqueue_assess_once(connection, VENDOR, delivery.delivery_id, event.to_dict())
    if job_id is None:
        return Answer(200, "duplicate", {"status": "duplicate"}, ids=ids)
    ids["job_id"] = job_id
    return Answer(202, "accepted", _QUEUED, ids=ids)


@lru_cache(maxsize=32)
def _outcome_counter(outcome: str) -> Any:
    """The labelled child, looked up once per outcome (`labels()` costs more than `inc()`)."""
    return WEBHOOKS.labels(VENDOR, outcome)


_SECONDS = WEBHOOK_SECONDS.labels(VENDOR)


def _record(answer: Answer) -> None:
    _outcome_counter(answer.outcome).inc()
    if log.isEnabledFor(answer.level):
        extra = {key: value for key, value in answer.ids.items() if value is not None}
        log.log(
            answer.level,
            f"zendesk.webhook.{answer.outcome}",
            extra={"outcome": answer.outcome, **extra},
        )


def _respond(answer: Answer) -> Response:
    if answer.body is None:
        response = Response(status=answer.status)
    else:
        body = _json(answer.body)
        response = Response(body, answer.status, mimetype="application/json")
    if answer.status == 503:
        response.headers["Retry-After"] = RETRY_AFTER
    return response


_QUEUED = {"status": "queued"}
_QUEUED_JSON = json.dumps(_QUEUED, separators=(",", ":"))


def _json(body: dict[str, Any]) -> str:
    if body is _QUEUED:  # the common answer, serialised once
        return _QUEUED_JSON
    return json.dumps(body, separators=(",", ":"))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 503
    answer = Answer(
        code if code < 500 else 503, "error", {"error": exc.name.lower()}, logging.WARNING
    )
    _record(answer)
    return _respond(answer)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("zendesk.webhook.error", extra={"error": type(exc).__name__})
    answer = Answer(503, "error", {"error": "temporarily unavailable"}, logging.NOTSET)
    _outcome_counter(answer.outcome).inc()
    return _respond(answer)
