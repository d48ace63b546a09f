"""Prometheus metrics shared by every process (gunicorn workers, RQ workers, the CLI).

Multiprocess mode: `conduct serve` and `conduct worker` set `PROMETHEUS_MULTIPROC_DIR` before
anything imports prometheus_client, so `/metrics` sums counters written by all processes.
Labels never carry customer data: vendor, outcome, job name, action kind, HTTP status.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

WEBHOOKS = Counter(
    "conduct_webhooks_total", "Webhook deliveries by vendor and outcome", ["vendor", "outcome"]
)
JOBS = Counter("conduct_jobs_total", "Jobs run by name and result", ["job", "result"])
ACTIONS_WRITTEN = Counter(
    "conduct_actions_written_total", "Actions written to a helpdesk", ["vendor", "kind"]
)
VENDOR_CALLS = Counter(
    "conduct_vendor_calls_total", "HTTP calls to a vendor API by status", ["vendor", "status"]
)
WEBHOOK_SECONDS = Histogram(
    "conduct_webhook_seconds",
    "Time to answer a webhook delivery",
    ["vendor"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0),
)


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def registry_for_scrape() -> CollectorRegistry | None:
    """A registry that sums every process's files, or None to use the default registry."""
    if multiprocess_dir() is None:
        return None
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
