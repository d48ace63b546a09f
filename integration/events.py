"""`Event`: one thing that happened in a helpdesk, in vendor-neutral words.

Vendor parsers (`integration/<vendor>/payload.py`) turn a webhook payload into an `Event`; the
web tier enqueues it as a plain dict (RQ's JSON serializer) and the worker turns it back.
Names follow DESIGN.md's vocabulary.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

Vendor = Literal["zendesk", "freshdesk"]
EventKind = Literal[
    "message",  # a customer (or agent) wrote something: ticket comment, chat message
    "ticket_created",
    "tags_changed",  # a ticket's tags changed (macros and decisions arrive this way)
    "customer_changed",  # a person edited the customer's conduct mirror (user fields / tags)
    "customer_deleted",
    "customer_merged",
]
Channel = Literal["email", "web", "chat", "messaging", "phone", "api", "other"]
ActorRole = Literal["customer", "agent", "system", "self"]


@dataclass(frozen=True, slots=True)
class Event:
    """What happened, who did it and where.

    `event_id` is the delivery's dedupe key; `message_id` (with `ticket_id`) keys incidents and
    contact counts, because one comment can arrive in several deliveries.
    `customer_id` is the vendor's own id; `customer_key` is the id used across the project.
    """

    vendor: Vendor
    event_id: str
    kind: EventKind
    occurred_at: datetime
    ticket_id: str | None = None
    customer_id: str | None = None
    organization_id: str | None = None
    channel: Channel = "other"
    actor_id: str | None = None
    actor_role: ActorRole = "customer"
    message_id: str | None = None
    subject: str | None = None
    text: str = ""
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def customer_key(self) -> str | None:
        """`<vendor>:<id>`, the key of the customer's ConductRecord (None if unknown)."""
        return f"{self.vendor}:{self.customer_id}" if self.customer_id else None

    @property
    def incident_key(self) -> str:
        """Ticket id + message id: the same comment delivered twice is one incident."""
        return f"{self.ticket_id}:{self.message_id or self.event_id}"

    def to_dict(self) -> dict[str, Any]:
        # Field by field rather than `asdict` (which deep-copies every value): the web tier
        # calls this once per delivery. Only `fields` can hold nested values, so only it is
        # copied deeply, as `asdict` would.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["occurred_at"] = self.occurred_at.isoformat()
        data["tags_added"] = list(self.tags_added)
        data["tags_removed"] = list(self.tags_removed)
        data["fields"] = copy.deepcopy(self.fields) if self.fields else {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        values = dict(data)
        occurred = datetime.fromisoformat(values["occurred_at"])
        values["occurred_at"] = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
        values["tags_added"] = tuple(values.get("tags_added") or ())
        values["tags_removed"] = tuple(values.get("tags_removed") or ())
        values["fields"] = dict(values.get("fields") or {})
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(Event))
