"""How many gunicorn workers `conduct serve` runs by default (no imports beyond the standard
library: the CLI reads it before it sets up multiprocess metrics)."""

from __future__ import annotations

import os


def default_workers() -> int:
    """Two sync workers per core this process may run on.

    A sync worker waits on the Redis round trip of every delivery; with one worker per core
    those waits left the cores partly idle (about 1.5 of 2 busy at saturation). gunicorn's
    documentation suggests 2 × cores + 1 as a starting point; on the 2-core development VM 4
    workers did better than 2 and 5 (docs/zendesk-webhooks.md, round 6).
    """
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    return 2 * max(1, cores)
