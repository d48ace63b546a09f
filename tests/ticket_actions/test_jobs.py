"""The `apply` job against a recording helpdesk: merging, retry scheduling, failure, requeue.

The helpdesk here is a test double of the vendor *adapter* (the adapter itself is tested at the
HTTP boundary in tests/integration/zendesk); Redis, RQ and the worker are real.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from integration.actions import AddTags, Comment, UpdateCustomer
from integration.helpdesk import PermanentVendorError, TransientVendorError
from ticket_actions import batches
from ticket_actions.failed import failed_jobs, requeue_failed
from ticket_actions.queues import APPLY_QUEUE, URGENT_QUEUE, queue
from ticket_actions.worker import enqueue_due_jobs, is_drained, make_worker, pending_counts


def run_burst(connection: redis.Redis) -> None:
    make_worker(connection).work(burst=True, logging_level="WARNING")


def test_waiting_actions_for_one_ticket_are_merged_into_one_job(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    first = batches.submit(redis_conn, "zendesk", [AddTags("7", ("conduct_flagged",))])
    second = batches.submit(redis_conn, "zendesk", [Comment("7", "note")])
    other = batches.submit(redis_conn, "zendesk", [AddTags("8", ("conduct_flagged",))])
    assert first is not None and other is not None
    assert second is None  # merged into the waiting job
    run_burst(redis_conn)
    assert helpdesk.batches == [
        [AddTags("7", ("conduct_flagged",)), Comment("7", "note")],
        [AddTags("8", ("conduct_flagged",))],
    ]
    assert is_drained(redis_conn)


def test_urgent_batches_run_before_default_ones(redis_conn: redis.Redis, helpdesk: Any) -> None:
    batches.submit(redis_conn, "zendesk", [AddTags("1", ("a",))])
    batches.submit(redis_conn, "zendesk", [AddTags("2", ("b",))], urgent=True)
    assert queue(redis_conn, URGENT_QUEUE).count == 1
    run_burst(redis_conn)
    assert [b[0].ticket_id for b in helpdesk.batches] == ["2", "1"]  # type: ignore[union-attr]


def test_rate_limited_batch_is_scheduled_after_retry_after_never_dropped(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=30))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("conduct_flagged",))])
    run_burst(redis_conn)
    assert helpdesk.batches == []
    counts = pending_counts(redis_conn)
    assert counts[f"{APPLY_QUEUE}:scheduled"] == 1
    assert not is_drained(redis_conn)
    registry = queue(redis_conn, APPLY_QUEUE).scheduled_job_registry
    job_id = registry.get_job_ids()[0]
    due = registry.get_scheduled_time(job_id).timestamp()
    assert 25 <= due - time.time() <= 31
    assert enqueue_due_jobs(redis_conn, now=time.time()) == 0  # not due yet
    assert enqueue_due_jobs(redis_conn, now=due + 1) == 1
    run_burst(redis_conn)
    assert helpdesk.batches == [[AddTags("7", ("conduct_flagged",))]]
    assert Job.fetch(job_id, redis_conn, serializer=JSONSerializer).meta["attempt"] == 2


def test_only_pending_actions_are_retried(redis_conn: redis.Redis, helpdesk: Any) -> None:
    mirror = UpdateCustomer("42", {"conduct_stage": "warned"})
    helpdesk.failures.append(TransientVendorError("503", status=503, pending=[mirror]))
    batches.submit(redis_conn, "zendesk", [Comment("7", "note"), mirror])
    run_burst(redis_conn)
    enqueue_due_jobs(redis_conn, now=10**10)
    run_burst(redis_conn)
    assert helpdesk.batches == [[mirror]]  # the note was written once, not twice


def test_permanent_failure_lands_in_failed_registry_and_can_be_requeued(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    helpdesk.failures.append(PermanentVendorError("no such ticket", status=404))
    batches.submit(redis_conn, "zendesk", [AddTags("404", ("conduct_flagged",))])
    run_burst(redis_conn)
    rows = failed_jobs(redis_conn)
    assert len(rows) == 1
    assert rows[0]["function"] == "ticket_actions.jobs.apply"
    assert "no such ticket" in rows[0]["error"]
    assert requeue_failed(redis_conn) == 1
    run_burst(redis_conn)
    assert helpdesk.batches == [[AddTags("404", ("conduct_flagged",))]]
    assert failed_jobs(redis_conn) == []


def test_transient_failures_past_the_horizon_give_up_into_failed_registry(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    from ticket_actions.runtime import get_runtime

    runtime = get_runtime()
    runtime.settings = runtime.settings.model_copy(update={"conduct_retry_horizon": 0})
    helpdesk.failures.append(TransientVendorError("timeout"))
    batches.submit(redis_conn, "zendesk", [AddTags("9", ("x",))])
    run_burst(redis_conn)
    rows = failed_jobs(redis_conn)
    assert len(rows) == 1
    assert "GaveUp" in rows[0]["error"]
    job = Job.fetch(rows[0]["id"], redis_conn, serializer=JSONSerializer)
    assert job.meta["actions"] == [{"type": "AddTags", "ticket_id": "9", "tags": ["x"]}]


def test_a_requeued_job_that_gave_up_gets_a_fresh_retry_horizon(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from ticket_actions.runtime import get_runtime

    runtime = get_runtime()
    horizon = runtime.settings.conduct_retry_horizon
    runtime.settings = runtime.settings.model_copy(update={"conduct_retry_horizon": 0})
    helpdesk.failures.append(TransientVendorError("timeout"))
    batches.submit(redis_conn, "zendesk", [AddTags("9", ("x",))])
    run_burst(redis_conn)
    [row] = failed_jobs(redis_conn)
    # as if it had been retried for a day before giving up (the default horizon, 24 h)
    job = Job.fetch(row["id"], redis_conn, serializer=JSONSerializer)
    job.meta.update(first_attempt_at=(datetime.now(UTC) - timedelta(hours=25)).isoformat())
    job.meta.update(attempt=12)
    job.save_meta()  # type: ignore[no-untyped-call]
    runtime.settings = runtime.settings.model_copy(update={"conduct_retry_horizon": horizon})
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=30))
    assert requeue_failed(redis_conn) == 1
    run_burst(redis_conn)
    assert failed_jobs(redis_conn) == []  # retried, not straight back to the failed registry
    registry = queue(redis_conn, APPLY_QUEUE).scheduled_job_registry
    [retry_id] = registry.get_job_ids()
    assert Job.fetch(retry_id, redis_conn, serializer=JSONSerializer).meta["attempt"] == 2
    enqueue_due_jobs(redis_conn, now=time.time() + 31)
    run_burst(redis_conn)
    assert helpdesk.batches == [[AddTags("9", ("x",))]]


def test_a_job_for_a_ticket_on_hold_waits_for_the_retry_after(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    """A 429's Retry-After holds every job for that ticket, not only the one that got it: here an
    urgent job queued after the 429 (another queue, so not merged) must not write early."""
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=30))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("conduct_flagged",))])
    run_burst(redis_conn)
    registry = queue(redis_conn, APPLY_QUEUE).scheduled_job_registry
    [retry_id] = registry.get_job_ids()
    assert batches.holder(redis_conn, "zendesk", "ticket:7") == retry_id
    assert batches.submit(redis_conn, "zendesk", [Comment("7", "note")], urgent=True)
    run_burst(redis_conn)
    assert helpdesk.batches == []  # held: nothing written before the Retry-After
    assert batches.submit(redis_conn, "zendesk", [Comment("7", "later")], urgent=True)
    run_burst(redis_conn)  # another job of its own (the held one left no marker), held too
    assert helpdesk.batches == []
    due = registry.get_scheduled_time(retry_id).timestamp()
    assert enqueue_due_jobs(redis_conn, now=due + 1) == 1
    run_burst(redis_conn)
    # the retry writes everything, once, in the order it was queued, and ends the hold
    assert helpdesk.batches == [
        [AddTags("7", ("conduct_flagged",)), Comment("7", "note"), Comment("7", "later")]
    ]
    assert batches.holder(redis_conn, "zendesk", "ticket:7") is None
    assert is_drained(redis_conn)
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("after",))], urgent=True)
    run_burst(redis_conn)
    assert helpdesk.batches[-1] == [AddTags("7", ("after",))]  # no hold left behind


def test_a_requeued_job_for_a_held_ticket_hands_its_actions_to_the_retry(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    helpdesk.failures.append(PermanentVendorError("gone", status=404))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("first",))])
    run_burst(redis_conn)  # lands in the failed registry with its action
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=30))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("second",))])
    run_burst(redis_conn)  # 429: a retry is scheduled and the ticket held for it
    assert requeue_failed(redis_conn) == 1
    run_burst(redis_conn)
    assert helpdesk.batches == []
    enqueue_due_jobs(redis_conn, now=time.time() + 31)
    run_burst(redis_conn)
    assert helpdesk.batches == [[AddTags("7", ("first",)), AddTags("7", ("second",))]]
    assert failed_jobs(redis_conn) == []


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    from ticket_actions.jobs import BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS, backoff_seconds

    for attempt in (1, 2, 3, 4):
        base = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
        delays = [backoff_seconds(attempt) for _ in range(200)]
        assert all(0.8 * base <= d <= 1.2 * base for d in delays)
        assert len(set(delays)) > 1  # jitter, so retries of many jobs do not line up
    assert all(backoff_seconds(30) <= 1.2 * BACKOFF_CAP_SECONDS for _ in range(50))


def test_a_conflict_that_outlasts_the_rereads_is_retried_with_backoff(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    from integration.zendesk.errors import UpdateConflict

    helpdesk.failures.append(UpdateConflict("409", status=409, retry_after=None))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("x",))])
    before = time.time()
    run_burst(redis_conn)
    after = time.time()
    registry = queue(redis_conn, APPLY_QUEUE).scheduled_job_registry
    [job_id] = registry.get_job_ids()
    scheduled = registry.get_scheduled_time(job_id).timestamp()
    # the first backoff step (5 s ± 20 %) after the failure, not an immediate retry; measured
    # from the run's start and end (a slow machine stretches the run, not the backoff), less
    # one second because the registry keeps whole seconds
    assert before + 4 - 1 <= scheduled <= after + 6


def test_the_retry_horizon_defaults_to_a_day() -> None:
    from config.settings import Settings

    assert Settings.model_fields["conduct_retry_horizon"].default == 24 * 3600


def test_a_requeued_permanent_failure_writes_only_what_was_left(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    mirror = UpdateCustomer("42", {"conduct_stage": "warned"})
    helpdesk.failures.append(PermanentVendorError("user gone", status=404, pending=[mirror]))
    batches.submit(redis_conn, "zendesk", [Comment("7", "note"), mirror])
    run_burst(redis_conn)
    assert requeue_failed(redis_conn) == 1
    run_burst(redis_conn)
    assert helpdesk.batches == [[mirror]]


def test_assessments_run_before_ordinary_writes_and_after_urgent_ones(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    from ticket_actions.worker import project_queues

    assert [q.name for q in project_queues(redis_conn)] == [URGENT_QUEUE, "default", APPLY_QUEUE]
    batches.submit(redis_conn, "zendesk", [AddTags("1", ("a",))])
    assert queue(redis_conn, APPLY_QUEUE).count == 1
