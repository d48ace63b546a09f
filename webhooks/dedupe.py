"""Redelivery dedupe and enqueue in one Redis round trip.

Helpdesks retry deliveries that failed or timed out, and may invoke a webhook more than once for
one action (VENDOR_API.md §1.7), so the same delivery id can arrive several times; only the
first is queued. The id is kept 7 days (`SET NX EX`), longer than any vendor retries.

Recording the id and queueing the job happen in one Lua script: the commands RQ would send for
the enqueue are collected in a pipeline that is never executed, then replayed by the script
only if `SET NX` succeeded. So a duplicate never reaches the queue, a failure leaves no id
behind (the retry is accepted), and the web tier pays one round trip instead of three
(`conduct bench ingest` measures it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import redis
from redis.client import Pipeline
from redis.exceptions import NoScriptError
from rq import Queue

from ticket_actions.queues import enqueue_assess, queue

DEDUPE_TTL = 7 * 24 * 3600  # seconds

# A script runs alone, so "exists?" and the writes cannot interleave with another delivery;
# the id is written last, so a command that fails leaves it unrecorded and the retry goes in.
_ENQUEUE_ONCE = """
-- KEYS[1] the dedupe key; ARGV[1] its TTL; ARGV[2] the number of commands that follow,
-- each as its argument count and then its arguments.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 1
"""
_SHA = hashlib.sha1(_ENQUEUE_ONCE.encode()).hexdigest()  # noqa: S324 - Redis's script id

T = TypeVar("T")


@lru_cache(maxsize=8)
def _default_queue(connection: redis.Redis) -> Queue:
    return queue(connection)  # one per connection: building a Queue costs more than using it


def dedupe_key(vendor: str, delivery_id: str) -> str:
    return f"conduct:dedupe:{vendor}:{delivery_id}"


def enqueue_once(
    connection: redis.Redis, vendor: str, delivery_id: str, add: Callable[[Pipeline], T]
) -> T | None:
    """Run the commands `add` puts on a pipeline, atomically, the first time `delivery_id` is
    seen; returns what `add` returned, or None for a redelivery (nothing is written)."""
    pipe = connection.pipeline(transaction=False)
    result = add(pipe)
    args: list[Any] = [DEDUPE_TTL, len(pipe.command_stack)]
    for command, _options in pipe.command_stack:
        args.append(len(command))
        args.extend(command)
    key = dedupe_key(vendor, delivery_id)
    try:  # EVALSHA directly: redis-py's `Script` wrapper costs more than the call it wraps
        done = connection.evalsha(_SHA, 1, key, *args)
    except NoScriptError:  # a fresh or flushed server: load the script once, then run it
        connection.script_load(_ENQUEUE_ONCE)
        done = connection.evalsha(_SHA, 1, key, *args)
    return result if done else None


def enqueue_assess_once(
    connection: redis.Redis, vendor: str, delivery_id: str, event: dict[str, Any]
) -> str | None:
    """Queue the `assess` job for `event` unless `delivery_id` was queued in the last 7 days;
    returns the job id, or None for a redelivery."""

    def add(pipe: Pipeline) -> str:
        return enqueue_assess(connection, event, pipeline=pipe, on=_default_queue(connection))

    return enqueue_once(connection, vendor, delivery_id, add)
