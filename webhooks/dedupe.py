"""Redelivery dedupe: a delivery id is accepted once per week (Redis `SET NX EX`).

Helpdesks retry deliveries that failed or timed out, and may invoke a webhook more than once for
one action (VENDOR_API.md §1.7), so the same id can arrive several times; only the first is
queued. Keys live 7 days, longer than any vendor retries.
"""

from __future__ import annotations

import redis

DEDUPE_TTL = 7 * 24 * 3600  # seconds


def dedupe_key(vendor: str, delivery_id: str) -> str:
    return f"conduct:dedupe:{vendor}:{delivery_id}"


def first_delivery(connection: redis.Redis, vendor: str, delivery_id: str) -> bool:
    """True the first time this id is seen (and records it); False for a redelivery."""
    return bool(connection.set(dedupe_key(vendor, delivery_id), 1, nx=True, ex=DEDUPE_TTL))


def forget(connection: redis.Redis, vendor: str, delivery_id: str) -> None:
    """Undo `first_delivery` when the work could not be queued, so the retry is accepted."""
    connection.delete(dedupe_key(vendor, delivery_id))
