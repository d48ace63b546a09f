"""The RQ worker over the project's queues (urgent first), the sweep hook and "drained".

**Drained** (DESIGN.md) means the queues and RQ's scheduled, deferred and started registries are
all empty. `work_until_drained` is what `conduct worker --burst`, `conduct demo` and the tests
use: it moves delayed jobs in as they come due and stops only when nothing is left anywhere.

The worker runs jobs in its own process (`SimpleWorker`): the classifier and the adapters are
loaded once per process instead of once per forked job, which is what keeps `assess` in
milliseconds. The sweep runs between jobs and while idle, at most once a minute across all
workers (a Redis key with a 60 s expiry).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer

from ticket_actions.queues import QUEUE_ORDER, queue

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60
SWEEP_KEY = "conduct:sweep:last"
COMMAND_LISTENER_WAKE_SECONDS = 1.0

Sweep = Callable[[datetime], Any]


def project_queues(connection: redis.Redis) -> list[Queue]:
    return [queue(connection, name) for name in QUEUE_ORDER]


def pending_counts(connection: redis.Redis) -> dict[str, int]:
    """Jobs per place that keeps the project from being drained."""
    counts: dict[str, int] = {}
    for q in project_queues(connection):
        counts[f"{q.name}:queued"] = q.count
        counts[f"{q.name}:scheduled"] = q.scheduled_job_registry.count
        counts[f"{q.name}:deferred"] = q.deferred_job_registry.count
        counts[f"{q.name}:started"] = q.started_job_registry.count
    return counts


def is_drained(connection: redis.Redis) -> bool:
    return not any(pending_counts(connection).values())


def enqueue_due_jobs(connection: redis.Redis, now: float | None = None) -> int:
    """Move scheduled jobs whose time has come onto their queues (what RQ's scheduler does)."""
    moved = 0
    timestamp = int(now if now is not None else time.time())
    for q in project_queues(connection):
        registry = q.scheduled_job_registry
        for job_id in registry.get_jobs_to_schedule(timestamp):
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            registry.remove(job)
            q.enqueue_job(job)
            moved += 1
    return moved


def next_due_in(connection: redis.Redis) -> float | None:
    """Seconds until the earliest scheduled job is due (None if none is scheduled)."""
    earliest: float | None = None
    for q in project_queues(connection):
        first = connection.zrange(q.scheduled_job_registry.key, 0, 0, withscores=True)
        if first:
            due = float(first[0][1])
            earliest = due if earliest is None else min(earliest, due)
    return None if earliest is None else max(0.0, earliest - time.time())


class ConductWorker(SimpleWorker):
    """An RQ worker that also runs the sweep at most once a minute."""

    sweep: Sweep | None = None
    _burst_run = False

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        self._burst_run = burst
        return bool(super().work(burst, *args, **kwargs))

    def subscribe(self) -> None:
        """Listen for RQ's commands (shutdown, kill a job), waking every second, except in a
        burst run, which drains and stops (`conduct worker --burst`, `conduct demo`, the tests).

        RQ's own listener sleeps 60 s at a time, and RQ unsubscribes before it stops it: the
        listener then waits up to 60 s for a subscription that never comes, and redis-py 8.2's
        `PubSubWorkerThread.stop()` waits for the listener. Every worker stop, and every burst
        run under load, took up to a minute (found in session 23)."""
        if self._burst_run:
            return
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ: None
            sleep_time=COMMAND_LISTENER_WAKE_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def maybe_sweep(self) -> bool:
        if self.sweep is None:
            return False
        if not self.connection.set(SWEEP_KEY, "1", nx=True, ex=SWEEP_INTERVAL_SECONDS):
            return False
        try:
            self.sweep(datetime.now(UTC))
        except Exception:
            log.exception("worker.sweep-failed")
        return True

    @property
    def should_run_maintenance_tasks(self) -> bool:
        # Called on every loop, including while idle: a cheap moment to try the sweep.
        self.maybe_sweep()
        return bool(super().should_run_maintenance_tasks)

    def execute_job(self, job: Job, queue: Queue) -> None:
        super().execute_job(job, queue)
        self.maybe_sweep()


def make_worker(connection: redis.Redis, sweep: Sweep | None = None) -> ConductWorker:
    worker = ConductWorker(
        project_queues(connection),
        connection=connection,
        serializer=JSONSerializer,
        worker_ttl=60,  # the idle dequeue wakes every 45 s, so an idle worker still sweeps
    )
    worker.sweep = sweep
    return worker


def work_until_drained(
    connection: redis.Redis,
    sweep: Sweep | None = None,
    *,
    timeout: float | None = None,
    poll: float = 0.05,
) -> bool:
    """Run jobs (delayed ones as they come due) until drained; False if `timeout` ran out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        enqueue_due_jobs(connection)
        make_worker(connection, sweep).work(burst=True, logging_level="WARNING")
        enqueue_due_jobs(connection)
        if is_drained(connection):
            return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        wait = next_due_in(connection)
        time.sleep(min(poll if wait is None else max(wait, poll), 1.0))
