from __future__ import annotations

import time
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


def test_only_a_long_running_worker_listens_for_commands_and_it_stops_at_once(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    # A burst run drains and stops: no listener. A long-running worker's listener stops within
    # about a second (RQ's own took up to 60 s with redis-py 8.2: `ConductWorker.subscribe`).
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("x",))])
    burst = make_worker(redis_conn)
    burst.work(burst=True, logging_level="WARNING")
    assert burst.pubsub_thread is None
    assert helpdesk.batches == [[AddTags("7", ("x",))]]
    steady = make_worker(redis_conn)
    steady.subscribe()
    assert steady.pubsub_thread is not None
    assert steady.pubsub.subscribed_event.wait(5)
    started = time.monotonic()
    steady.unsubscribe()
    assert time.monotonic() - started < 5
    assert not steady.pubsub_thread.is_alive()
