"""The sweep's part for restrictions: review reminders and expiry at their due dates.

Due dates live in Redis (`store.RESTRICTION_DUE_KEY`, kept by `store.save_record` from the
record itself), so they survive a restart of Redis (AOF) and of the workers; nothing is
scheduled months ahead. Callable with any `now` (tests move the clock, never sleep).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import redis

from config.policy import Policy
from integration.actions import Action
from ticket_actions import store
from ticket_actions.errors import CustomerBusy
from ticket_actions.policy import fall_back_due
from ticket_actions.restriction_expiry import on_due

if TYPE_CHECKING:
    from ticket_actions.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class RestrictionSweep:
    reminded: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    # (vendor, the customer's actions): one batch per customer (its user update and tickets)
    batches: list[tuple[str, list[Action]]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "reminded": len(self.reminded),
            "ended": len(self.ended),
            "restrictions_busy": len(self.busy),
        }


def due_customers(connection: redis.Redis, now: datetime, limit: int = 500) -> list[str]:
    found = connection.zrangebyscore(
        store.RESTRICTION_DUE_KEY, "-inf", now.timestamp(), start=0, num=limit
    )
    return [c.decode() if isinstance(c, bytes) else str(c) for c in cast(list[Any], found)]


def sweep_restrictions(connection: redis.Redis, policy: Policy, now: datetime) -> RestrictionSweep:
    """Remind and expire whatever is due at `now`; actions returned, not sent."""
    result = RestrictionSweep()
    for customer in due_customers(connection, now):
        try:
            with store.customer_lock(connection, customer):
                record = store.load_record(connection, customer)
                outcome = on_due(record, policy, now)
                store.save_record(connection, outcome.record, fall_back_due(outcome.record, policy))
                if outcome.rule is None:
                    continue
                store.append_audit(
                    connection,
                    customer,
                    [(e.kind, e.detail, e.evidence) for e in outcome.audit],
                    at=now,
                )
                (result.ended if outcome.rule == "restriction_ended" else result.reminded).append(
                    customer
                )
                if outcome.actions:
                    result.batches.append((customer.split(":", 1)[0], list(outcome.actions)))
        except CustomerBusy:
            result.busy.append(customer)
    if result.reminded or result.ended:
        log.info(
            "sweep.restrictions",
            extra={"reminded": len(result.reminded), "ended": len(result.ended)},
        )
    return result


def sweep(runtime: Runtime, policy: Policy, now: datetime) -> dict[str, Any]:
    """The worker's sweep for restrictions: each customer's actions queued as one `apply`."""
    from ticket_actions import batches

    result = sweep_restrictions(runtime.redis, policy, now)
    for vendor, actions in result.batches:
        batches.submit(runtime.redis, vendor, actions)
    return result.summary()
