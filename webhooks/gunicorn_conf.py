"""gunicorn settings used by `conduct serve` (read by gunicorn with `-c`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

accesslog = None  # the app logs its own outcomes as JSON; no per-request access log lines
keepalive = 5
timeout = 30
graceful_timeout = 10


def post_worker_init(worker: Any) -> None:
    """JSON logs at `CONDUCT_LOG_LEVEL` in each worker, once the app is loaded. Without this
    nothing configures logging under gunicorn: INFO outcomes were dropped and warnings went out
    as bare text without their ids. (Apps without Conduct settings, such as the benchmark's
    bare baseline, are left as they are.)"""
    settings = getattr(worker.wsgi, "config", {}).get("CONDUCT_SETTINGS")
    if settings is not None:
        from config.logging import configure_logging

        configure_logging(settings.conduct_log_level)


def child_exit(server: Any, worker: Any) -> None:
    """Multiprocess metrics: a dead worker's live gauges are dropped, its counters kept."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
