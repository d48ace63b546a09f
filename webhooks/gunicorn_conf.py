"""gunicorn settings used by `conduct serve` (read by gunicorn with `-c`)."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

accesslog = None  # the app logs its own outcomes as JSON; no per-request access log lines
keepalive = 5
timeout = 30
graceful_timeout = 10


def child_exit(server: Any, worker: Any) -> None:
    """Multiprocess metrics: a dead worker's live gauges are dropped, its counters kept."""
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
