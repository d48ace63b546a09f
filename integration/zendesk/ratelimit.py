"""The account's Zendesk request budget, shared by every worker through Redis.

Zendesk reports the budget in response headers (recorded in the vendor recordings):
- account-wide: `x-rate-limit: 700`, `x-rate-limit-remaining: 697`, with the seconds until the
  window resets in `rate-limit-reset` (writes) or `ratelimit-reset` (lists);
- per endpoint: `zendesk-rate-limit-tickets-update: total=20; remaining=19; resets=59`
  (VENDOR_API §5 also spells list ones `zendesk-ratelimit-tickets-index`).

Which endpoint bucket a call draws on is learned from the responses themselves (the route that
answered with `zendesk-rate-limit-tickets-update` draws on `tickets-update` from then on), so no
mapping is hard-coded. Before each call `reserve` checks every bucket of the route: when one is
nearly spent it raises `TransientVendorError(retry_after=<seconds until it resets>)` instead of
calling, so workers slow down before Zendesk answers 429; otherwise it takes one request from each
bucket at once (Lua, atomic), so concurrent workers share one budget between responses.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from integration.helpdesk import TransientVendorError

ACCOUNT = "account"

# Keep this share of each window's budget unused (at least one request), for agents working in
# the Zendesk UI: their updates count against the same endpoint limits (VENDOR_API §5).
RESERVE_SHARE = 0.02

# [U] Zendesk documents per-minute windows; when a response carries `x-rate-limit` without any
# reset header, assume the window resets within a minute.
DEFAULT_WINDOW_SECONDS = 60.0

_ENDPOINT_HEADER = re.compile(r"^zendesk-rate-?limit-(?P<name>[a-z0-9-]+)$")
_FIELD = re.compile(r"(total|remaining|resets)\s*=\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Budget:
    total: int
    remaining: int
    resets_in: float  # seconds


def reserve_floor(total: int) -> int:
    return max(1, math.ceil(total * RESERVE_SHARE))


def parse_budgets(headers: Mapping[str, str]) -> dict[str, Budget]:
    """The budgets a response reports: `account` and one per endpoint header."""
    lower = {k.lower(): v for k, v in headers.items()}
    budgets: dict[str, Budget] = {}
    total, remaining = lower.get("x-rate-limit"), lower.get("x-rate-limit-remaining")
    if total is not None and remaining is not None:
        reset = lower.get("rate-limit-reset") or lower.get("ratelimit-reset")
        with contextlib.suppress(ValueError):
            budgets[ACCOUNT] = Budget(
                int(float(total)),
                int(float(remaining)),
                float(reset) if reset is not None else DEFAULT_WINDOW_SECONDS,
            )
    for name, value in lower.items():
        match = _ENDPOINT_HEADER.match(name)
        if not match:
            continue
        fields = {k: float(v) for k, v in _FIELD.findall(value)}
        if {"total", "remaining"} <= fields.keys():
            budgets[match["name"]] = Budget(
                int(fields["total"]),
                int(fields["remaining"]),
                fields.get("resets", DEFAULT_WINDOW_SECONDS),
            )
    return budgets


class BudgetStore(Protocol):
    def reserve(self, buckets: list[str], now: float) -> float:
        """0 and one request taken from each bucket, or the seconds to wait (nothing taken)."""
        ...

    def observe(self, bucket: str, budget: Budget, now: float) -> None: ...

    def routes(self) -> dict[str, list[str]]: ...

    def learn_route(self, route: str, bucket: str) -> None: ...


_RESERVE_LUA = """
local now = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
local wait = 0
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'total', 'remaining', 'reset_at')
  if v[1] and tonumber(v[3]) > now then
    local floor = math.max(1, math.ceil(tonumber(v[1]) * share))
    if tonumber(v[2]) <= floor then wait = math.max(wait, tonumber(v[3]) - now) end
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'reset_at')
  if v[1] and tonumber(v[1]) > now then redis.call('HINCRBY', key, 'remaining', -1) end
end
return '0'
"""

# Which window a response speaks for is told by its reset time. Zendesk reports whole seconds
# until a fixed window resets (recorded: `rate-limit-reset` 3, 3, 3, 2, 2 on consecutive calls),
# so answers from one window agree on it within about a second:
# - within this tolerance, the same window: the lower `remaining` wins, because responses to
#   concurrent requests arrive out of order;
# - later by more, a new window: it replaces the old one, whose spent count must not carry over;
# - earlier by more, a late answer from a window already replaced: ignored.
SAME_WINDOW_SECONDS = 1.5

_OBSERVE_LUA = """
local now = tonumber(ARGV[1])
local total, remaining, reset_at = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local tolerance = tonumber(ARGV[5])
local v = redis.call('HMGET', KEYS[1], 'remaining', 'reset_at')
if v[2] and tonumber(v[2]) > now then
  local known = tonumber(v[2])
  if reset_at < known - tolerance then return 0 end
  if reset_at <= known + tolerance then
    remaining = math.min(remaining, tonumber(v[1]))
    reset_at = math.max(reset_at, known)
  end
end
redis.call('HSET', KEYS[1], 'total', total, 'remaining', remaining, 'reset_at', reset_at)
redis.call('EXPIRE', KEYS[1], math.ceil(reset_at - now) + 60)
return 1
"""


class RedisBudgetStore:
    """Budgets in Redis, shared by every process using the same Zendesk account."""

    def __init__(self, connection: Any, namespace: str) -> None:
        self._redis = connection
        self._prefix = f"conduct:zendesk:{namespace}:ratelimit"
        self._reserve = connection.register_script(_RESERVE_LUA)
        self._observe = connection.register_script(_OBSERVE_LUA)

    def _key(self, bucket: str) -> str:
        return f"{self._prefix}:{bucket}"

    def reserve(self, buckets: list[str], now: float) -> float:
        keys = [self._key(b) for b in buckets]
        return float(self._reserve(keys=keys, args=[repr(now), RESERVE_SHARE]))

    def observe(self, bucket: str, budget: Budget, now: float) -> None:
        reset_at = now + budget.resets_in
        args = [repr(now), budget.total, budget.remaining, repr(reset_at), SAME_WINDOW_SECONDS]
        self._observe(keys=[self._key(bucket)], args=args)

    def routes(self) -> dict[str, list[str]]:
        raw = self._redis.hgetall(f"{self._prefix}:routes")
        return {
            (k.decode() if isinstance(k, bytes) else k): (
                v.decode() if isinstance(v, bytes) else v
            ).split(",")
            for k, v in raw.items()
        }

    def learn_route(self, route: str, bucket: str) -> None:
        known = self.routes().get(route, [])
        if bucket not in known:
            self._redis.hset(f"{self._prefix}:routes", route, ",".join([*known, bucket]))


class MemoryBudgetStore:
    """The same rules in one process (no Redis given: tests, a one-off script)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[str, list[float]] = {}  # bucket -> [total, remaining, reset_at]
        self._routes: dict[str, list[str]] = {}

    def reserve(self, buckets: list[str], now: float) -> float:
        with self._lock:
            live = [self._budgets[b] for b in buckets if b in self._budgets]
            live = [v for v in live if v[2] > now]
            waits = [v[2] - now for v in live if v[1] <= reserve_floor(int(v[0]))]
            if waits:
                return max(waits)
            for v in live:
                v[1] -= 1
            return 0.0

    def observe(self, bucket: str, budget: Budget, now: float) -> None:
        with self._lock:
            remaining, reset_at = float(budget.remaining), now + budget.resets_in
            old = self._budgets.get(bucket)
            if old is not None and old[2] > now:
                if reset_at < old[2] - SAME_WINDOW_SECONDS:
                    return  # a late answer from a window already replaced
                if reset_at <= old[2] + SAME_WINDOW_SECONDS:
                    remaining, reset_at = min(remaining, old[1]), max(reset_at, old[2])
            self._budgets[bucket] = [float(budget.total), remaining, reset_at]

    def routes(self) -> dict[str, list[str]]:
        with self._lock:
            return {k: list(v) for k, v in self._routes.items()}

    def learn_route(self, route: str, bucket: str) -> None:
        with self._lock:
            known = self._routes.setdefault(route, [])
            if bucket not in known:
                known.append(bucket)


class RateBudget:
    """Check before a call, learn after it."""

    def __init__(self, store: BudgetStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._routes: dict[str, list[str]] = {}

    def buckets_for(self, route: str) -> list[str]:
        if route not in self._routes:
            self._routes.update(self._store.routes())
        return [ACCOUNT, *self._routes.get(route, [])]

    def reserve(self, route: str) -> None:
        """Raise `TransientVendorError` when a bucket this route draws on is nearly spent."""
        wait = self._store.reserve(self.buckets_for(route), self._clock())
        if wait > 0:
            raise TransientVendorError(
                f"zendesk {route}: rate budget nearly spent, waiting for the window to reset",
                retry_after=wait,
            )

    def observe(self, route: str, headers: Mapping[str, str]) -> None:
        now = self._clock()
        for bucket, budget in parse_budgets(headers).items():
            self._store.observe(bucket, budget, now)
            if bucket != ACCOUNT and bucket not in self._routes.get(route, []):
                self._store.learn_route(route, bucket)
                self._routes.setdefault(route, []).append(bucket)
