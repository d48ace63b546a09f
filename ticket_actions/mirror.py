"""The customer mirror's own writes and their echoes.

Zendesk's user events carry no actor (VENDOR_API §1.4), so the plugin recognises its own mirror
writes coming back by their values. They may come back late, after the record has moved on
(a warning's write arriving after the next escalation), so the last written values are not
enough: every write's echo is expected once, consumed when it arrives, and forgotten after
`ECHO_TTL` (a value that did not change produces no event).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from integration.actions import UpdateCustomer
from integration.events import Event
from ticket_actions.record import ConductRecord, MirrorEcho

ECHO_TTL = timedelta(hours=1)  # how long a mirror write's echo is awaited


def _echo_keys(fields: dict[str, Any], added: Iterable[str], removed: Iterable[str]) -> list[str]:
    keys = [f"field:{k}={'' if v is None else v}" for k, v in fields.items()]
    return keys + [f"tag+:{t}" for t in added] + [f"tag-:{t}" for t in removed]


def remember_write(
    record: ConductRecord, update: UpdateCustomer | None, now: datetime
) -> ConductRecord:
    """The record remembering what it wrote to the mirror, and expecting each write's echo."""
    if update is None:
        return record
    written = {k: "" if v is None else str(v) for k, v in update.fields.items()}
    fresh = tuple(e for e in record.mirror_echoes if now - e.at < ECHO_TTL)
    echoes = fresh + tuple(
        MirrorEcho(key=key, at=now)
        for key in _echo_keys(update.fields, update.tags_add, update.tags_remove)
    )
    return record.model_copy(
        update={
            "mirror": {**record.mirror, **written},
            "mirror_echoes": echoes,
        }
    )


def consume_echoes(
    record: ConductRecord, event: Event, now: datetime
) -> tuple[ConductRecord, Event]:
    """The plugin's own mirror writes coming back are taken out of the event (each once)."""
    pending = [e for e in record.mirror_echoes if now - e.at < ECHO_TTL]
    if not pending and not record.mirror_echoes:
        return record, event

    def own(key: str) -> bool:
        for i, echo in enumerate(pending):
            if echo.key == key:
                del pending[i]
                return True
        return False

    fields = {k: v for k, v in event.fields.items() if not own(_echo_keys({k: v}, (), ())[0])}
    added = tuple(t for t in event.tags_added if not own(f"tag+:{t}"))
    removed = tuple(t for t in event.tags_removed if not own(f"tag-:{t}"))
    record = record.model_copy(update={"mirror_echoes": tuple(pending)})
    return record, replace(event, fields=fields, tags_added=added, tags_removed=removed)
