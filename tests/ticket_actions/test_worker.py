from __future__ import annotations

from datetime import datetime
from typing import Any

import redis

from integration.actions import AddTags
from integration.helpdesk import TransientVendorError
from ticket_actions import batches
from ticket_actions.worker import is_drained, make_worker, work_until_drained


def test_burst_waits_for_delayed_jobs_until_drained(redis_conn: redis.Redis, helpdesk: Any) -> None:
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=1))
    batches.submit(redis_conn, "zendesk", [AddTags("5", ("conduct_flagged",))])
    assert work_until_drained(redis_conn, timeout=20)
    assert helpdesk.batches == [[AddTags("5", ("conduct_flagged",))]]
    assert is_drained(redis_conn)


def test_sweep_runs_at_most_once_a_minute_across_workers(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    calls: list[datetime] = []
    first, second = make_worker(redis_conn, calls.append), make_worker(redis_conn, calls.append)
    assert first.maybe_sweep() is True
    assert second.maybe_sweep() is False
    assert first.maybe_sweep() is False
    assert len(calls) == 1
    assert 55 <= redis_conn.ttl("conduct:sweep:last") <= 60


def test_a_failing_sweep_does_not_stop_the_worker(redis_conn: redis.Redis, helpdesk: Any) -> None:
    def broken(now: datetime) -> None:
        raise RuntimeError("boom")

    batches.submit(redis_conn, "zendesk", [AddTags("6", ("x",))])
    make_worker(redis_conn, broken).work(burst=True, logging_level="WARNING")
    assert helpdesk.batches == [[AddTags("6", ("x",))]]
