from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from config.settings import Settings
from ticket_actions.health import mark_policy_degraded
from webhooks.app import create_app


def make_settings(redis_url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(redis_url=redis_url, conduct_data_dir=tmp_path, _env_file=None, **extra)  # type: ignore[call-arg]


def test_healthz_ok_when_redis_answers(redis_url: str, tmp_path: Path) -> None:
    client = create_app(make_settings(redis_url, tmp_path)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "redis": "ok", "policy": "ok"}


def test_healthz_503_with_a_reason_when_redis_is_down(tmp_path: Path) -> None:
    down = f"unix://{tmp_path}/nothing-here.sock"
    client = create_app(make_settings(down, tmp_path)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["reason"].startswith("redis:")


def test_healthz_reports_a_degraded_policy(redis_url: str, tmp_path: Path) -> None:
    mark_policy_degraded(redis.Redis.from_url(redis_url), "group 'Supervisors' not found")
    response = create_app(make_settings(redis_url, tmp_path)).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert "Supervisors" in response.json["policy"]


def test_version_reports_app_and_model(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model_card.json").write_text(json.dumps({"model_version": "m-42"}))
    app = create_app(make_settings(redis_url, tmp_path, conduct_model=tmp_path / "model"))
    response = app.test_client().get("/version")
    assert response.status_code == 200
    assert response.json["model"] == "m-42"
    assert response.json["app"]


def test_metrics_exposes_project_counters(redis_url: str, tmp_path: Path) -> None:
    from config.metrics import JOBS

    JOBS.labels("assess", "clean").inc()
    response = create_app(make_settings(redis_url, tmp_path)).test_client().get("/metrics")
    assert response.status_code == 200
    assert 'conduct_jobs_total{job="assess",result="clean"}' in response.text


@pytest.mark.parametrize("path", ["/nope", "/webhooks/unknown"])
def test_unknown_paths_answer_json_404(redis_url: str, tmp_path: Path, path: str) -> None:
    response = create_app(make_settings(redis_url, tmp_path)).test_client().post(path)
    assert response.status_code == 404
    assert response.json == {"error": "not found"}
