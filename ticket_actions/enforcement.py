"""Enforcement of an active restriction on later contact, as a pure function:
`enforce(record, ladder_result, event, context, policy, now)`.

Runs after the ladder on every message from the customer (a new ticket's first one included)
while a restriction is active (start ≤ now < end). The ladder's result (an incident, its
routing) comes in, and the two are merged into one batch per ticket. Read beside
`restrictions:` in policy.yaml:

  email_only, letters_only, chat_blocked, terminate — on a channel the kind does not permit
      (`restrictions.permitted_channels`) → an automatic reply naming the permitted channel
      (the postal address for letters; the notice for chat), once per ticket; the ticket solved;
      routed to the named officer if there is one; terminate adds an internal note
  on a permitted channel → routed to the named officer if there is one
  named_officer → assigned to the officer (the deputy when the officer is away)
  conduct_agreement → nothing, unless the ladder recorded an incident: then it is a BREACH,
      straight to senior management with the agreement attached
  an incident under any other kind → the ladder's routing to senior management wins (the
      ticket is not solved or reassigned; the automatic reply still explains the restriction)

Enforcement never hides a message from staff: it stays on its ticket, which is only solved.
Zendesk has no ban endpoint for messaging: chat is enforced by reaction, here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from config.policy import Policy
from integration.actions import Action
from integration.events import Event
from ticket_actions.context import Context
from ticket_actions.policy import AuditEntry, PolicyResult
from ticket_actions.record import ConductRecord, Restriction
from ticket_actions.restriction_common import (
    MAX_ENFORCED_TICKETS,
    Batch,
    acting_officer,
    is_active,
    merge_comments,
    restriction_values,
)

# Not `ticket_created`: a new ticket's first comment also arrives as a `message` (assess.py).
MESSAGE_KINDS = ("message",)
SOLVES = ("email_only", "letters_only", "chat_blocked", "terminate")


def applies(record: ConductRecord, event: Event, now: datetime) -> bool:
    """Whether `event` is later contact from a customer under an active restriction."""
    return (
        event.kind in MESSAGE_KINDS
        and event.actor_role == "customer"
        and bool(event.ticket_id)
        and is_active(record.restriction, now)
    )


def enforce(
    record: ConductRecord,
    result: PolicyResult,
    event: Event,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    """The ladder's `result` with the restriction's enforcement added (unchanged if none)."""
    restriction = record.restriction
    if restriction is None or not applies(record, event, now) or event.ticket_id is None:
        return result
    rules = policy.restrictions
    ticket = event.ticket_id
    kind = restriction.kind
    incident = result.incident is not None
    first_time = ticket not in restriction.enforced_tickets
    batch = Batch(ticket, observe=policy.observe)
    values = restriction_values(record, restriction, policy, now)
    officer = acting_officer(restriction, context.restrictions)
    permitted = rules.permits(kind, event.channel)
    values |= {
        "channel": event.channel,
        "permitted": permitted,
        "incident": incident,
        "assigned": officer.name if officer else None,
        "assigned_deputy": officer is not None and officer.ref != restriction.named_officer,
        "breach": False,
        "notice": None,
    }
    action: str
    if kind == "conduct_agreement":
        if not incident:
            action = "none"
            if officer is not None and first_time:
                batch.agent_id = officer.agent_id
                action = "assigned"
        else:
            action = "breach"
            batch.tag(rules.tags.breach)
            batch.priority = "high"
            sent = restriction_values(record, restriction, policy, restriction.start)
            values |= {
                "breach": True,
                "notice": policy.render(
                    rules.templates.notice, **sent, extended=False, previous_end=None
                ),
            }
            batch.notes.append(policy.render(rules.templates.breach, **values))
    elif kind == "named_officer" or permitted:
        action = "none"
        if officer is not None and not incident and first_time:
            batch.agent_id = officer.agent_id
            action = "assigned"
            if kind == "named_officer":
                batch.notes.append(policy.render(rules.templates.enforced, **values))
    else:
        action = "replied" if first_time else "solved"
        if first_time:
            batch.public.append(policy.render(rules.templates.enforcement, **values))
        if not incident:
            batch.status = "solved"  # every time: a new message reopens a solved ticket
            if officer is not None and first_time:
                batch.agent_id = officer.agent_id
        if first_time or kind == "terminate":
            batch.notes.append(policy.render(rules.templates.enforced, **values))
    if action == "none":
        return result
    batch.tag(rules.tags.enforced)
    new = result.record
    if new.restriction is not None and first_time:
        new = new.model_copy(update={"restriction": _remember(new.restriction, ticket)})
    audit = [
        *result.audit,
        AuditEntry(
            "enforced",
            {"kind": kind, "ticket_id": ticket, "channel": event.channel, "action": action,
             "incident": incident},
        ),
    ]  # fmt: skip
    actions: list[Action] = merge_comments([*result.actions, *batch.actions()])
    return replace(
        result,
        record=new,
        actions=actions,
        audit=audit,
        rule=result.rule or f"enforce_{kind}",
    )


def _remember(restriction: Restriction, ticket: str) -> Restriction:
    tickets = (*restriction.enforced_tickets, ticket)[-MAX_ENFORCED_TICKETS:]
    return restriction.model_copy(update={"enforced_tickets": tickets})
