"""The sweep: time-driven work over due dates kept in Redis (DESIGN.md), callable with any `now`.

Each worker runs it at most once a minute (`ticket_actions/worker.py`). This issue's part is
stage fall-back after the clean period (and, once a day, the retention purge); manager decisions
(issue 6) add expiry and review reminders here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis

from config.policy import Policy, policy_for
from integration.actions import Action
from ticket_actions import store
from ticket_actions.errors import CustomerBusy
from ticket_actions.policy import fall_back, fall_back_due

if TYPE_CHECKING:
    from ticket_actions.runtime import Runtime

log = logging.getLogger(__name__)

RETENTION_KEY = "conduct:sweep:retention"
RETENTION_EVERY_SECONDS = 24 * 3600


@dataclass
class SweepResult:
    fell_back: list[str] = field(default_factory=list)  # customers moved one step down
    busy: list[str] = field(default_factory=list)  # locked by a job: next sweep
    actions: dict[str, list[Action]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> dict[str, Any]:
        return {"fell_back": len(self.fell_back), "busy": len(self.busy)}


def sweep_records(connection: redis.Redis, policy: Policy, now: datetime) -> SweepResult:
    """Fall back every customer whose clean period has ended; actions by vendor, not sent."""
    result = SweepResult()
    for customer in store.due_for_fall_back(connection, now):
        try:
            with store.customer_lock(connection, customer):
                record = store.load_record(connection, customer)
                outcome = fall_back(record, policy, now)
                store.save_record(connection, outcome.record, fall_back_due(outcome.record, policy))
                if outcome.record.stage == record.stage:
                    continue
                store.append_audit(
                    connection,
                    customer,
                    [(e.kind, e.detail, e.evidence) for e in outcome.audit],
                    at=now,
                )
                result.fell_back.append(customer)
                vendor = customer.split(":", 1)[0]
                result.actions[vendor].extend(outcome.actions)
        except CustomerBusy:
            result.busy.append(customer)
    if result.fell_back:
        log.info("sweep.fell-back", extra={"customers": len(result.fell_back)})
    return result


def sweep(runtime: Runtime, now: datetime) -> dict[str, Any]:
    """The worker's sweep: fall-back (mirror writes queued as `apply` jobs), then retention."""
    from ticket_actions import batches, retention

    policy = policy_for(runtime.settings)
    result = sweep_records(runtime.redis, policy, now)
    for vendor, actions in result.actions.items():
        for action in actions:  # one customer per batch: each is its own user update
            batches.submit(runtime.redis, vendor, [action])
    summary = result.summary()
    from ticket_actions import restriction_sweep  # issue 6: review reminders and expiry

    summary |= restriction_sweep.sweep(runtime, policy, now)
    if runtime.redis.set(RETENTION_KEY, now.isoformat(), nx=True, ex=RETENTION_EVERY_SECONDS):
        summary["purged"] = vars(retention.purge(runtime.redis, policy, now))
    return summary
