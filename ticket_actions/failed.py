"""RQ's failed registry, for `conduct jobs failed` and `conduct jobs requeue`."""

from __future__ import annotations

from typing import Any

import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from ticket_actions.worker import project_queues


def failed_jobs(connection: redis.Redis) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for q in project_queues(connection):
        registry = q.failed_job_registry
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            latest = job.latest_result()
            error = (latest.exc_string if latest is not None else "") or ""
            rows.append(
                {
                    "id": job.id,
                    "queue": q.name,
                    "function": job.func_name,
                    "ended_at": job.ended_at.isoformat() if job.ended_at else "",
                    "error": error.strip().splitlines()[-1] if error.strip() else "",
                }
            )
    return rows


def requeue_failed(connection: redis.Redis, job_ids: list[str] | None = None) -> int:
    """Put failed jobs back on their queues; their actions travel in `job.meta`.

    A requeue is a fresh start: the retry horizon and the backoff count from now. Otherwise a
    job that gave up after a day-long outage would be past its horizon again at its first 429.
    """
    count = 0
    for q in project_queues(connection):
        registry = q.failed_job_registry
        for job_id in registry.get_job_ids():
            if job_ids is None or job_id in job_ids:
                job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
                if "first_attempt_at" in job.meta or "attempt" in job.meta:
                    job.meta.pop("first_attempt_at", None)
                    job.meta.pop("attempt", None)
                    job.save_meta()  # type: ignore[no-untyped-call]
                registry.requeue(job_id)
                count += 1
    return count
