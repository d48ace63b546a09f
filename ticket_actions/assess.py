"""The `assess` job's body: one event in, the actions for the helpdesk out.

1. Recognise the plugin's own events (actor id = `helpdesk.whoami()`; mirror values equal to
   `record.mirror` are recognised by the policy) and follow deleted and merged customers.
2. Classify a customer's message (outside the lock: milliseconds of CPU).
3. Under the customer's lock (`CustomerBusy` on contention: the job is re-enqueued shortly):
   load the `ConductRecord`, count the contact, gather the `Context`, run the pure policy (a
   second time with the group ids when it wants to route, so other events cost no lookup), save
   the record, append the audit trail, keep a flagged message's text (for feedback) and store
   feedback from a "not abusive" macro.
   The actions are handed to `apply` (a per-ticket batch, urgent queue for threats to safety)
   under the same lock, before the record is saved.
4. Queue a safety alert as its own job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

import redis

from classifiers.verdict import Verdict
from config.policy import Policy, policy_for
from integration.actions import Action
from integration.events import Event
from integration.helpdesk import Helpdesk, PermanentVendorError, VendorError
from ticket_actions import batches, restriction_context, retention, store
from ticket_actions.context import Context, acting_agent_groups, resolve_groups
from ticket_actions.policy import PolicyResult, evaluate, fall_back_due
from ticket_actions.record import ConductRecord
from ticket_actions.runtime import Runtime

log = logging.getLogger(__name__)

# Not `ticket_created`: its text is the first comment, which also arrives as a `message`.
MESSAGE_KINDS = ("message",)


@dataclass
class Outcome:
    actions: list[Action] = field(default_factory=list)
    urgent: bool = False  # threats to safety: the apply job goes on the urgent queue
    verdict: Verdict | None = None
    rule: str | None = None  # the policy rule that fired
    alert_job: str | None = None
    apply_job: str | None = None  # the `apply` job queued for `actions` (None: merged/none)


def _is_customer_message(event: Event) -> bool:
    return event.kind in MESSAGE_KINDS and event.actor_role == "customer"


def _as_self(event: Event, helpdesk: Helpdesk) -> Event:
    """The event with `actor_role="self"` when the plugin's own user caused it."""
    if not event.actor_id or event.actor_role in ("customer", "self"):
        return event
    try:
        me = helpdesk.whoami()
    except VendorError as exc:
        log.warning("assess.whoami-failed", extra={"vendor": event.vendor, "why": str(exc)})
        return event
    return replace(event, actor_role="self") if str(me) == str(event.actor_id) else event


def _decided_by_staff(event: Event, policy: Policy) -> bool:
    """A conduct tag an agent added other than the ladder's own macros (a manager's decision):
    who acted matters there, so the agent's groups are read (the adapter caches them)."""
    if event.kind != "tags_changed" or event.actor_role != "agent" or not event.actor_id:
        return False
    ladder = {getattr(policy.macros, k).tag for k in type(policy.macros).model_fields}
    prefix = policy.tags.category_prefix  # every conduct tag starts with it
    return any(t.startswith(prefix) and t not in ladder for t in event.tags_added)


def assess_event(event: Event, runtime: Runtime, now: datetime) -> Outcome:
    customer = event.customer_key
    if customer is None:
        return Outcome()
    if event.kind == "customer_deleted":
        with store.customer_lock(runtime.redis, customer):
            retention.erase(runtime.redis, customer)
        return Outcome(rule="customer_deleted")
    if event.kind == "customer_merged":
        return _merge(event, runtime, now)
    policy = policy_for(runtime.settings)
    if event.actor_role not in ("customer", "self") and event.actor_id:
        event = _as_self(event, runtime.helpdesk(event.vendor))
    verdict: Verdict | None = None
    if _is_customer_message(event) and event.text.strip():
        verdict = runtime.classify(event.text, policy.thresholds.as_mapping())
    connection = runtime.redis
    with store.customer_lock(connection, customer):
        record = store.load_record(connection, customer)
        count = 0
        if _is_customer_message(event) and event.ticket_id:
            key = event.incident_key
            count = store.count_contact(connection, customer, key, now, policy.contact_window)
        if event.kind == "customer_changed":
            event = _mirror_values(event, record, policy, runtime)
        agent_groups: frozenset[str] = frozenset()
        if _decided_by_staff(event, policy):
            agent_groups = acting_agent_groups(runtime.helpdesk(event.vendor), event.actor_id)
        context = Context(
            contact_count=count,
            agent_groups=agent_groups,
            restrictions=restriction_context.gather(  # issue 6: officers, fields, organisation
                event, record, policy, lambda: runtime.helpdesk(event.vendor), connection, now
            ),
        )
        result = evaluate(record, event, verdict, context, policy, now)
        if result.routing_failures:
            # The policy wants to route: resolve the group names (the adapter caches its
            # directory) and decide again with them. Events that do not route cost no lookup.
            groups, errors = resolve_groups(
                connection, runtime.helpdesk(event.vendor), policy.groups.values()
            )
            context = replace(context, groups=groups, group_errors=errors)
            result = evaluate(record, event, verdict, context, policy, now)
        # The actions are queued before the record is saved, under the same lock: a crash in
        # between leaves work queued (a re-run may write a note twice), never a decision
        # recorded whose actions are lost.
        apply_job = batches.submit(connection, event.vendor, result.actions, urgent=result.urgent)
        _save(connection, record, result, event, verdict, policy, now)
    alert_job = _alert(result, runtime, policy)
    if result.routing_failures:
        log.error(
            "assess.routing-failed",
            extra={"event_id": event.event_id, "groups": list(result.routing_failures)},
        )
    return Outcome(
        actions=result.actions,
        urgent=result.urgent,
        verdict=verdict,
        rule=result.rule,
        alert_job=alert_job,
        apply_job=apply_job,
    )


def _mirror_values(event: Event, record: ConductRecord, policy: Policy, runtime: Runtime) -> Event:
    """A user-field change as `{key: value}`. Zendesk names the field by id only: a value the
    plugin itself last wrote is its own write coming back (no call); otherwise the id is mapped
    to its key through the adapter (its field directory is cached), so a person's edit wins."""
    changed = event.fields.get("custom_field") or event.fields.get("field")
    if not isinstance(changed, dict):
        return event
    current = event.fields.get("current")
    if current is not None and str(current) in record.mirror.values():
        return replace(event, fields={})
    key = changed.get("key")
    if not key and changed.get("id") is not None:
        key = runtime.helpdesk(event.vendor).customer_field_key(str(changed["id"]))
    return replace(event, fields={str(key): current} if key else {})


def _save(
    connection: redis.Redis,
    record: ConductRecord,
    result: PolicyResult,
    event: Event,
    verdict: Verdict | None,
    policy: Policy,
    now: datetime,
) -> None:
    customer = record.customer
    if result.record != record:
        store.save_record(connection, result.record, fall_back_due(result.record, policy))
    if result.audit:
        store.append_audit(
            connection,
            customer,
            [(e.kind, e.detail, e.evidence) for e in result.audit],
            at=now,
            event_id=event.event_id,
        )
    if verdict is not None and event.ticket_id and result.rule not in (None, "redelivered"):
        labelled = verdict.with_thresholds(policy.thresholds.as_mapping())
        if labelled.labels:
            store.save_flagged_text(
                connection,
                vendor=event.vendor,
                ticket_id=event.ticket_id,
                key=event.incident_key,
                customer=customer,
                text=event.text,
                labels=labelled.labels,
                severity=labelled.severity,
                at=now,
                keep=now - policy.retention_cutoff(now),
            )
    if result.feedback is not None:
        store.store_feedback(
            connection,
            vendor=event.vendor,
            ticket_id=result.feedback.ticket_id,
            labels=result.feedback.labels,
            severity=result.feedback.severity,
            at=now,
            actor_id=event.actor_id,
        )


def _alert(result: PolicyResult, runtime: Runtime, policy: Policy) -> str | None:
    if result.alert is None:
        return None
    from ticket_actions.alerts import payload, queue_alert, ticket_link

    if not runtime.settings.conduct_alert_webhook_url:
        log.warning("assess.alert-not-configured", extra={"kind": result.alert.kind})
        return None
    link = ticket_link(runtime.settings, result.alert.vendor, result.alert.ticket_id)
    return queue_alert(runtime.redis, payload(result.alert, link), policy.alerts.timeout_seconds)


def _merge(event: Event, runtime: Runtime, now: datetime) -> Outcome:
    """Two customers merged: the incidents of the one that is gone join the survivor's record.

    Which of the two survives is not certain from the payload (VENDOR_API [U]), so the
    survivor is the one the helpdesk still knows (one read).
    """
    other = event.fields.get("merged_user_id") or event.fields.get("merged_into")
    if event.customer_id is None or not other:
        return Outcome()
    try:
        runtime.helpdesk(event.vendor).get_customer_fields(event.customer_id)
        survivor, gone = event.customer_id, str(other)
    except PermanentVendorError:
        survivor, gone = str(other), event.customer_id
    target, source = f"{event.vendor}:{survivor}", f"{event.vendor}:{gone}"
    policy = policy_for(runtime.settings)
    connection = runtime.redis
    with store.customer_lock(connection, target), store.customer_lock(connection, source):
        lost = store.load_record(connection, source)
        kept = store.load_record(connection, target)
        merged = _merged(kept, lost)
        if merged != kept:
            store.save_record(connection, merged, fall_back_due(merged, policy))
            store.append_audit(
                connection,
                target,
                [("merged", {"from": source, "incidents": len(lost.incidents)}, ())],
                at=now,
                event_id=event.event_id,
            )
        retention.erase(connection, source)
    return Outcome(rule="customer_merged")


def _merged(kept: ConductRecord, lost: ConductRecord) -> ConductRecord:
    from ticket_actions.record import LADDER

    known = {i.key for i in kept.incidents}
    incidents = tuple(
        sorted((*kept.incidents, *(i for i in lost.incidents if i.key not in known)),
               key=lambda i: i.at)
    )  # fmt: skip
    update: dict[str, object] = {"incidents": incidents}
    rank = {s: n for n, s in enumerate(LADDER)}
    if rank.get(lost.stage, -1) > rank.get(kept.stage, -1):
        update |= {"stage": lost.stage, "stage_since": lost.stage_since}
    return kept.model_copy(update=update)
