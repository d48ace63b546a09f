"""The `apply` job against a recording helpdesk: merging, retry scheduling, failure, requeue.

The helpdesk here is a test double of the vendor *adapter* (the adapter itself is tested at the
HTTP boundary in tests/integration/zendesk); Redis, RQ and the worker are real.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from integration.actions import AddTags, Comment, CreateTicket, UpdateCustomer
from integration.events import Event
from integration.helpdesk import PermanentVendorError, TransientVendorError
from ticket_actions import batches
from ticket_actions.failed import failed_jobs, requeue_failed
from ticket_actions.queues import APPLY_QUEUE, URGENT_QUEUE, enqueue_assess, queue
from ticket_actions.runtime import get_runtime
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
    second = Comment("7", "second note")  # a second comment is a second update
    helpdesk.failures.append(TransientVendorError("503", status=503, pending=[second]))
    batches.submit(redis_conn, "zendesk", [Comment("7", "note"), second])
    run_burst(redis_conn)
    enqueue_due_jobs(redis_conn, now=10**10)
    run_burst(redis_conn)
    assert helpdesk.batches == [[second]]  # the note was written once, not twice


def test_the_customer_mirror_gets_a_batch_of_its_own(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    mirror = UpdateCustomer("42", {"conduct_stage": "warned"})
    assert batches.batches_of([AddTags("7", ("x",)), mirror, Comment("7", "note")]) == {
        "ticket:7": [AddTags("7", ("x",)), Comment("7", "note")],
        "customer:42": [mirror],
    }
    notice = CreateTicket("42", "Your account", "text")
    assert batches.batches_of([notice, mirror]) == {"customer:42": [notice, mirror]}
    helpdesk.failures.append(PermanentVendorError("no such ticket", status=404))
    batches.submit(redis_conn, "zendesk", [AddTags("7", ("x",)), mirror])
    run_burst(redis_conn)
    assert helpdesk.batches == [[mirror]]  # a ticket that is gone does not keep it back
    assert len(failed_jobs(redis_conn)) == 1


WARNED = UpdateCustomer("42", {"conduct_stage": "warned"})
RESTRICTED = UpdateCustomer("42", {"conduct_stage": "restricted"})


def test_mirror_writes_reach_the_helpdesk_in_the_order_made(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    """An older mirror write held for a retry must not land after a newer one."""
    warned, restricted = WARNED, RESTRICTED
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=60))
    batches.submit(redis_conn, "zendesk", [warned, AddTags("1", ("conduct_flagged",))])
    run_burst(redis_conn)  # the 429 is the first job's (the ticket's, once the two are apart)
    batches.submit(redis_conn, "zendesk", [AddTags("2", ("conduct_flagged",)), restricted])
    run_burst(redis_conn)
    enqueue_due_jobs(redis_conn, now=10**10)
    run_burst(redis_conn)
    mirror_writes = [
        a.fields["conduct_stage"]
        for batch in helpdesk.batches
        for a in batch
        if isinstance(a, UpdateCustomer)
    ]
    assert mirror_writes[-1] == "restricted"
    assert mirror_writes in (["warned", "restricted"], ["restricted"])


def test_a_newer_mirror_write_waits_behind_one_held_for_a_retry(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    warned, restricted = WARNED, RESTRICTED
    helpdesk.failures.append(TransientVendorError("429", status=429, retry_after=60))
    batches.submit(redis_conn, "zendesk", [warned])
    run_burst(redis_conn)
    batches.submit(redis_conn, "zendesk", [AddTags("2", ("conduct_flagged",)), restricted])
    run_burst(redis_conn)
    assert helpdesk.batches == [[AddTags("2", ("conduct_flagged",))]]  # the mirror is held
    enqueue_due_jobs(redis_conn, now=10**10)
    run_burst(redis_conn)
    assert helpdesk.batches[-1] == [warned, restricted]  # one update; the adapter keeps the last


def test_a_retry_keeps_the_batch_it_came_from(redis_conn: redis.Redis, helpdesk: Any) -> None:
    """A ticket batch whose only pending action is a new ticket is retried, and released,
    under the ticket's key, so later writes to that ticket are not held for ever."""
    notice = CreateTicket("42", "Your account", "text")
    helpdesk.failures.append(TransientVendorError("503", status=503, pending=[notice]))
    batches.submit(redis_conn, "zendesk", [Comment("7", "note"), notice])
    run_burst(redis_conn)
    assert batches.holder(redis_conn, "zendesk", "ticket:7") is not None
    enqueue_due_jobs(redis_conn, now=10**10)
    run_burst(redis_conn)
    assert helpdesk.batches == [[notice]]
    assert batches.holder(redis_conn, "zendesk", "ticket:7") is None
    batches.submit(redis_conn, "zendesk", [Comment("7", "later")])
    run_burst(redis_conn)
    assert helpdesk.batches[-1] == [Comment("7", "later")]


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


def merge_event(event_id: str = "u1") -> dict[str, Any]:
    event = Event(
        vendor="zendesk",
        event_id=event_id,
        kind="customer_merged",
        occurred_at=datetime.now(UTC),
        customer_id="42",
        fields={"merged_user_id": "43"},
    )
    return event.to_dict()


def test_an_assessment_whose_lookup_is_rate_limited_is_retried_not_failed(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    helpdesk.lookup_failures.append(TransientVendorError("429", status=429, retry_after=20))
    enqueue_assess(redis_conn, merge_event())
    run_burst(redis_conn)
    assert failed_jobs(redis_conn) == []
    registry = queue(redis_conn).scheduled_job_registry
    [retry_id] = registry.get_job_ids()
    due = registry.get_scheduled_time(retry_id).timestamp()
    assert 15 <= due - time.time() <= 21
    assert enqueue_due_jobs(redis_conn, now=due + 1) == 1
    run_burst(redis_conn)
    retry = Job.fetch(retry_id, redis_conn, serializer=JSONSerializer)
    assert retry.meta["attempt"] == 2
    assert retry.get_status() == "finished"
    assert is_drained(redis_conn)


def test_an_assessment_failing_past_the_horizon_lands_in_the_failed_registry(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    runtime = get_runtime()
    runtime.settings = runtime.settings.model_copy(update={"conduct_retry_horizon": 0})
    helpdesk.lookup_failures.append(TransientVendorError("503", status=503))
    enqueue_assess(redis_conn, merge_event())
    time.sleep(0.01)
    run_burst(redis_conn)
    [row] = failed_jobs(redis_conn)
    assert row["function"] == "ticket_actions.jobs.assess"
    assert "still failing" in row["error"]


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
    second = Comment("7", "second note")
    helpdesk.failures.append(PermanentVendorError("user gone", status=404, pending=[second]))
    batches.submit(redis_conn, "zendesk", [Comment("7", "note"), second])
    run_burst(redis_conn)
    assert requeue_failed(redis_conn) == 1
    run_burst(redis_conn)
    assert helpdesk.batches == [[second]]


def test_assessments_run_before_ordinary_writes_and_after_urgent_ones(
    redis_conn: redis.Redis, helpdesk: Any
) -> None:
    from ticket_actions.worker import project_queues

    assert [q.name for q in project_queues(redis_conn)] == [URGENT_QUEUE, "default", APPLY_QUEUE]
    batches.submit(redis_conn, "zendesk", [AddTags("1", ("a",))])
    assert queue(redis_conn, APPLY_QUEUE).count == 1
