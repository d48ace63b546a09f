"""Small read-through caches for facts that rarely change (the plugin's own user id, group and
agent ids, macro changes): in Redis when there is one, so every worker shares them, with a TTL so
an admin's change is picked up; in process memory otherwise. Ticket and user reads are never
cached (zenpy's default cache is the stale-read pitfall of VENDOR_API §11)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

_MISSING = object()


class Cache:
    def __init__(
        self, connection: Any | None, namespace: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = connection
        self._prefix = f"conduct:zendesk:{namespace}:cache"
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[float, Any]] = {}

    def get_or_load(self, key: str, ttl: float, load: Callable[[], Any]) -> Any:
        value = self._get(key)
        if value is _MISSING:
            value = load()
            self._set(key, value, ttl)
        return value

    def _get(self, key: str) -> Any:
        if self._redis is not None:
            raw = self._redis.get(f"{self._prefix}:{key}")
            return _MISSING if raw is None else json.loads(raw)
        with self._lock:
            hit = self._memory.get(key)
            if hit is None or hit[0] <= self._clock():
                return _MISSING
            return hit[1]

    def _set(self, key: str, value: Any, ttl: float) -> None:
        if self._redis is not None:
            self._redis.set(f"{self._prefix}:{key}", json.dumps(value), ex=max(1, int(ttl)))
            return
        with self._lock:
            self._memory[key] = (self._clock() + ttl, value)
