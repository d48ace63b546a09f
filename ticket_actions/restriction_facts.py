"""`RestrictionFacts`: what the `assess` job looks up for decisions and enforcement, so
`decisions.py` and `enforcement.py` stay pure (they travel in `Context.restrictions`).

Values only, no I/O here: `ticket_actions/restriction_context.py` gathers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AgentFacts:
    """A named officer, deputy or reviewer as the helpdesk knows them."""

    ref: str  # as the decision named them: an officer slug (policy.yaml) or an e-mail
    agent_id: str | None  # None: the helpdesk has no such agent
    name: str
    email: str | None = None
    away: bool = False  # the officer-away user field is set
    error: str | None = None  # why `agent_id` is None, for the note


@dataclass(frozen=True)
class RestrictionFacts:
    # Ticket custom field values by key (when the adapter could read them; decisions also
    # accept the values as tags or on the event itself).
    ticket_fields: Mapping[str, Any] = field(default_factory=dict)
    agents: Mapping[str, AgentFacts] = field(default_factory=dict)  # by ref
    organization_name: str | None = None
    organization_contact: str | None = None  # the management contact's e-mail address
    reviewers: tuple[AgentFacts, ...] = ()  # challenge reviewers, in policy order
