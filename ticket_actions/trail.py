"""A customer's conduct trail as text lines: `conduct audit` prints it, `conduct demo` can too."""

from __future__ import annotations

from typing import Any

import redis

from ticket_actions import store


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def trail_lines(connection: redis.Redis, customer: str, *, quotes: bool = True) -> list[str]:
    """The record's standing, then one line per audit entry (with quoted evidence if asked)."""
    record = store.load_record(connection, customer)
    since = record.stage_since.isoformat() if record.stage_since else "-"
    active = len(record.active_incidents())
    lines = [f"{customer}: stage {record.stage} since {since}; {active} active incident(s)"]
    if record.pending_warning:
        lines.append(
            f"  warning pending since {record.pending_warning.since.isoformat()} "
            f"(ticket {record.pending_warning.ticket_id})"
        )
    entries = store.read_audit(connection, customer)
    if not entries:
        lines.append("  (no audit entries)")
    for entry in entries:
        detail = ", ".join(f"{k}={_short(v)}" for k, v in sorted(entry.detail.items()))
        lines.append(f"  {entry.at}  {entry.kind:<16} {detail}")
        if quotes:
            lines.extend(f"      “{quote}”" for quote in entry.evidence)
    return lines
