"""Health flags the worker raises and `/healthz` reports (a Redis key, no heavy imports)."""

from __future__ import annotations

import redis

POLICY_DEGRADED_KEY = "conduct:health:policy-degraded"


def policy_degraded(connection: redis.Redis) -> str | None:
    """Why the policy is degraded (e.g. a configured group is missing), or None."""
    value = connection.get(POLICY_DEGRADED_KEY)
    return value.decode() if isinstance(value, bytes) else value


def mark_policy_degraded(connection: redis.Redis, reason: str) -> None:
    connection.set(POLICY_DEGRADED_KEY, reason, ex=3600)


def clear_policy_degraded(connection: redis.Redis) -> None:
    connection.delete(POLICY_DEGRADED_KEY)
