"""Redelivery dedupe and enqueue in one Redis round trip.

Helpdesks retry deliveries that failed or timed out, and may invoke a webhook more than once for
one action (VENDOR_API.md §1.7), so the same delivery id can arrive several times; only the
first is queued. The id is kept 7 days (`SET NX EX`), longer than any vendor retries.

Recording the id and queueing the job happen in one Lua script, so a duplicate never reaches
the queue, a failure leaves no id behind (the retry is accepted), and the web tier pays one
round trip instead of three (`conduct bench ingest` measures it).

Two ways to build that script, one definition of the job (`enqueue_assess`):
- `enqueue_once` (any commands): the commands RQ would send are collected in a pipeline that is
  never executed, and passed to a generic script that replays them.
- `enqueue_assess_once` (the web tier's path): the commands RQ sends to queue `assess` are
  learnt once per process from `enqueue_assess` itself (`AssessProgram.learn`) and compiled
  into a script with every constant written in; per delivery only the job id, the timestamp,
  the job data and the description are sent. Building RQ's `Job` object and packing its ~50
  arguments cost more than the rest of the delivery (docs/zendesk-webhooks.md), and so did
  deflating the job data (see `compress`: it is stored, not deflated). If what RQ
  sends is not understood (another RQ version), the generic path is used and a warning says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import orjson
import redis
from redis.client import Pipeline
from redis.exceptions import NoScriptError
from rq.utils import now, utcformat

from ticket_actions.queues import ASSESS_JOB, assess_options, enqueue_assess, queue

DEDUPE_TTL = 7 * 24 * 3600  # seconds

log = logging.getLogger(__name__)

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

T = TypeVar("T")


def dedupe_key(vendor: str, delivery_id: str) -> str:
    return f"conduct:dedupe:{vendor}:{delivery_id}"


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 - Redis's script id


class OwnConnection:
    """This process's own Redis connection for the web tier's one script call per delivery.

    `Redis.evalsha` goes through the connection pool (a readiness poll on every checkout), the
    retry wrapper and the response callbacks: in a web worker that cost ~50–90 µs of CPU per
    call here, more than sending the command and reading the answer (docs/zendesk-webhooks.md,
    round 5). A sync worker makes one call at a time, so each thread of each process keeps one
    connection, made lazily from the client's own settings (URL, timeouts), again after a fork,
    and again after a socket error (redis-py's connection drops its socket on one).

    A `ConnectionError` is retried once on a fresh connection: Redis may have restarted since the
    last delivery. The script is idempotent for a delivery id, so even a retry after a lost
    answer cannot queue the job twice (it would answer "duplicate" for the job it just queued).
    A timeout is not retried: the caller answers 503 and the vendor redelivers.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._pool = client.connection_pool
        self._local = threading.local()

    def _connection(self) -> Any:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            pool = self._pool
            local.connection = pool.connection_class(**pool.connection_kwargs)
            local.pid = os.getpid()
        return local.connection

    def call(self, *command: Any) -> Any:
        connection = self._connection()
        try:
            connection.send_command(*command)
            return connection.read_response()
        except redis.ConnectionError:
            connection.disconnect()
            connection.send_command(*command)
            return connection.read_response()


@lru_cache(maxsize=8)
def own_connection(client: redis.Redis) -> OwnConnection:
    return OwnConnection(client)


def _run(connection: redis.Redis, script: str, sha: str, key: str, args: Sequence[Any]) -> Any:
    # EVALSHA directly: redis-py's `Script` wrapper (and its client) cost more than the call.
    own = own_connection(connection)
    try:
        return own.call("EVALSHA", sha, 1, key, *args)
    except NoScriptError:  # a fresh or flushed server: load the script once, then run it
        own.call("SCRIPT", "LOAD", script)
        return own.call("EVALSHA", sha, 1, key, *args)


_GENERIC_SHA = _sha(_ENQUEUE_ONCE)


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
    done = _run(connection, _ENQUEUE_ONCE, _GENERIC_SHA, dedupe_key(vendor, delivery_id), args)
    return result if done else None


# -- the `assess` job, compiled --------------------------------------------------------------
# What varies per job, by the hash field RQ writes it under; the job id is found by value.
_VARYING_FIELDS = {"created_at": 3, "enqueued_at": 3, "data": 4, "description": 5}
_JOB_ID = 2  # ARGV index; ARGV[1] is the dedupe TTL


@dataclass(frozen=True)
class AssessProgram:
    """The commands RQ sends to queue one `assess` job, as a script of constants and slots."""

    script: str
    sha: str

    @classmethod
    def learn(cls, connection: redis.Redis) -> AssessProgram | None:
        """Record what `enqueue_assess` would send for a sample event, and turn it into a
        script; None when the commands are not of the shape this understands."""
        sample = {"vendor": "sample", "event_id": "sample"}
        pipe = connection.pipeline(transaction=False)
        job_id = enqueue_assess(connection, sample, pipeline=pipe, on=queue(connection))
        expected: dict[str, Any] = {
            "created_at": None,
            "enqueued_at": None,
            "data": job_data(sample),
            "description": assess_options(sample)["description"],
        }
        lines = ["if redis.call('EXISTS', KEYS[1]) == 1 then", "  return 0", "end"]
        seen: set[str] = set()
        for command, _options in pipe.command_stack:
            parts: list[str] = []
            previous: object = None
            for value in command:
                if isinstance(previous, str) and previous in _VARYING_FIELDS:
                    want = expected[previous]
                    got = _decompressed(value) if previous == "data" else value
                    if previous == "data":  # the same JSON, whichever library wrote it
                        want, got = orjson.loads(want), _json_or_none(got)
                    if want is not None and got != want:
                        return None  # RQ builds this field differently from `job_data`
                    parts.append(f"ARGV[{_VARYING_FIELDS[previous]}]")
                    seen.add(previous)
                else:
                    part = _slot(value, job_id)
                    if part is None:
                        return None
                    parts.append(part)
                previous = value
            lines.append(f"redis.call({', '.join(parts)})")
        if seen != set(_VARYING_FIELDS):
            return None
        lines += ["redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])", "return 1"]
        script = "\n".join(lines) + "\n"
        return cls(script, _sha(script))

    def run(self, connection: redis.Redis, key: str, event: dict[str, Any]) -> str | None:
        """Queue `assess` for `event` unless `key` exists; the job id, or None."""
        job_id = str(uuid.uuid4())  # as RQ names jobs
        stamp = utcformat(now())
        data = compress(job_data(event))
        description = assess_options(event)["description"]
        args = (DEDUPE_TTL, job_id, stamp, data, description)
        return job_id if _run(connection, self.script, self.sha, key, args) else None


def job_data(event: dict[str, Any]) -> bytes:
    """The job's call as RQ's `JSONSerializer` reads it (`Job.data`: function, instance, args,
    kwargs). Written with orjson (a few µs instead of ~15 in a web worker): the same JSON
    values, without the spaces `json.dumps` puts after separators."""
    return orjson.dumps([ASSESS_JOB, None, [event], {}])


def _json_or_none(value: bytes | None) -> Any:
    try:
        return None if value is None else orjson.loads(value)
    except orjson.JSONDecodeError:
        return None


def compress(data: bytes) -> bytes:
    """The job data as a zlib stream of stored (uncompressed) blocks, for RQ's `zlib.compress`.

    RQ's worker calls `zlib.decompress`, which reads any zlib stream the same. Deflating costs
    more than it saves here: a job's data is a few hundred bytes, and in a web worker between
    requests (cold caches, fresh allocations) setting up and running deflate cost ~100 µs of
    CPU per delivery with `zlib.compress` and still ~90 µs with a 512-byte window, against
    ~1 µs in a tight loop. Stored blocks add 11 bytes (plus 5 per 64 kB) to the JSON: about
    400 bytes a job instead of about 230, while it waits in the queue.
    """
    packer = zlib.compressobj(0, zlib.DEFLATED, 9, 1)
    return packer.compress(data) + packer.flush()


def _decompressed(value: object) -> bytes | None:
    try:
        return zlib.decompress(value) if isinstance(value, bytes) else None
    except zlib.error:
        return None


def _slot(value: object, job_id: str) -> str | None:
    """A command argument as Lua: the job id (alone or inside a key) from ARGV, else a
    constant. None for a value that cannot be a constant."""
    if isinstance(value, str) and job_id in value:
        head, _, tail = value.partition(job_id)
        if job_id in tail:
            return None
        pieces = [_lua(head)] if head else []
        pieces.append(f"ARGV[{_JOB_ID}]")
        if tail:
            pieces.append(_lua(tail))
        return " .. ".join(pieces)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = value if isinstance(value, str) else str(value)  # a str enum stays its value
    if "sample" in text:
        return None  # something else derived from the event: not a constant
    return _lua(text)


def _lua(text: str) -> str:
    """A Lua string literal (decimal escapes for anything but printable ASCII)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in "\\'" else f"\\{byte}")
    return "'" + "".join(out) + "'"


@lru_cache(maxsize=8)
def _program(connection: redis.Redis) -> AssessProgram | None:
    program = AssessProgram.learn(connection)
    if program is None:
        log.warning("webhook.enqueue.generic-path", extra={"reason": "rq-commands-not-understood"})
    return program


def enqueue_assess_once(
    connection: redis.Redis, vendor: str, delivery_id: str, event: dict[str, Any]
) -> str | None:
    """Queue the `assess` job for `event` unless `delivery_id` was queued in the last 7 days;
    returns the job id, or None for a redelivery."""
    key = dedupe_key(vendor, delivery_id)
    program = _program(connection)
    if program is not None:
        return program.run(connection, key, event)

    def add(pipe: Pipeline) -> str:
        return enqueue_assess(connection, event, pipeline=pipe)

    return enqueue_once(connection, vendor, delivery_id, add)
