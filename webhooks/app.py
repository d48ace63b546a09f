"""`create_app(settings)`: the web tier. Health, version and metrics here; one blueprint per
vendor (registered only when that vendor is configured) receives webhooks.

The web tier never calls a vendor and never loads the classifier: it verifies, parses, dedupes
and enqueues, then answers.
"""

from __future__ import annotations

import json
import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import redis
from flask import Flask, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from werkzeug.exceptions import HTTPException

from config.metrics import registry_for_scrape
from config.redis_server import redis_url_for
from config.settings import Settings, load_settings
from ticket_actions.health import policy_degraded

log = logging.getLogger(__name__)


def app_version() -> str:
    try:
        return version("conduct-guard")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def model_version(model_dir: Path) -> str:
    """The shipped model's version from its card, without loading the model."""
    try:
        card = json.loads((model_dir / "model_card.json").read_text())
        return str(card.get("model_version") or card.get("version") or "unknown")
    except (OSError, ValueError):
        return "unavailable"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["CONDUCT_SETTINGS"] = settings
    app.extensions["conduct_redis"] = redis.Redis.from_url(
        redis_url_for(settings), socket_timeout=2, socket_connect_timeout=1
    )
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/version", "version", version_info)
    app.add_url_rule("/metrics", "metrics", metrics)
    if settings.zendesk_enabled:
        from webhooks.zendesk import bp as zendesk_bp

        app.register_blueprint(zendesk_bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def healthz() -> tuple[Response, int]:
    connection: redis.Redis = current_app.extensions["conduct_redis"]
    try:
        connection.ping()
    except (redis.RedisError, OSError) as exc:
        return jsonify(status="unavailable", reason=f"redis: {type(exc).__name__}"), 503
    body: dict[str, Any] = {"status": "ok", "redis": "ok", "policy": "ok"}
    degraded = policy_degraded(connection)
    if degraded:
        body.update(status="degraded", policy=f"degraded: {degraded}")
    return jsonify(body), 200


def version_info() -> Response:
    settings: Settings = current_app.config["CONDUCT_SETTINGS"]
    return jsonify(app=app_version(), model=model_version(settings.conduct_model))


def metrics() -> Response:
    registry = registry_for_scrape() or REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    return jsonify(error=exc.name.lower()), exc.code or 500


def _unexpected_error(exc: Exception) -> tuple[Response, int]:
    log.exception("webhooks.unexpected-error", extra={"error": type(exc).__name__})
    return jsonify(error="internal error"), 500
