"""Per-ticket (and per-customer) batches of actions waiting for one `apply` job.

A burst of chat messages on one ticket must not burn the per-ticket write limit, so actions for
the same ticket that are waiting are merged: `submit` pushes actions onto the ticket's list and
enqueues an `apply` job only when no job is already waiting for that list on that queue (a
marker key). The customer's conduct mirror (`UpdateCustomer`) has a list of its own per
customer, whichever ticket caused it, so its writes reach Zendesk in the order they were made.
The job `take`s the whole list when it starts and clears the marker first, so actions pushed
after that get a job of their own.

A transient failure (a 429's `Retry-After`, a backoff after a 5xx or a timeout) schedules a
retry job and puts the batch key on hold for it (`hold`): until that job runs, any other job for
the same ticket (one on the other queue, or one queued while the failing job ran) writes nothing
and leaves its actions in the list for the retry, so the vendor's wait is kept by every job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import redis

from integration.actions import (
    Action,
    UpdateCustomer,
    action_from_dict,
    action_to_dict,
    ticket_of,
)
from ticket_actions.queues import (
    APPLY_JOB,
    APPLY_QUEUE,
    JOB_TIMEOUT,
    RESULT_TTL,
    URGENT_QUEUE,
    queue,
)

MARKER_TTL = 24 * 3600


def batch_key(actions: Sequence[Action]) -> str:
    """The ticket the batch writes to, or the customer/new-ticket target when there is none."""
    for action in actions:
        ticket = ticket_of(action)
        if ticket:
            return f"ticket:{ticket}"
    first = actions[0]
    customer = getattr(first, "customer_id", None) or getattr(first, "requester_id", None)
    return f"customer:{customer}"


def batches_of(actions: Sequence[Action]) -> dict[str, list[Action]]:
    """Actions by the batch that writes them: the customer mirror in its customer's batch,
    the rest in the ticket's. One ordered list per customer means a mirror write held back
    for a retry (a 429 on one ticket) is never written after a newer one made for another
    ticket, and a ticket that is gone (404) does not keep the customer's record from Zendesk."""
    mirror: list[Action] = [a for a in actions if isinstance(a, UpdateCustomer)]
    rest: list[Action] = [a for a in actions if not isinstance(a, UpdateCustomer)]
    groups: dict[str, list[Action]] = {batch_key(rest): rest} if rest else {}
    for action in mirror:
        groups.setdefault(batch_key([action]), []).append(action)
    return groups


def _list_key(vendor: str, key: str) -> str:
    return f"conduct:apply:batch:{vendor}:{key}"


def _marker_key(vendor: str, key: str, queue_name: str) -> str:
    return f"conduct:apply:waiting:{vendor}:{key}:{queue_name}"


def submit(
    connection: redis.Redis,
    vendor: str,
    actions: Sequence[Action],
    *,
    urgent: bool = False,
    delay: float | None = None,
    meta: dict[str, Any] | None = None,
    key: str | None = None,
) -> str | None:
    """Queue `actions` for writing, in one batch per target (`batches_of`); returns the first
    new job id, or None if every batch merged into a waiting job.

    With `delay` (a retry after a transient failure) the actions go back to the front of the
    failed job's batch (`key`), keeping their order ahead of anything queued since, and a job
    is scheduled for later.
    """
    if not actions:
        return None
    queue_name = URGENT_QUEUE if urgent else APPLY_QUEUE
    if delay is not None:
        key = key or batch_key(actions)
        put_back(connection, vendor, key, actions)
        connection.set(_marker_key(vendor, key, queue_name), "1", ex=MARKER_TTL)
        return _enqueue(connection, vendor, key, queue_name, delay, meta)
    first: str | None = None
    for group_key, group in batches_of(actions).items():
        encoded = (json.dumps(action_to_dict(a)) for a in group)
        connection.rpush(_list_key(vendor, group_key), *encoded)
        marker = _marker_key(vendor, group_key, queue_name)
        if not connection.set(marker, "1", nx=True, ex=MARKER_TTL):
            continue  # a job that has not started yet will take these actions too
        job_id = _enqueue(connection, vendor, group_key, queue_name, None, meta)
        first = first or job_id
    return first


def _enqueue(
    connection: redis.Redis,
    vendor: str,
    key: str,
    queue_name: str,
    delay: float | None,
    meta: dict[str, Any] | None,
) -> str:
    q = queue(connection, queue_name)
    options: dict[str, Any] = {
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": RESULT_TTL,
        "failure_ttl": 30 * 24 * 3600,
        "meta": {"queue": queue_name, **(meta or {})},
    }
    if delay is not None:
        job = q.enqueue_in(timedelta(seconds=delay), APPLY_JOB, vendor, key, **options)
    else:
        job = q.enqueue(APPLY_JOB, vendor, key, **options)
    return str(job.id)


def _hold_key(vendor: str, key: str) -> str:
    return f"conduct:apply:hold:{vendor}:{key}"


HOLD_MARGIN = 3600  # seconds a hold outlives its retry's due time, should that job be lost

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def hold(connection: redis.Redis, vendor: str, key: str, job_id: str, seconds: float) -> None:
    """Until job `job_id` (the scheduled retry) runs, no other job writes this batch key."""
    connection.set(_hold_key(vendor, key), job_id, ex=round(seconds) + HOLD_MARGIN)


def holder(connection: redis.Redis, vendor: str, key: str) -> str | None:
    """The retry job the batch key is held for, if any."""
    value = connection.get(_hold_key(vendor, key))
    return value.decode() if isinstance(value, bytes) else value


def release(connection: redis.Redis, vendor: str, key: str, job_id: str) -> None:
    """End the hold, if it is still `job_id`'s (compare and delete, atomically)."""
    connection.eval(_RELEASE, 1, _hold_key(vendor, key), job_id)


def put_back(connection: redis.Redis, vendor: str, key: str, actions: Sequence[Action]) -> None:
    """Actions at the front of the batch's list, in order, ahead of anything queued since (a
    retry's, a re-run failed job's)."""
    if actions:
        encoded = [json.dumps(action_to_dict(a)) for a in actions]
        connection.lpush(_list_key(vendor, key), *reversed(encoded))


def clear_marker(connection: redis.Redis, vendor: str, key: str, queue_name: str) -> None:
    """This queue's job for the batch has started: actions queued from now on get a job of
    their own (a held job clears it too and takes nothing; the next one is held as well)."""
    connection.delete(_marker_key(vendor, key, queue_name))


def take(connection: redis.Redis, vendor: str, key: str, queue_name: str) -> list[Action]:
    """Clear the waiting marker, then pop every action queued for this batch."""
    clear_marker(connection, vendor, key, queue_name)
    with connection.pipeline(transaction=True) as pipe:
        pipe.lrange(_list_key(vendor, key), 0, -1)
        pipe.delete(_list_key(vendor, key))
        raw, _ = pipe.execute()
    return [action_from_dict(json.loads(item)) for item in raw]
