"""Managers' decisions as a pure function: `decide(record, event, context, policy, now)`.

A decision arrives as a `tags_changed` event: a manager applied a decision macro, which added
`conduct_decision_<kind>[_<days>d]` (DESIGN.md vocabulary). Read beside the employee-protection
policy ("the decision to restrict ... will be taken at high management level ... in all cases
[we] will write to tell the customer why ..., what action is going to be taken and the duration")
and `restrictions:` in policy.yaml:

  by anyone outside `restrictions.decider_group`, or not by a person → REFUSED: an internal note
      says why; the decision tag is taken off the ticket (so the macro can be applied again by a
      manager); nothing else changes
  two decisions at once, a duration over `durations.max_days`, letters only with no postal
      address, a named officer missing or unknown                     → refused, likewise
  email_only · letters_only · named_officer · conduct_agreement · chat_blocked · terminate
      → the restriction in the record (start now; end after the tag's days, else the ticket
        field's, else `durations`; the review `review_lead_working_days` working days before the
        end); stage `restricted` (`terminated`); the mirror (user fields and tags
        `conduct_restricted`, `conduct_restricted_<kind>`); the named officer assigned (the
        deputy when the officer is away); the written notice (a public reply, or a new ticket
        to the customer); the organisation's management contact told (when configured), never
        the customer's words; an internal note of what was done
  lift   → the restriction ends now (record, mirror, a note, a short notice if configured)
  extend → the end moves on by the tag's days (else `durations.extend`), a new review date,
           a new written notice
  no_action → an internal note and the audit trail; nothing else
A "challenge received" macro (`conduct_challenge_received`, any agent) → the ticket goes to a
senior manager other than the one who decided, with the whole file: incidents and evidence,
the decision, the notice as sent.

The officer, the deputy and a duration override come from the ticket's custom fields (the
event's `fields`, or `Context.restrictions.ticket_fields` when the adapter read them) or from
tags added in the same change (a dropdown field adds its option's tag, and so can the macro):
`conduct_officer_<slug>`, `conduct_deputy_<slug>`, `conduct_days_<n>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config.policy import Policy
from config.policy_restrictions import (
    DECISION_KINDS,
    DecisionKind,
    RestrictionKind,
    RestrictionPolicy,
    working_days_from,
)
from integration.actions import CreateTicket
from integration.events import Event
from ticket_actions.context import Context
from ticket_actions.mirror import remember_write
from ticket_actions.policy import AuditEntry, PolicyResult
from ticket_actions.record import ConductRecord, Restriction
from ticket_actions.restriction_common import (
    KIND_WORDS,
    STAGE_OF_KIND,
    Batch,
    acting_officer,
    conduct_history,
    day,
    mirror_update,
    restriction_values,
    vendor_id,
)


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    days: int | None  # from the tag (`_<n>d`), if it said
    tag: str


@dataclass(frozen=True)
class Choices:
    """What the manager chose beside the macro: officer, deputy, a duration override."""

    officer: str | None = None  # an officer slug from policy.yaml, or an e-mail address
    deputy: str | None = None
    days: int | None = None


# -- reading the event ---------------------------------------------------------------------
def _decision_pattern(rules: RestrictionPolicy) -> re.Pattern[str]:
    kinds = "|".join(sorted(DECISION_KINDS, key=len, reverse=True))
    return re.compile(rf"^{re.escape(rules.tags.decision_prefix)}({kinds})(?:_(\d+)d)?$")


def parse_decisions(tags: Iterable[str], rules: RestrictionPolicy) -> list[Decision]:
    """The decision tags among `tags`, in order."""
    pattern = _decision_pattern(rules)
    found: list[Decision] = []
    for tag in tags:
        match = pattern.match(tag)
        if match:
            kind: DecisionKind = match.group(1)  # type: ignore[assignment]
            found.append(Decision(kind, int(match.group(2)) if match.group(2) else None, tag))
    return found


def is_decision_event(event: Event, policy: Policy) -> bool:
    """A tags change carrying a decision or a challenge (what `decide` acts on)."""
    rules = policy.restrictions
    return event.kind == "tags_changed" and (
        rules.tags.challenge in event.tags_added or bool(parse_decisions(event.tags_added, rules))
    )


def _canonical(value: Any, rules: RestrictionPolicy, prefix: str) -> str | None:
    """An officer reference: the slug when policy.yaml names the officer, else the e-mail."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().removeprefix(prefix)
    if not text:
        return None
    if text in rules.officers:
        return text
    wanted = text.casefold()
    slug = next((s for s, o in rules.officers.items() if o.email.casefold() == wanted), None)
    return slug or text


def _days(value: Any, prefix: str) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().removeprefix(prefix).removesuffix("d")
    try:
        days = int(float(text))
    except ValueError:
        return None
    return days if days > 0 else None


def choices(event: Event, ticket_fields: Mapping[str, Any], rules: RestrictionPolicy) -> Choices:
    """Officer, deputy and duration override, from the fields first, then from the tags."""
    keys = rules.ticket_fields
    tags = rules.tags
    fields = {**ticket_fields, **event.fields}
    officer = _canonical(fields.get(keys.officer), rules, tags.officer_prefix)
    deputy = _canonical(fields.get(keys.deputy), rules, tags.deputy_prefix)
    days = _days(fields.get(keys.days), tags.days_prefix)
    for tag in event.tags_added:
        if officer is None and tag.startswith(tags.officer_prefix):
            officer = _canonical(tag, rules, tags.officer_prefix)
        elif deputy is None and tag.startswith(tags.deputy_prefix):
            deputy = _canonical(tag, rules, tags.deputy_prefix)
        elif days is None and tag.startswith(tags.days_prefix):
            days = _days(tag, tags.days_prefix)
    return Choices(officer, deputy, days)


def agents_to_resolve(
    event: Event, record: ConductRecord, ticket_fields: Mapping[str, Any], policy: Policy
) -> list[str]:
    """Officer references the `assess` job should look up for this event."""
    refs: list[str] = []
    if is_decision_event(event, policy):
        chosen = choices(event, ticket_fields, policy.restrictions)
        refs += [r for r in (chosen.officer, chosen.deputy) if r]
    restriction = record.restriction
    if restriction is not None:
        refs += [r for r in (restriction.named_officer, restriction.deputy_officer) if r]
    return list(dict.fromkeys(refs))


# -- the entry point -----------------------------------------------------------------------
def decide(
    record: ConductRecord,
    event: Event,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult | None:
    """What a decision or challenge does (None: the event carries neither)."""
    if event.kind != "tags_changed":
        return None
    rules = policy.restrictions
    decisions = parse_decisions(event.tags_added, rules)
    challenge = rules.tags.challenge in event.tags_added
    if not decisions and not challenge:
        return None
    if event.actor_role in ("self", "customer") or not event.ticket_id:
        return PolicyResult(record)
    batch = Batch(event.ticket_id, observe=policy.observe)
    if not decisions:
        return _challenge(record, event, context, policy, now, batch)
    batch.untag(*(d.tag for d in decisions))
    why = _not_allowed(event, context, policy)
    if why is None and len(decisions) > 1:
        why = "more than one decision was applied at once; please apply one decision macro"
    if why is not None:
        return _refuse(record, event, decisions[0], why, policy, batch)
    decision = decisions[0]
    if decision.kind == "no_action":
        return _no_action(record, event, decision, policy, now, batch)
    if decision.kind == "lift":
        return _lift(record, event, decision, context, policy, now, batch)
    if decision.kind == "extend":
        return _extend(record, event, decision, context, policy, now, batch)
    return _restrict(record, event, decision, context, policy, now, batch)


def _not_allowed(event: Event, context: Context, policy: Policy) -> str | None:
    rules = policy.restrictions
    group = policy.groups.get(rules.decider_group, rules.decider_group)
    if event.actor_role != "agent" or not event.actor_id:
        return "the change was not made by a person (a trigger, an automation or the system)"
    members = {g.casefold() for g in context.agent_groups}
    if group.casefold() not in members:
        return (
            f"agent {event.actor_id} is not a member of the group “{group}”: only senior "
            "management may decide a restriction (employee-protection policy)"
        )
    return None


def _result(
    record: ConductRecord,
    new: ConductRecord,
    batch: Batch,
    audit: list[AuditEntry],
    rule: str,
    policy: Policy,
    routing_failures: tuple[str, ...] = (),
) -> PolicyResult:
    if new.stage != record.stage:
        audit.append(AuditEntry("stage", {"from": record.stage, "to": new.stage, "rule": rule}))
    return PolicyResult(
        record=new,
        actions=batch.actions(),
        audit=audit,
        rule=rule,
        routing_failures=routing_failures,
    )


def _refuse(
    record: ConductRecord,
    event: Event,
    decision: Decision,
    why: str,
    policy: Policy,
    batch: Batch,
) -> PolicyResult:
    batch.notes.append(
        policy.render(
            policy.restrictions.templates.refused,
            decision=_decision_words(decision),
            tag=decision.tag,
            actor_id=event.actor_id,
            why=why,
            group=policy.groups.get(policy.restrictions.decider_group, ""),
        )
    )
    audit = [
        AuditEntry(
            "decision_refused",
            {"tag": decision.tag, "actor_id": event.actor_id, "ticket_id": event.ticket_id,
             "why": why},
        )
    ]  # fmt: skip
    return _result(record, record, batch, audit, "decision_refused", policy)


def _decision_words(decision: Decision) -> str:
    words = {
        **KIND_WORDS,
        "lift": "lift the restriction",
        "extend": "extend the restriction",
        "no_action": "no action",
    }
    text = words[decision.kind]
    return f"{text}, {decision.days} days" if decision.days else text


# -- restrict ------------------------------------------------------------------------------
def review_date(start: datetime, end: datetime | None, policy: Policy, now: datetime) -> datetime:
    """`review_lead_working_days` working days before the end (at opening time), or, with no
    end, `indefinite_review_working_days` after the start; never before `now`."""
    rules = policy.restrictions
    hours = policy.working_hours
    if end is None:
        return working_days_from(hours, start, rules.indefinite_review_working_days)
    review = working_days_from(hours, end, -rules.review_lead_working_days)
    return max(review, now)


def _restrict(
    record: ConductRecord,
    event: Event,
    decision: Decision,
    context: Context,
    policy: Policy,
    now: datetime,
    batch: Batch,
) -> PolicyResult:
    rules = policy.restrictions
    facts = context.restrictions
    kind: RestrictionKind = decision.kind  # type: ignore[assignment]
    chosen = choices(event, facts.ticket_fields, rules)
    days = chosen.days or decision.days or rules.durations.for_kind(kind)
    why: str | None = None
    if days is not None and days > rules.durations.max_days:
        why = f"{days} days is longer than the policy allows ({rules.durations.max_days} days)"
    elif kind == "letters_only" and not rules.postal_address:
        why = "letters only needs the postal address: set restrictions.postal_address"
    elif kind == "named_officer" and not chosen.officer:
        why = (
            f"no named officer was chosen: fill the ticket field “{rules.ticket_fields.officer}”"
            " (or use a macro that names the officer) and apply the decision again"
        )
    else:
        for ref in (chosen.officer, chosen.deputy):
            agent = facts.agents.get(ref) if ref else None
            if ref and (agent is None or not agent.agent_id):
                reason = agent.error if agent and agent.error else "no such agent was found"
                why = f"the officer “{ref}” cannot be assigned: {reason}"
                break
    if why is not None:
        return _refuse(record, event, decision, why, policy, batch)

    end = now + timedelta(days=days) if days else None
    restriction = Restriction(
        kind=kind,
        start=now,
        end=end,
        review_date=review_date(now, end, policy, now),
        named_officer=chosen.officer,
        deputy_officer=chosen.deputy,
        decided_by=event.actor_id,
        ticket_id=event.ticket_id,
    )
    previous = record.restriction
    new = record.model_copy(
        update={
            "restriction": restriction,
            "agreement": kind == "conduct_agreement",
            "stage": STAGE_OF_KIND[kind],
            "stage_since": now,
            "pending_warning": None,
        }
    )
    tags = rules.tags
    if previous is not None and previous.kind != kind:
        batch.untag(tags.restricted_kind(previous.kind))
    batch.tag(tags.restricted, tags.restricted_kind(kind))
    values = restriction_values(new, restriction, policy, now)
    values |= {"extended": False, "previous_end": None}
    notice = policy.render(rules.templates.notice, **values)
    channel = _send(batch, notice, record, policy)
    officer = acting_officer(restriction, facts)
    if officer is not None:
        batch.agent_id = officer.agent_id
    organisation = _notify_organisation(batch, new, restriction, context, policy, now)
    if not policy.observe:
        batch.customer = mirror_update(new, policy)
        new = remember_write(new, batch.customer, now)
    values |= {
        "decision": _decision_words(decision),
        "actor_id": event.actor_id,
        "replaced": (
            {"what": KIND_WORDS[previous.kind], "start": day(previous.start, policy)}
            if previous is not None
            else None
        ),
        "notice_channel": channel,
        "assigned": officer.name if officer else None,
        "assigned_deputy": officer is not None and officer.ref != restriction.named_officer,
        "organisation": organisation,
        "organisation_enabled": rules.organisation.notify,
    }
    batch.notes.insert(0, policy.render(rules.templates.decision_note, **values))
    audit = [
        AuditEntry(
            "decision",
            {
                "kind": kind,
                "tag": decision.tag,
                "days": days,
                "start": now.isoformat(),
                "end": end.isoformat() if end else None,
                "review": restriction.review_date.isoformat() if restriction.review_date else None,
                "named_officer": chosen.officer,
                "deputy_officer": chosen.deputy,
                "decided_by": event.actor_id,
                "ticket_id": event.ticket_id,
                "notice": channel,
                "organisation_notified": organisation is not None,
            },
        )
    ]
    return _result(record, new, batch, audit, f"decision_{kind}", policy)


def _send(batch: Batch, text: str, record: ConductRecord, policy: Policy) -> str:
    """The written notice: a public reply on the ticket, or a new ticket to the customer."""
    rules = policy.restrictions
    if rules.notice == "reply":
        batch.public.append(text)
        return "reply"
    batch.creates.append(
        CreateTicket(
            requester_id=vendor_id(record.customer),
            subject=rules.notice_subject,
            body=text,
            tags=(rules.tags.notice,),
        )
    )
    return "new_ticket"


def _notify_organisation(
    batch: Batch,
    record: ConductRecord,
    restriction: Restriction,
    context: Context,
    policy: Policy,
    now: datetime,
) -> str | None:
    """Tell the organisation's management contact about the decision (never the words)."""
    rules = policy.restrictions
    facts = context.restrictions
    org = rules.organisation
    if not org.notify or restriction.kind not in org.kinds or not facts.organization_contact:
        return None
    values = restriction_values(record, restriction, policy, now)
    body = policy.render(
        rules.templates.organisation,
        organization=facts.organization_name,
        what=values["what"],
        kind=values["kind"],
        start=values["start"],
        end=values["end"],
        review=values["review"],
        email_address=values["email_address"],
        postal_address=values["postal_address"],
        officer=values["officer"],
        customer_ref=vendor_id(record.customer),
        ticket_id=restriction.ticket_id,
    )
    batch.creates.append(
        CreateTicket(
            requester_id=None,
            requester_email=facts.organization_contact,
            subject=f"A decision about contact with our support team ({facts.organization_name})"
            if facts.organization_name
            else "A decision about contact with our support team",
            body=body,
            tags=(rules.tags.organisation,),
        )
    )
    return facts.organization_name or "the organisation"


# -- lift, extend, no action -----------------------------------------------------------------
def lifted(
    record: ConductRecord,
    policy: Policy,
    now: datetime,
) -> ConductRecord:
    """The record once its restriction ends (the stage the ladder resumes from)."""
    return record.model_copy(
        update={
            "restriction": None,
            "agreement": False,
            "stage": policy.restrictions.stage_after,
            "stage_since": now,
        }
    )


def _lift(
    record: ConductRecord,
    event: Event,
    decision: Decision,
    context: Context,
    policy: Policy,
    now: datetime,
    batch: Batch,
) -> PolicyResult:
    rules = policy.restrictions
    restriction = record.restriction
    if restriction is None:
        batch.notes.append(
            "Conduct Guard: “lift” was applied, but this customer has no restriction on record. "
            "Nothing was changed."
        )
        audit = [AuditEntry("decision_noop", {"tag": decision.tag, "actor_id": event.actor_id})]
        return _result(record, record, batch, audit, "decision_lift_noop", policy)
    new = lifted(record, policy, now)
    batch.untag(rules.tags.restricted, rules.tags.restricted_kind(restriction.kind))
    values = restriction_values(record, restriction, policy, now)
    values |= {"early": True, "ended": day(now, policy)}
    channel = None
    if rules.notice_at_expiry:
        channel = _send(batch, policy.render(rules.templates.expiry, **values), record, policy)
    if not policy.observe:
        batch.customer = mirror_update(new, policy)
        new = remember_write(new, batch.customer, now)
    values |= {"actor_id": event.actor_id, "notice_channel": channel, "stage": new.stage}
    batch.notes.insert(0, policy.render(rules.templates.ended, **values))
    audit = [
        AuditEntry(
            "restriction_lifted",
            {"kind": restriction.kind, "early": True, "actor_id": event.actor_id,
             "ticket_id": event.ticket_id},
        )
    ]  # fmt: skip
    return _result(record, new, batch, audit, "decision_lift", policy)


def _extend(
    record: ConductRecord,
    event: Event,
    decision: Decision,
    context: Context,
    policy: Policy,
    now: datetime,
    batch: Batch,
) -> PolicyResult:
    rules = policy.restrictions
    restriction = record.restriction
    if restriction is None or restriction.end is None:
        why = (
            "this customer has no restriction on record"
            if restriction is None
            else "the restriction has no end date (lift it or decide again instead)"
        )
        return _refuse(record, event, decision, why, policy, batch)
    chosen = choices(event, context.restrictions.ticket_fields, rules)
    days = chosen.days or decision.days or rules.durations.extend
    end = max(restriction.end, now) + timedelta(days=days)
    if (end - now).days > rules.durations.max_days:
        why = f"the restriction would last beyond {rules.durations.max_days} days from today"
        return _refuse(record, event, decision, why, policy, batch)
    extended = restriction.model_copy(
        update={
            "end": end,
            "review_date": review_date(restriction.start, end, policy, now),
            "reminded_at": None,
            "decided_by": event.actor_id,
        }
    )
    new = record.model_copy(update={"restriction": extended})
    values = restriction_values(new, extended, policy, now)
    values |= {"extended": True, "previous_end": day(restriction.end, policy)}
    channel = _send(batch, policy.render(rules.templates.notice, **values), record, policy)
    if not policy.observe:
        batch.customer = mirror_update(new, policy)
        new = remember_write(new, batch.customer, now)
    values |= {
        "decision": _decision_words(decision),
        "actor_id": event.actor_id,
        "replaced": None,
        "notice_channel": channel,
        "assigned": None,
        "assigned_deputy": False,
        "organisation": None,
        "organisation_enabled": False,
    }
    batch.notes.insert(0, policy.render(rules.templates.decision_note, **values))
    audit = [
        AuditEntry(
            "restriction_extended",
            {"kind": restriction.kind, "days": days, "end": end.isoformat(),
             "actor_id": event.actor_id, "ticket_id": event.ticket_id},
        )
    ]  # fmt: skip
    return _result(record, new, batch, audit, "decision_extend", policy)


def _no_action(
    record: ConductRecord,
    event: Event,
    decision: Decision,
    policy: Policy,
    now: datetime,
    batch: Batch,
) -> PolicyResult:
    batch.notes.append(
        f"Conduct Guard: senior management decided no action (agent {event.actor_id}, "
        f"{day(now, policy)}). The conduct record keeps its incidents; the stage stays "
        f"“{record.stage}”."
    )
    audit = [
        AuditEntry(
            "decision",
            {"kind": "no_action", "decided_by": event.actor_id, "ticket_id": event.ticket_id},
        )
    ]
    return _result(record, record, batch, audit, "decision_no_action", policy)


# -- challenge ------------------------------------------------------------------------------
def _challenge(
    record: ConductRecord,
    event: Event,
    context: Context,
    policy: Policy,
    now: datetime,
    batch: Batch,
) -> PolicyResult:
    rules = policy.restrictions
    restriction = record.restriction
    decider = restriction.decided_by if restriction else None
    reviewer = next(
        (
            r
            for r in context.restrictions.reviewers
            if r.agent_id and r.agent_id != decider and not r.away
        ),
        None,
    )
    group = policy.groups.get(rules.decider_group, rules.decider_group)
    group_id = context.group_id(group)
    routing_failure = None
    if group_id is None:
        why = context.group_errors.get(group, "its id is not known")
        routing_failure = f"routing to the group “{group}” failed: {why}"
    batch.group_id = group_id
    batch.agent_id = reviewer.agent_id if reviewer else None
    batch.status = "open"
    batch.priority = "high"
    values: dict[str, Any] = {
        "customer": record.customer,
        "stage": record.stage,
        "group": group,
        "routing_failure": routing_failure,
        "reviewer": reviewer.name if reviewer else None,
        "decider": decider,
        "actor_id": event.actor_id,
        "today": day(now, policy),
        "restriction": None,
        "notice": None,
    }
    if restriction is not None:
        values["restriction"] = restriction_values(record, restriction, policy, now)
        sent = restriction_values(record, restriction, policy, restriction.start)
        values["notice"] = policy.render(
            rules.templates.notice, **sent, extended=False, previous_end=None
        )
        values["incidents"] = values["restriction"]["incidents"]
    else:
        values["incidents"] = conduct_history(record, policy)
    batch.notes.append(policy.render(rules.templates.challenge, **values))
    audit = [
        AuditEntry(
            "challenge",
            {"ticket_id": event.ticket_id, "actor_id": event.actor_id, "decided_by": decider,
             "reviewer": reviewer.agent_id if reviewer else None},
        )
    ]  # fmt: skip
    failures = (group,) if routing_failure else ()
    return _result(record, record, batch, audit, "challenge", policy, failures)
