"""Retention and erasure of customer data.

`purge(connection, policy, now)` deletes customer text older than the retention period
(`retention.customer_text_months`): the quotes kept beside audit entries, the evidence quoted in
conduct records' incidents, flagged texts and feedback rows. The audit trail itself (what
happened, when, by which rule) stays. `erase(connection, customer)` removes everything kept
about one customer (`conduct erase CUSTOMER`, and a user deleted in the helpdesk).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import redis

from config.policy import Policy
from ticket_actions import store
from ticket_actions.errors import CustomerBusy

log = logging.getLogger(__name__)


@dataclass
class Purged:
    audit_quotes: int = 0
    incident_quotes: int = 0
    flagged_texts: int = 0
    feedback_rows: int = 0
    busy: int = 0  # records locked by a job: left for the next purge


def _older(raw: bytes | str, cutoff: datetime) -> bool:
    at = json.loads(raw).get("at")
    return bool(at) and datetime.fromisoformat(at) < cutoff


def purge(connection: redis.Redis, policy: Policy, now: datetime) -> Purged:
    cutoff = policy.retention_cutoff(now)
    done = Purged()
    for key in connection.scan_iter(match=store.audit_text_key("*"), count=500):
        old = [f for f, v in connection.hscan_iter(key, count=500) if _older(v, cutoff)]
        if old:
            done.audit_quotes += int(connection.hdel(key, *old))
    for customer in list(store.all_customers(connection)):
        try:
            done.incident_quotes += _purge_record(connection, customer, cutoff)
        except CustomerBusy:
            done.busy += 1  # being assessed right now: the next purge takes it
    for key in connection.scan_iter(match=store.texts_key("*", "*"), count=500):
        old = [f for f, v in connection.hscan_iter(key, count=500) if _older(v, cutoff)]
        if old:
            done.flagged_texts += int(connection.hdel(key, *old))
    old_rows = [f for f, v in connection.hscan_iter(store.FEEDBACK_KEY, count=500)
                if _older(v, cutoff)]  # fmt: skip
    if old_rows:
        done.feedback_rows = int(connection.hdel(store.FEEDBACK_KEY, *old_rows))
    if any(vars(done).values()):  # counts only: never the text
        log.info("retention.purged", extra=vars(done))
    return done


def _purge_record(connection: redis.Redis, customer: str, cutoff: datetime) -> int:
    with store.customer_lock(connection, customer):
        record = store.load_record(connection, customer)
        stale = {i.key for i in record.incidents if i.at < cutoff and i.evidence}
        if not stale:
            return 0
        incidents = tuple(
            i.model_copy(update={"evidence": ()}) if i.key in stale else i for i in record.incidents
        )
        connection.set(
            store.record_key(customer),
            record.model_copy(update={"incidents": incidents}).model_dump_json(),
        )
        return len(stale)


def erase(connection: redis.Redis, customer: str) -> int:
    """Delete everything kept about `customer`; the number of keys and rows removed."""
    removed = 0
    for hkey in connection.smembers(store.texts_index_key(customer)):
        mine = [f for f, v in connection.hscan_iter(hkey, count=500)
                if json.loads(v).get("customer") == customer]  # fmt: skip
        if mine:
            removed += int(connection.hdel(hkey, *mine))
    rows = [f for f, v in connection.hscan_iter(store.FEEDBACK_KEY, count=500)
            if json.loads(v).get("customer") == customer]  # fmt: skip
    if rows:
        removed += int(connection.hdel(store.FEEDBACK_KEY, *rows))
    removed += int(
        connection.delete(
            store.record_key(customer),
            store.audit_key(customer),
            store.audit_text_key(customer),
            store.contacts_key(customer),
            store.texts_index_key(customer),
        )
    )
    removed += int(connection.zrem(store.FALL_BACK_KEY, customer))
    removed += int(connection.zrem(store.RESTRICTION_DUE_KEY, customer))
    log.info("retention.erased", extra={"customer": customer, "removed": removed})
    return removed
