"""Sandbox time: settable, advanceable, and running `scale` times faster than real time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    def __init__(self, scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._scale = scale
        self._anchor_real = time.monotonic()
        self._anchor_sim = time.time()

    @property
    def scale(self) -> float:
        return self._scale

    def now(self) -> float:
        """Sandbox time, seconds since the epoch."""
        with self._lock:
            return self._anchor_sim + (time.monotonic() - self._anchor_real) * self._scale

    def _rebase(self, sim: float) -> None:
        self._anchor_real, self._anchor_sim = time.monotonic(), sim

    def set(self, when: float) -> None:
        with self._lock:
            self._rebase(when)

    def advance(self, seconds: float) -> None:
        now = self.now()
        with self._lock:
            self._rebase(now + seconds)

    def set_scale(self, scale: float) -> None:
        now = self.now()
        with self._lock:
            self._rebase(now)
            self._scale = scale

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long `sandbox_seconds` last for a client (what Retry-After must say)."""
        return sandbox_seconds / self._scale


def iso(ts: float) -> str:
    """Zendesk's timestamp form: `2023-09-18T23:26:00Z` (recordings)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(ts: float) -> str:
    """Webhook envelope `time`, with fractions (`2025-01-08T14:25:30.123456Z`, VENDOR_API §1.4)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
