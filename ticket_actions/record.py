"""`ConductRecord`: one customer's conduct history and standing (DESIGN.md vocabulary).

Redis is the record of truth (`ticket_actions/store.py` reads and writes it as JSON); the
helpdesk holds a mirror in user fields and tags. The models are frozen: the policy returns a new
record rather than changing the one it was given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal[
    "clean",
    "warned",
    "supervisor",
    "complaint_management",
    "senior_management",
    "restricted",
    "terminated",
]
# The ladder, in order; `restricted` and `terminated` come only from a manager's decision.
LADDER: tuple[Stage, ...] = (
    "clean",
    "warned",
    "supervisor",
    "complaint_management",
    "senior_management",
)
RestrictionKind = Literal[
    "email_only",
    "letters_only",
    "named_officer",
    "conduct_agreement",
    "chat_blocked",
    "terminate",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Incident(_Frozen):
    """One message that broke the policy (or a contact-rate breach with demands)."""

    key: str  # ticket id + message id (Event.incident_key)
    event_id: str
    ticket_id: str | None
    at: datetime
    labels: tuple[str, ...]
    severity: str
    model_version: str = ""
    evidence: tuple[str, ...] = ()  # quoted spans; erased after the retention period
    withdrawn: bool = False  # a "not abusive" macro withdrew it
    # The stage before this incident moved it (None: it did not), so withdrawing it can undo.
    stage_before: Stage | None = None
    stage_since_before: datetime | None = None


class PendingWarning(_Frozen):
    """A warning was suggested to staff and has not been sent yet."""

    ticket_id: str | None
    since: datetime


class Restriction(_Frozen):
    """A manager's decision limiting contact (DESIGN.md: kind, start, end, review, officer)."""

    kind: RestrictionKind
    start: datetime
    end: datetime | None
    review_date: datetime | None
    named_officer: str | None = None
    deputy_officer: str | None = None
    decided_by: str | None = None
    ticket_id: str | None = None
    # Issue 6: when the review reminder went to the deciding manager (None: not yet), and the
    # tickets the restriction was already explained on (one automatic reply per ticket).
    reminded_at: datetime | None = None
    enforced_tickets: tuple[str, ...] = ()


class MirrorEcho(_Frozen):
    """A mirror write not yet seen coming back: `field:<key>=<value>`, `tag+:<t>`, `tag-:<t>`.

    Zendesk's user events carry no actor and may arrive late (after the record has moved on),
    so each write's echo is expected once and consumed when it arrives; an echo that never
    comes (a value that did not change) expires.
    """

    key: str
    at: datetime


class ConductRecord(_Frozen):
    customer: str  # `<vendor>:<id>`
    stage: Stage = "clean"
    stage_since: datetime | None = None
    incidents: tuple[Incident, ...] = ()
    pending_warning: PendingWarning | None = None
    restriction: Restriction | None = None
    agreement: bool = False
    # When the last contact-rate note was written (one note per rate window, not per message).
    contact_rate_noted_at: datetime | None = None
    # The values last written to the helpdesk mirror, so the plugin's own writes coming back
    # as `customer_changed` events are recognised (Zendesk user events carry no actor).
    mirror: dict[str, str] = Field(default_factory=dict)
    mirror_echoes: tuple[MirrorEcho, ...] = ()

    def active_incidents(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if not i.withdrawn)

    def has_incident(self, key: str) -> bool:
        return any(i.key == key for i in self.incidents)
