"""Fixed-window request limits, in sandbox time.

Zendesk's windows are fixed: the recorded `rate-limit-reset` counts down 59, 52, 48, 47 ... over
successive calls within one minute (vendor recordings). A window opens with its first request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_in: float  # sandbox seconds until the window resets


class FixedWindows:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (start, count)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def peek(self, key: str, limit: int, window: float, now: float) -> Verdict:
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
        if now >= start + window:
            start, count = now, 0
        return Verdict(count < limit, limit, max(0, limit - count), start + window - now)

    def hit(self, key: str, limit: int, window: float, now: float) -> Verdict:
        """Count one request if the window allows it."""
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now >= start + window:
                start, count = now, 0
            if count >= limit:
                return Verdict(False, limit, 0, start + window - now)
            self._windows[key] = (start, count + 1)
            return Verdict(True, limit, limit - count - 1, start + window - now)
