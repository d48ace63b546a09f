"""The RQ jobs: plain module-level functions taking JSON primitives (RQ's JSON serializer).

- `assess(event)`: classify + policy → actions, handed to `apply` through per-ticket and
  per-customer batches (urgent queue for threats to safety). A lookup it needs that fails
  transiently schedules the assessment again, under the same rules as `apply` below.
- `apply(vendor, batch_key)`: write a batch through the vendor adapter. A transient failure
  (429, 5xx, timeout, the budget nearly spent) schedules a retry after `Retry-After` or an
  exponential backoff, never sleeping, until the retry horizon; then, like a permanent failure
  (401/403/404/422), the job lands in RQ's failed registry with its actions in `job.meta`.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import get_current_job
from rq.job import Job

from config.metrics import ACTIONS_WRITTEN, JOBS
from integration.actions import Action, action_from_dict, action_to_dict
from integration.events import Event
from integration.helpdesk import PermanentVendorError, TransientVendorError
from ticket_actions import batches
from ticket_actions.errors import CustomerBusy, GaveUp
from ticket_actions.queues import (
    APPLY_QUEUE,
    ASSESS_JOB,
    URGENT_QUEUE,
    assess_options,
    queue,
)
from ticket_actions.runtime import get_runtime

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 1.0
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 15 * 60.0


def _save_meta(job: Job) -> None:
    job.save_meta()  # type: ignore[no-untyped-call]


def _now() -> datetime:
    return datetime.now(UTC)


def assess(event_data: dict[str, Any]) -> dict[str, Any]:
    """Assess one event and queue the resulting actions."""
    from ticket_actions.assess import assess_event

    runtime = get_runtime()
    event = Event.from_dict(event_data)
    try:
        outcome = assess_event(event, runtime, _now())
    except CustomerBusy:
        queue(runtime.redis).enqueue_in(
            timedelta(seconds=BUSY_RETRY_SECONDS),
            ASSESS_JOB,
            event_data,
            **assess_options(event_data),
        )
        JOBS.labels("assess", "busy").inc()
        log.info("assess.customer-busy", extra={"event_id": event.event_id})
        return {"busy": True}
    except TransientVendorError as exc:
        # A lookup the assessment needs (a merge's survivor, a field's key, group names) met a
        # 429, the budget nearly spent, a 5xx or a timeout: the same retry rules as `apply`.
        # A re-run is safe: contacts are counted once per message and nothing was queued.
        return _retry_assess(event_data, event, exc)
    job_id = outcome.apply_job
    JOBS.labels("assess", "flagged" if outcome.actions else "clean").inc()
    log.info(
        "assess.done",
        extra={
            "event_id": event.event_id,
            "vendor": event.vendor,
            "ticket_id": event.ticket_id,
            "labels": list(outcome.verdict.labels) if outcome.verdict else [],
            "actions": len(outcome.actions),
            "urgent": outcome.urgent,
        },
    )
    return {"actions": len(outcome.actions), "urgent": outcome.urgent, "apply_job": job_id}


@dataclass(frozen=True)
class _Attempt:
    """Where a job stands in its retries (kept in `job.meta`), and the rules `assess` and
    `apply` share: a transient failure waits for its `Retry-After`, else an exponential
    backoff, until the retry horizon has passed since the first attempt."""

    number: int
    first_at: str  # ISO time of the first attempt

    @classmethod
    def of(cls, meta: dict[str, Any]) -> _Attempt:
        return cls(int(meta.get("attempt", 1)), meta.get("first_attempt_at") or _now().isoformat())

    def waited(self) -> timedelta:
        return _now() - datetime.fromisoformat(self.first_at)

    def past_horizon(self, horizon_seconds: int) -> bool:
        return self.waited().total_seconds() > horizon_seconds

    def delay(self, exc: TransientVendorError) -> float:
        return exc.retry_after if exc.retry_after is not None else backoff_seconds(self.number)

    def next_meta(self) -> dict[str, Any]:
        return {"attempt": self.number + 1, "first_attempt_at": self.first_at}


def _retry_assess(
    event_data: dict[str, Any], event: Event, exc: TransientVendorError
) -> dict[str, Any]:
    runtime = get_runtime()
    job = get_current_job()
    attempt = _Attempt.of(job.meta if job is not None else {})
    if attempt.past_horizon(runtime.settings.conduct_retry_horizon):
        JOBS.labels("assess", "gave-up").inc()
        log.error(
            "assess.gave-up",
            extra={"event_id": event.event_id, "attempt": attempt.number, "status": exc.status},
        )
        raise GaveUp(f"assess {event.event_id}: still failing after {attempt.waited()}") from exc
    delay = attempt.delay(exc)
    queue(runtime.redis).enqueue_in(
        timedelta(seconds=delay),
        ASSESS_JOB,
        event_data,
        meta=attempt.next_meta(),
        **assess_options(event_data),
    )
    JOBS.labels("assess", "retry-scheduled").inc()
    log.warning(
        "assess.retry-scheduled",
        extra={"event_id": event.event_id, "status": exc.status, "delay_s": delay},
    )
    return {"retry_in": delay}


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter for failures that gave no Retry-After."""
    base: float = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return base * (0.8 + 0.4 * random.random())  # noqa: S311 - jitter, not security


def apply(vendor: str, key: str) -> dict[str, Any]:
    """Write one batch of actions to the helpdesk."""
    runtime = get_runtime()
    job = get_current_job()
    meta = job.meta if job is not None else {}
    queue_name = meta.get("queue", APPLY_QUEUE)
    carried = [action_from_dict(a) for a in meta.get("actions", [])]
    attempt = _Attempt.of(meta)
    retry = batches.holder(runtime.redis, vendor, key)
    if retry is not None and (job is None or retry != job.id):
        # A retry for this ticket is scheduled (429, backoff): it writes these actions too, so
        # the vendor's wait is kept. A re-run failed job's actions go back in front, in order.
        batches.put_back(runtime.redis, vendor, key, carried)
        if job is not None and carried:
            job.meta.pop("actions", None)
            _save_meta(job)
        batches.clear_marker(runtime.redis, vendor, key, queue_name)
        JOBS.labels("apply", "held").inc()
        log.info("apply.held", extra={"vendor": vendor, "batch": key, "retry_job": retry})
        return {"held_for": retry}
    if retry is not None:  # this job is the retry the ticket was held for
        batches.release(runtime.redis, vendor, key, retry)
    actions: list[Action] = carried + batches.take(runtime.redis, vendor, key, queue_name)
    if not actions:
        JOBS.labels("apply", "empty").inc()
        return {"applied": 0}
    if job is not None:  # keep the actions with the job, so a failed job can be re-run
        job.meta.update(actions=[action_to_dict(a) for a in actions])
        _save_meta(job)
    try:
        result = runtime.helpdesk(vendor).apply(actions)
    except TransientVendorError as exc:
        pending = list(exc.pending) if exc.pending is not None else actions
        if attempt.past_horizon(runtime.settings.conduct_retry_horizon):
            JOBS.labels("apply", "gave-up").inc()
            log.error(
                "apply.gave-up",
                extra={
                    "vendor": vendor,
                    "batch": key,
                    "attempt": attempt.number,
                    "status": exc.status,
                },
            )
            if job is not None:
                job.meta.update(actions=[action_to_dict(a) for a in pending])
                _save_meta(job)
            raise GaveUp(f"{vendor} {key}: still failing after {attempt.waited()}") from exc
        delay = attempt.delay(exc)
        retry_id = batches.submit(
            runtime.redis,
            vendor,
            pending,
            urgent=queue_name == URGENT_QUEUE,
            delay=delay,
            meta=attempt.next_meta(),
            key=key,
        )
        if retry_id is not None:
            batches.hold(runtime.redis, vendor, key, retry_id, delay)
        if job is not None:
            job.meta.pop("actions", None)
            _save_meta(job)
        JOBS.labels("apply", "retry-scheduled").inc()
        log.warning(
            "apply.retry-scheduled",
            extra={"vendor": vendor, "batch": key, "status": exc.status, "delay_s": delay},
        )
        return {"retry_in": delay, "pending": len(pending)}
    except PermanentVendorError as exc:
        if job is not None and exc.pending is not None:  # a re-run writes only what is left
            job.meta.update(actions=[action_to_dict(a) for a in exc.pending])
            _save_meta(job)
        JOBS.labels("apply", "failed").inc()
        log.error(
            "apply.permanent-failure",
            extra={"vendor": vendor, "batch": key, "status": exc.status, "reason": str(exc)},
        )
        raise
    for action in actions:
        ACTIONS_WRITTEN.labels(vendor, type(action).__name__).inc()
    JOBS.labels("apply", "ok").inc()
    return {
        "applied": len(actions),
        "calls": len(result.calls),
        "tickets_updated": result.tickets_updated,
        "customers_updated": result.customers_updated,
    }


def run_sweep(now: datetime) -> dict[str, Any]:
    """The time-driven work (stage fall-back, expiry, reviews) for every due customer."""
    from ticket_actions.sweep import sweep

    runtime = get_runtime()
    return sweep(runtime, now)
