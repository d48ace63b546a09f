from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from ticket_actions.queues import ASSESS_JOB, enqueue_assess, queue
from webhooks import dedupe
from webhooks.dedupe import DEDUPE_TTL, dedupe_key, enqueue_assess_once, enqueue_once

EVENT: dict[str, Any] = {
    "vendor": "zendesk",
    "event_id": "e1",
    "kind": "message",
    "occurred_at": "2025-01-08T14:25:30+00:00",
    "ticket_id": "5158",
    "text": "Where is my refund?",
    "tags_added": [],
    "tags_removed": [],
    "fields": {},
}


def test_first_delivery_is_queued_redelivery_is_not(redis_conn: redis.Redis) -> None:
    job_id = enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
    assert job_id is not None
    assert enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT) is None
    assert queue(redis_conn).job_ids == [job_id]
    assert enqueue_assess_once(redis_conn, "freshdesk", "e1", EVENT) is not None  # per vendor
    assert len(queue(redis_conn)) == 2


def test_ids_live_seven_days(redis_conn: redis.Redis) -> None:
    enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
    assert DEDUPE_TTL == 7 * 24 * 3600
    assert DEDUPE_TTL - 5 < redis_conn.ttl(dedupe_key("zendesk", "e1")) <= DEDUPE_TTL


def test_the_job_is_the_one_enqueue_assess_makes(redis_conn: redis.Redis) -> None:
    reference = Job.fetch(
        enqueue_assess(redis_conn, EVENT), connection=redis_conn, serializer=JSONSerializer
    )
    job_id = enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
    assert job_id is not None
    ours = Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
    same = ("func_name", "args", "kwargs", "timeout", "result_ttl", "failure_ttl", "origin",
            "description", "ttl")  # fmt: skip
    assert {k: getattr(ours, k) for k in same} == {k: getattr(reference, k) for k in same}
    assert ours.func_name == ASSESS_JOB
    assert ours.get_status() == reference.get_status() == "queued"
    assert redis_conn.smembers("rq:queues") == {b"rq:queue:default"}


def test_nothing_is_written_for_a_redelivery(redis_conn: redis.Redis) -> None:
    enqueue_once(redis_conn, "zendesk", "e1", lambda pipe: pipe.set("conduct:x", "first"))
    enqueue_once(redis_conn, "zendesk", "e1", lambda pipe: pipe.set("conduct:x", "second"))
    assert redis_conn.get("conduct:x") == b"first"


def test_a_failed_enqueue_leaves_no_id_behind(redis_conn: redis.Redis) -> None:
    redis_conn.set("conduct:list", "not a list")  # RPUSH onto it fails inside the script
    with pytest.raises(redis.ResponseError):
        enqueue_once(redis_conn, "zendesk", "e1", lambda pipe: pipe.rpush("conduct:list", "x"))
    assert not redis_conn.exists(dedupe_key("zendesk", "e1"))
    assert enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT) is not None  # the retry


# -- the compiled `assess` path ----------------------------------------------------------------
def _hash(connection: redis.Redis, job_id: str) -> dict[bytes, bytes]:
    fields: dict[bytes, bytes] = connection.hgetall(f"rq:job:{job_id}")
    return fields


def test_the_compiled_path_writes_what_rq_writes(redis_conn: redis.Redis) -> None:
    assert dedupe.AssessProgram.learn(redis_conn) is not None  # this RQ is understood
    reference = enqueue_assess(redis_conn, EVENT)
    job_id = enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
    assert job_id is not None and job_id != reference
    ours, theirs = _hash(redis_conn, job_id), _hash(redis_conn, reference)
    varying = {b"created_at", b"enqueued_at", b"data"}
    assert {k: v for k, v in ours.items() if k not in varying} == {
        k: v for k, v in theirs.items() if k not in varying
    }
    assert ours.keys() == theirs.keys()
    # the same JSON values (orjson writes no spaces after separators)
    ours_call, their_call = (json.loads(zlib.decompress(h[b"data"])) for h in (ours, theirs))
    assert ours_call == their_call
    # stored, not deflated: the zlib header and checksum plus one 5-byte block header
    assert len(ours[b"data"]) == len(dedupe.job_data(EVENT)) + 11
    assert ours[b"created_at"] == ours[b"enqueued_at"]
    assert queue(redis_conn).job_ids == [reference, job_id]
    job = Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
    assert (job.func_name, list(job.args), job.kwargs) == (ASSESS_JOB, [EVENT], {})  # what runs


def test_job_data_of_any_size_is_a_zlib_stream_rq_reads() -> None:
    for size in (0, 1, 400, 65_535, 65_536, 1024 * 1024 + 7):  # up to over the 1 MiB body cap
        data = bytes(i % 251 for i in range(size))
        packed = dedupe.compress(data)
        assert zlib.decompress(packed) == data  # what RQ's Job.restore calls
        assert len(packed) <= size + 11 + size // 1000  # stored: a 5-byte header per block


def test_the_description_names_ids_never_the_text(redis_conn: redis.Redis) -> None:
    job_id = enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
    description = _hash(redis_conn, str(job_id))[b"description"].decode()
    assert description == "assess zendesk event e1"
    assert EVENT["text"] not in description


def test_unknown_rq_commands_fall_back_to_the_generic_path(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def odd_enqueue(connection: redis.Redis, event: dict[str, Any], **kwargs: Any) -> str:
        job_id = enqueue_assess(connection, event, **kwargs)
        kwargs["pipeline"].hset(f"rq:job:{job_id}", "ratio", 0.5)  # a float: not understood
        return job_id

    monkeypatch.setattr(dedupe, "enqueue_assess", odd_enqueue)
    dedupe._program.cache_clear()
    try:
        assert dedupe.AssessProgram.learn(redis_conn) is None
        job_id = enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT)
        assert job_id is not None
        assert _hash(redis_conn, job_id)[b"ratio"] == b"0.5"  # written by the generic path
        assert enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT) is None
        assert "webhook.enqueue.generic-path" in caplog.text
    finally:
        dedupe._program.cache_clear()


@pytest.mark.parametrize("text", ["plain", "it's", "back\\slash", "naïve €", "", "a\nb"])
def test_constants_survive_as_lua_strings(redis_conn: redis.Redis, text: str) -> None:
    assert redis_conn.eval(f"return {dedupe._lua(text)}", 0) == text.encode()


# -- the web tier's own connection -------------------------------------------------------------
def test_a_connection_redis_dropped_is_replaced_on_the_next_delivery(
    redis_conn: redis.Redis,
) -> None:
    own = dedupe.own_connection(redis_conn)
    assert enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT) is not None
    redis_conn.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")  # as a restart
    assert enqueue_assess_once(redis_conn, "zendesk", "e2", EVENT) is not None
    assert queue(redis_conn).count == 2
    assert own.call("PING") == b"PONG"


def test_a_flushed_script_cache_is_reloaded(redis_conn: redis.Redis) -> None:
    assert enqueue_assess_once(redis_conn, "zendesk", "e1", EVENT) is not None
    redis_conn.script_flush()
    assert enqueue_assess_once(redis_conn, "zendesk", "e2", EVENT) is not None
    assert enqueue_assess_once(redis_conn, "zendesk", "e2", EVENT) is None  # still deduped
    assert queue(redis_conn).count == 2


def test_a_forked_worker_makes_its_own_connection(
    redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = dedupe.own_connection(redis_conn)
    own.call("PING")
    first = own._connection()
    assert own._connection() is first  # one per process, kept between deliveries
    monkeypatch.setattr(dedupe.os, "getpid", lambda: -1)  # what a gunicorn worker sees after fork
    assert own._connection() is not first
    assert own.call("PING") == b"PONG"


def test_an_unreachable_redis_raises_for_the_view_to_answer_503() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    with pytest.raises(redis.ConnectionError):
        enqueue_assess_once(client, "zendesk", "e1", EVENT)
