"""Redis storage for the conduct ladder: records, the per-customer lock, the audit trail, contact
counts, flagged texts and feedback.

Keys (customer = `<vendor>:<id>`):
- `conduct:record:<customer>`        the `ConductRecord` as JSON (the record of truth)
- `conduct:lock:<customer>`          the per-customer lock (SET NX with an expiry)
- `conduct:audit:<customer>`         the audit trail, a Redis stream (persisted with the AOF)
- `conduct:audit-text:<customer>`    customer text quoted by audit entries, by entry id, kept
                                     apart so retention can delete it and keep the trail
- `conduct:contacts:<customer>`      contacts in the rate window (sorted set: ticket+message id
                                     → time), so a redelivery never counts twice
- `conduct:texts:<vendor>:<ticket>`  flagged messages on a ticket (message key → text, labels),
                                     what a "not abusive" macro turns into feedback
- `conduct:feedback`                 feedback rows (id → JSON), exported for training
- `conduct:due:fall-back`            customers by the moment their stage falls back (the sweep)
- `conduct:due:restriction`          customers by the moment their restriction's review or end
                                     falls due (issue 6; the sweep)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import redis
from redis.lock import Lock

from ticket_actions.errors import CustomerBusy
from ticket_actions.record import ConductRecord
from ticket_actions.restriction_common import restriction_due

log = logging.getLogger(__name__)

LOCK_SECONDS = 30  # far above one assessment; expires if a worker dies holding it
FALL_BACK_KEY = "conduct:due:fall-back"
RESTRICTION_DUE_KEY = "conduct:due:restriction"
FEEDBACK_KEY = "conduct:feedback"


def record_key(customer: str) -> str:
    return f"conduct:record:{customer}"


def lock_key(customer: str) -> str:
    return f"conduct:lock:{customer}"


def audit_key(customer: str) -> str:
    return f"conduct:audit:{customer}"


def audit_text_key(customer: str) -> str:
    return f"conduct:audit-text:{customer}"


def contacts_key(customer: str) -> str:
    return f"conduct:contacts:{customer}"


def texts_key(vendor: str, ticket_id: str) -> str:
    return f"conduct:texts:{vendor}:{ticket_id}"


def texts_index_key(customer: str) -> str:
    return f"conduct:texts-of:{customer}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# -- the record ----------------------------------------------------------------------------
def load_record(connection: redis.Redis, customer: str) -> ConductRecord:
    raw = connection.get(record_key(customer))
    if raw is None:
        return ConductRecord(customer=customer)
    return ConductRecord.model_validate_json(raw)


def save_record(
    connection: redis.Redis, record: ConductRecord, fall_back_at: datetime | None
) -> None:
    """Write the record, and the moment its stage falls back (None: it does not)."""
    with connection.pipeline(transaction=True) as pipe:
        pipe.set(record_key(record.customer), record.model_dump_json())
        if fall_back_at is None:
            pipe.zrem(FALL_BACK_KEY, record.customer)
        else:
            pipe.zadd(FALL_BACK_KEY, {record.customer: fall_back_at.timestamp()})
        restriction_at = restriction_due(record)  # issue 6: review reminder or expiry
        if restriction_at is None:
            pipe.zrem(RESTRICTION_DUE_KEY, record.customer)
        else:
            pipe.zadd(RESTRICTION_DUE_KEY, {record.customer: restriction_at.timestamp()})
        pipe.execute()


def due_for_fall_back(connection: redis.Redis, now: datetime, limit: int = 500) -> list[str]:
    found = connection.zrangebyscore(FALL_BACK_KEY, "-inf", now.timestamp(), start=0, num=limit)
    return [_text(cast(bytes, c)) for c in found]


def all_customers(connection: redis.Redis) -> Iterator[str]:
    prefix = record_key("")
    for key in connection.scan_iter(match=f"{prefix}*", count=500):
        yield _text(key).removeprefix(prefix)


# -- the per-customer lock -----------------------------------------------------------------
@contextmanager
def customer_lock(connection: redis.Redis, customer: str) -> Iterator[Lock]:
    """Hold the customer's lock (SET NX + expiry), or raise `CustomerBusy` at once."""
    lock = connection.lock(lock_key(customer), timeout=LOCK_SECONDS, blocking=False)
    if not lock.acquire(blocking=False):
        raise CustomerBusy(customer)
    try:
        yield lock
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("store.lock-expired", extra={"customer": customer})


# -- the audit trail -----------------------------------------------------------------------
@dataclass(frozen=True)
class AuditLine:
    id: str
    at: str
    kind: str
    detail: dict[str, Any]
    evidence: tuple[str, ...]


def append_audit(
    connection: redis.Redis,
    customer: str,
    entries: Iterable[tuple[str, dict[str, Any], tuple[str, ...]]],
    *,
    at: datetime,
    event_id: str | None = None,
) -> list[str]:
    """Append `(kind, detail, evidence)` entries; evidence (customer text) goes beside them."""
    ids: list[str] = []
    for kind, detail, evidence in entries:
        fields = {
            "at": at.isoformat(),
            "kind": kind,
            "event_id": event_id or "",
            "detail": json.dumps(detail, default=str, sort_keys=True),
        }
        entry_id = _text(connection.xadd(audit_key(customer), fields))  # type: ignore[arg-type]
        ids.append(entry_id)
        if evidence:
            value = json.dumps({"at": at.isoformat(), "evidence": list(evidence)})
            connection.hset(audit_text_key(customer), entry_id, value)
    return ids


def read_audit(connection: redis.Redis, customer: str) -> list[AuditLine]:
    texts = {
        _text(k): json.loads(v) for k, v in connection.hgetall(audit_text_key(customer)).items()
    }
    lines: list[AuditLine] = []
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], connection.xrange(audit_key(customer)))
    for raw_id, raw in entries:
        entry_id = _text(raw_id)
        fields = {_text(k): _text(v) for k, v in raw.items()}
        lines.append(
            AuditLine(
                id=entry_id,
                at=fields.get("at", ""),
                kind=fields.get("kind", ""),
                detail=json.loads(fields.get("detail") or "{}"),
                evidence=tuple(texts.get(entry_id, {}).get("evidence", ())),
            )
        )
    return lines


# -- contacts ------------------------------------------------------------------------------
def count_contact(
    connection: redis.Redis, customer: str, key: str, at: datetime, window: timedelta
) -> int:
    """Record one contact (idempotent per ticket + message id); contacts within `window`."""
    zkey = contacts_key(customer)
    since = (at - window).timestamp()
    with connection.pipeline(transaction=True) as pipe:
        pipe.zadd(zkey, {key: at.timestamp()}, nx=True)
        pipe.zremrangebyscore(zkey, "-inf", f"({since}")
        pipe.zcount(zkey, since, "+inf")
        pipe.expire(zkey, int(window.total_seconds()) + 3600)
        _, _, count, _ = pipe.execute()
    return int(count)


# -- flagged texts and feedback ------------------------------------------------------------
def save_flagged_text(
    connection: redis.Redis,
    *,
    vendor: str,
    ticket_id: str,
    key: str,
    customer: str,
    text: str,
    labels: Iterable[str],
    severity: str,
    at: datetime,
    keep: timedelta,
) -> None:
    """Keep a flagged message's text (for feedback if staff say it was not abusive)."""
    value = {
        "customer": customer,
        "text": text,
        "labels": list(labels),
        "severity": severity,
        "at": at.isoformat(),
    }
    hkey = texts_key(vendor, ticket_id)
    ttl = max(1, int(keep.total_seconds()))
    with connection.pipeline(transaction=True) as pipe:
        pipe.hset(hkey, key, json.dumps(value))
        pipe.expire(hkey, ttl)
        pipe.sadd(texts_index_key(customer), hkey)
        pipe.expire(texts_index_key(customer), ttl)
        pipe.execute()


def store_feedback(
    connection: redis.Redis,
    *,
    vendor: str,
    ticket_id: str,
    labels: Iterable[str],
    severity: str,
    at: datetime,
    actor_id: str | None = None,
) -> int:
    """Turn the flagged texts on a ticket into feedback rows with corrected labels."""
    written = 0
    corrected = list(labels)
    for raw_key, raw in connection.hgetall(texts_key(vendor, ticket_id)).items():
        key = _text(raw_key)
        flagged = json.loads(raw)
        row = {
            "id": f"feedback:{vendor}:{key}",
            "text": flagged["text"],
            "labels": corrected,
            "severity": severity,
            "source": "feedback",
            "flagged_labels": flagged["labels"],
            "flagged_severity": flagged["severity"],
            "customer": flagged["customer"],
            "at": at.isoformat(),
            "by": actor_id,
        }
        written += int(connection.hset(FEEDBACK_KEY, row["id"], json.dumps(row)))
    return written


def feedback_rows(connection: redis.Redis) -> Iterator[dict[str, Any]]:
    for _, raw in sorted(connection.hscan_iter(FEEDBACK_KEY, count=500)):
        yield json.loads(raw)
