from __future__ import annotations

import os

import pytest

from webhooks import workers
from webhooks.workers import default_workers


def test_two_workers_per_core_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)  # the affinity mask wins over the host
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert default_workers() == 6


def test_at_least_two_workers_even_with_no_core_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: set(), raising=False)
    assert default_workers() == 2
