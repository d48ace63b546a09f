"""What decisions, enforcement and expiry share (pure): the batch being built for one ticket,
the customer mirror of a restriction, the values the notice templates read, dates.

The notice templates (`config/templates/notice_*.j2`, `decision_*.j2`) all receive
`restriction_values(...)`: why (the conduct, with dates and quoted evidence), what (the
restriction, the permitted channel, officer or postal address), how long (start, end), the
review date, and how to challenge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.policy import Policy, TicketPriority, TicketStatus
from config.policy_restrictions import RestrictionKind, RestrictionPolicy
from integration.actions import (
    Action,
    AddTags,
    Assign,
    Comment,
    CreateTicket,
    RemoveTags,
    SetPriority,
    SetStatus,
    UpdateCustomer,
)
from ticket_actions.record import LADDER, ConductRecord, Restriction, Stage
from ticket_actions.restriction_facts import AgentFacts, RestrictionFacts

MAX_QUOTES_PER_INCIDENT = 3
MAX_ENFORCED_TICKETS = 100

# What each category means in words a customer reads (the usage policy's list).
CONDUCT_WORDS = {
    "profanity": "swearing",
    "insult": "insults and verbal abuse",
    "threat": "aggressive or threatening language",
    "identity_attack": "racial, sexual or other abuse aimed at who a person is",
    "unrealistic_demand": "persistent, unrealistic demands that cause stress to staff",
}
KIND_WORDS = {
    "email_only": "contact by e-mail only",
    "letters_only": "contact by letter only",
    "named_officer": "contact through a named officer only",
    "conduct_agreement": "an agreement about your conduct",
    "chat_blocked": "no use of our live chat",
    "terminate": "an end to contact with our support team",
}
STAGE_OF_KIND: dict[RestrictionKind, Stage] = {
    "email_only": "restricted",
    "letters_only": "restricted",
    "named_officer": "restricted",
    "conduct_agreement": "restricted",
    "chat_blocked": "restricted",
    "terminate": "terminated",
}


def vendor_id(customer: str) -> str:
    return customer.split(":", 1)[1] if ":" in customer else customer


def is_active(restriction: Restriction | None, now: datetime) -> bool:
    if restriction is None or now < restriction.start:
        return False
    return restriction.end is None or now < restriction.end


def restriction_due(record: ConductRecord) -> datetime | None:
    """When the sweep next has something to do for this record's restriction (None: never)."""
    restriction = record.restriction
    if restriction is None:
        return None
    moments = [m for m in (restriction.end,) if m is not None]
    if restriction.reminded_at is None and restriction.review_date is not None:
        moments.append(restriction.review_date)
    return min(moments) if moments else None


def local(moment: datetime, policy: Policy) -> datetime:
    return moment.astimezone(ZoneInfo(policy.working_hours.timezone))


def day(moment: datetime | None, policy: Policy) -> str:
    """A date as the customer reads it: `Wednesday 4 March 2026`."""
    if moment is None:
        return ""
    value = local(moment, policy)
    return f"{value:%A} {value.day} {value:%B %Y}"


def iso_day(moment: datetime | None, policy: Policy) -> str:
    """A date as a helpdesk date field takes it: `2026-03-04` (empty: none)."""
    return local(moment, policy).date().isoformat() if moment is not None else ""


# -- the batch for one ticket --------------------------------------------------------------
@dataclass
class Batch:
    """Actions for one ticket and one customer, notes joined into one internal comment so the
    adapter makes the fewest updates. `observe` keeps tags and internal notes only."""

    ticket_id: str | None
    observe: bool = False
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    group_id: str | None = None
    agent_id: str | None = None
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    customer: UpdateCustomer | None = None
    creates: list[CreateTicket] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    def tag(self, *tags: str) -> None:
        for tag in tags:
            if tag in self.remove:
                self.remove.remove(tag)
            if tag not in self.add:
                self.add.append(tag)

    def untag(self, *tags: str) -> None:
        for tag in tags:
            if tag in self.add:
                self.add.remove(tag)
            if tag not in self.remove:
                self.remove.append(tag)

    def actions(self) -> list[Action]:
        if self.observe:
            self._withhold()
        out: list[Action] = []
        ticket = self.ticket_id
        if ticket:
            if self.add:
                out.append(AddTags(ticket, tuple(self.add)))
            if self.remove:
                out.append(RemoveTags(ticket, tuple(self.remove)))
            if self.notes:
                note = "\n\n".join(self.notes)
                if self.withheld:
                    note += (
                        "\n\n[Observe mode: Conduct Guard writes tags and internal notes only. "
                        f"Not done: {'; '.join(self.withheld)}.]"
                    )
                out.append(Comment(ticket, note, public=False))
        if self.observe:
            return out
        if ticket:
            out.extend(Comment(ticket, body, public=True) for body in self.public)
            if self.group_id or self.agent_id:
                out.append(Assign(ticket, group_id=self.group_id, agent_id=self.agent_id))
            if self.status:
                out.append(SetStatus(ticket, self.status))
            if self.priority:
                out.append(SetPriority(ticket, self.priority))
        if self.customer is not None:
            out.append(self.customer)
        out.extend(self.creates)
        return out

    def _withhold(self) -> None:
        if self.public:
            self.withheld.append("the message to the customer")
        if self.group_id or self.agent_id:
            self.withheld.append("the assignment")
        if self.status:
            self.withheld.append(f"status {self.status}")
        if self.priority:
            self.withheld.append(f"priority {self.priority}")
        if self.customer is not None:
            self.withheld.append("the customer's conduct fields and tags")
        for create in self.creates:
            self.withheld.append(f"the new ticket “{create.subject}”")


def merge_comments(actions: list[Action]) -> list[Action]:
    """Join the internal notes on a ticket into one, and the public replies into one: each
    comment beyond the first costs the adapter one more ticket update."""
    out: list[Action] = []
    seen: dict[tuple[str, bool], int] = {}
    for action in actions:
        if isinstance(action, Comment):
            key = (action.ticket_id, action.public)
            if key in seen:
                index = seen[key]
                first = out[index]
                assert isinstance(first, Comment)
                out[index] = Comment(
                    first.ticket_id, f"{first.body}\n\n{action.body}", first.public
                )
                continue
            seen[key] = len(out)
        out.append(action)
    return out


# -- the mirror ----------------------------------------------------------------------------
def mirror_update(record: ConductRecord, policy: Policy) -> UpdateCustomer:
    """The customer's user fields and tags as `record` has them (stage and restriction)."""
    rules = policy.restrictions
    tags = rules.tags
    restriction = record.restriction
    names = rules.mirror
    fields: dict[str, str] = {
        policy.mirror.stage_field: record.stage,
        policy.mirror.since_field: iso_day(record.stage_since, policy),
        names.kind: restriction.kind if restriction else "",
        names.start: iso_day(restriction.start, policy) if restriction else "",
        names.end: iso_day(restriction.end, policy) if restriction else "",
        names.review: iso_day(restriction.review_date, policy) if restriction else "",
        names.officer: officer_name(restriction.named_officer, rules) if restriction else "",
        names.decided_by: (restriction.decided_by or "") if restriction else "",
    }
    stages: tuple[Stage, ...] = (*LADDER, "restricted", "terminated")
    restricted = [tags.restricted, *(tags.restricted_kind(k) for k in STAGE_OF_KIND)]
    add = [policy.tags.stage(record.stage)]
    if restriction is not None:
        add += [tags.restricted, tags.restricted_kind(restriction.kind)]
    remove = [t for t in (*(policy.tags.stage(s) for s in stages), *restricted) if t not in add]
    return UpdateCustomer(
        customer_id=vendor_id(record.customer),
        fields=fields,
        tags_add=tuple(add),
        tags_remove=tuple(remove),
    )


# -- officers ------------------------------------------------------------------------------
def officer_name(ref: str | None, rules: RestrictionPolicy) -> str:
    if not ref:
        return ""
    officer = rules.officer(ref)
    return officer.name if officer else ref


def officer_email(ref: str | None, rules: RestrictionPolicy) -> str | None:
    if not ref:
        return None
    officer = rules.officer(ref)
    return officer.email if officer else (ref if "@" in ref else None)


def acting_officer(restriction: Restriction, facts: RestrictionFacts) -> AgentFacts | None:
    """The named officer, or the deputy when the officer is away (None: neither resolved)."""
    officer = facts.agents.get(restriction.named_officer or "")
    deputy = facts.agents.get(restriction.deputy_officer or "")
    if officer is not None and officer.agent_id and not officer.away:
        return officer
    if deputy is not None and deputy.agent_id:
        return deputy
    if officer is not None and officer.agent_id:
        return officer  # away, and no deputy to stand in
    return None


# -- what the templates read ---------------------------------------------------------------
def conduct_history(record: ConductRecord, policy: Policy) -> list[dict[str, Any]]:
    """The incidents behind a decision: dates, the conduct in words, the quoted evidence."""
    return [
        {
            "date": day(incident.at, policy),
            "ticket_id": incident.ticket_id,
            "conduct": [CONDUCT_WORDS.get(label, label) for label in incident.labels],
            "labels": list(incident.labels),
            "severity": incident.severity,
            "evidence": list(incident.evidence[:MAX_QUOTES_PER_INCIDENT]),
        }
        for incident in record.active_incidents()
    ]


def restriction_values(
    record: ConductRecord, restriction: Restriction, policy: Policy, now: datetime
) -> dict[str, Any]:
    rules = policy.restrictions
    days = (restriction.end - restriction.start).days if restriction.end else None
    return {
        "customer": record.customer,
        "kind": restriction.kind,
        "what": KIND_WORDS[restriction.kind],
        "start": day(restriction.start, policy),
        "end": day(restriction.end, policy) if restriction.end else None,
        "days": days,
        "review": day(restriction.review_date, policy),
        "officer": officer_name(restriction.named_officer, rules) or None,
        "officer_email": officer_email(restriction.named_officer, rules),
        "deputy": officer_name(restriction.deputy_officer, rules) or None,
        "deputy_email": officer_email(restriction.deputy_officer, rules),
        "email_address": rules.email_address,
        "postal_address": rules.postal_address,
        "challenge_within_days": rules.challenge_within_days,
        "challenge_contact": rules.challenge_contact,
        "decided_by": restriction.decided_by,
        "decision_ticket": restriction.ticket_id,
        "incidents": conduct_history(record, policy),
        "today": day(now, policy),
    }
