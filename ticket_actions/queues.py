"""Queue and job names, and the one way work is enqueued.

The web tier imports only this module from `ticket_actions` (DESIGN.md: job names only), so it
never loads the classifier. Jobs carry JSON primitives (RQ's JSON serializer).
"""

from __future__ import annotations

from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue
from rq.serializers import JSONSerializer

DEFAULT_QUEUE = "default"  # `assess`: milliseconds each, so a threat is recognised quickly
URGENT_QUEUE = "urgent"  # `apply` for threats to safety: workers listen here first
APPLY_QUEUE = "apply"  # every other `apply`: waits on the vendor's rate limits under a burst
# Urgent writes, then assessments, then ordinary writes: under a burst the ordinary writes queue
# up behind the rate limit while every message is still assessed at once, so a threat arriving
# late is recognised and written before the backlog.
QUEUE_ORDER = (URGENT_QUEUE, DEFAULT_QUEUE, APPLY_QUEUE)

ASSESS_JOB = "ticket_actions.jobs.assess"
APPLY_JOB = "ticket_actions.jobs.apply"

JOB_TIMEOUT = 120  # seconds; one vendor update or one assessment is far below this
RESULT_TTL = 3600
ASSESS_FAILURE_TTL = 30 * 24 * 3600


def queue(connection: redis.Redis, name: str = DEFAULT_QUEUE) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def assess_options(event: dict[str, Any]) -> dict[str, Any]:
    """RQ's options for an `assess` job, wherever it is queued.

    The description, which RQ stores and its workers log, names ids only: RQ's default is the
    call with its arguments, which would put the customer's message text in the logs.
    """
    return {
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": RESULT_TTL,
        "failure_ttl": ASSESS_FAILURE_TTL,
        "description": f"assess {event.get('vendor')} event {event.get('event_id')}",
    }


def enqueue_assess(
    connection: redis.Redis,
    event: dict[str, Any],
    *,
    pipeline: Pipeline | None = None,
    on: Queue | None = None,
) -> str:
    """Queue the `assess` job for one event (a dict from `Event.to_dict`); returns the job id.

    With `pipeline`, RQ puts its commands on it instead of sending them (the web tier sends
    them with its dedupe key in one round trip); `on` reuses an already built default queue.
    """
    job = (on or queue(connection)).enqueue(
        ASSESS_JOB, event, pipeline=pipeline, **assess_options(event)
    )
    return str(job.id)
