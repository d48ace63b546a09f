"""Gathering `RestrictionFacts` for the `assess` job (the I/O that keeps decisions pure).

Only two kinds of event cost lookups: a decision or challenge (tags changed by staff), and later
contact from a customer under an active restriction that names an officer. For those:
- the ticket's custom fields, when the adapter can read them (`get_ticket_fields`; decisions
  otherwise take the officer and duration from tags, which a dropdown field adds too);
- each officer or deputy: their agent id by e-mail (`resolve_agent`, cached by the adapter) and
  whether they are away (the agent's user field `restrictions.officer_away_field`, cached here
  for `AWAY_CACHE_SECONDS`);
- the organisation's management contact, when the policy notifies organisations;
- the challenge reviewers.
A failed lookup never stops the worker: the fact is missing, and the decision's note says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis

from config.policy import Policy
from integration.events import Event
from ticket_actions.decisions import agents_to_resolve, is_decision_event, parse_decisions
from ticket_actions.enforcement import applies
from ticket_actions.record import ConductRecord
from ticket_actions.restriction_common import officer_email, officer_name
from ticket_actions.restriction_facts import AgentFacts, RestrictionFacts

if TYPE_CHECKING:
    from integration.helpdesk import Helpdesk

log = logging.getLogger(__name__)

AWAY_CACHE_SECONDS = 300


def gather(
    event: Event,
    record: ConductRecord,
    policy: Policy,
    helpdesk: Callable[[], Helpdesk],
    connection: redis.Redis,
    now: datetime,
) -> RestrictionFacts:
    """The facts `decide` and `enforce` need for this event (empty when they need none)."""
    rules = policy.restrictions
    deciding = is_decision_event(event, policy) and event.actor_role in ("agent", "system")
    if not deciding and not applies(record, event, now):
        return RestrictionFacts()
    ticket_fields: dict[str, Any] = {}
    if deciding and event.ticket_id:
        ticket_fields = _ticket_fields(helpdesk, event.vendor, event.ticket_id)
    refs = agents_to_resolve(event, record, ticket_fields, policy)
    if not refs and not deciding:
        return RestrictionFacts()
    desk = helpdesk()
    agents = {ref: agent_facts(desk, ref, policy, connection) for ref in refs}
    org_name: str | None = None
    org_contact: str | None = None
    decisions = parse_decisions(event.tags_added, rules) if deciding else []
    restricting = any(d.kind in rules.organisation.kinds for d in decisions)
    if restricting and rules.organisation.notify and event.organization_id:
        org_name, org_contact = _organisation(desk, event.organization_id, policy)
    reviewers: tuple[AgentFacts, ...] = ()
    if deciding and rules.tags.challenge in event.tags_added:
        reviewers = tuple(
            agent_facts(desk, email, policy, connection) for email in rules.challenge_reviewers
        )
    return RestrictionFacts(
        ticket_fields=ticket_fields,
        agents=agents,
        organization_name=org_name,
        organization_contact=org_contact,
        reviewers=reviewers,
    )


def _ticket_fields(helpdesk: Callable[[], Helpdesk], vendor: str, ticket_id: str) -> dict[str, Any]:
    """The ticket's custom fields by key, if the adapter offers `get_ticket_fields`."""
    reader = getattr(helpdesk(), "get_ticket_fields", None)
    if reader is None:
        return {}
    try:
        found = reader(ticket_id)
    except Exception as exc:  # the decision falls back to tags; its note says what is missing
        log.warning("restrictions.ticket-fields-failed", extra={"vendor": vendor,
                    "why": type(exc).__name__})  # fmt: skip
        return {}
    return dict(found) if isinstance(found, dict) else {}


def agent_facts(desk: Helpdesk, ref: str, policy: Policy, connection: redis.Redis) -> AgentFacts:
    """An officer (slug or e-mail) as the helpdesk knows them, with their away flag."""
    rules = policy.restrictions
    name = officer_name(ref, rules)
    email = officer_email(ref, rules)
    if email is None:
        return AgentFacts(ref, None, name, error="neither an officer in policy.yaml nor an e-mail")
    try:
        agent_id = desk.resolve_agent(email)
    except Exception as exc:
        log.warning("restrictions.agent-lookup-failed", extra={"why": type(exc).__name__})
        return AgentFacts(ref, None, name, email, error=f"the lookup failed ({type(exc).__name__})")
    if agent_id is None:
        return AgentFacts(ref, None, name, email, error="no agent with that e-mail address")
    return AgentFacts(ref, str(agent_id), name, email, away=_away(desk, str(agent_id), policy,
                      connection))  # fmt: skip


def _away(desk: Helpdesk, agent_id: str, policy: Policy, connection: redis.Redis) -> bool:
    key = f"conduct:officer-away:{desk.vendor}:{agent_id}"
    cached = connection.get(key)
    if cached is not None:
        return cached == b"1"
    try:
        fields = desk.get_customer_fields(agent_id)  # an agent's user fields, the same call
    except Exception as exc:
        log.warning("restrictions.away-lookup-failed", extra={"why": type(exc).__name__})
        return False
    away = bool(fields.get(policy.restrictions.officer_away_field))
    connection.set(key, "1" if away else "0", ex=AWAY_CACHE_SECONDS)
    return away


def _organisation(
    desk: Helpdesk, organization_id: str, policy: Policy
) -> tuple[str | None, str | None]:
    try:
        org = desk.get_organization(organization_id)
    except Exception as exc:
        log.warning("restrictions.organization-failed", extra={"why": type(exc).__name__})
        return None, None
    contact = (org.get("fields") or {}).get(policy.restrictions.organisation.contact_field)
    text = str(contact).strip() if contact else ""
    return org.get("name"), (text if "@" in text else None)
