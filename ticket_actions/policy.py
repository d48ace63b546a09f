"""The conduct policy as a pure function: `evaluate(record, event, verdict, context, policy, now)`.

No I/O, no Redis, no clock: everything it needs comes in, and what should happen goes out as a
new `ConductRecord` and a list of `Action`s (plus, in `PolicyResult`, the audit entries, an
alert request, feedback to store and whether the batch is urgent). Read it beside
`config/policy.yaml` and the two policies it carries out:

Customer message (event kind `message`, actor `customer`):
  not assessed (a language the model does not cover) → tag `conduct_not_assessed` only
  already an incident (the same ticket + message again)  → nothing (redelivery)
  no label over the thresholds                           → nothing
  `extreme` (a threat to staff safety), any stage        → SAFETY: stage senior_management,
      `conduct_safety_incident`, urgent, evidence note recommending a police report, an alert,
      nothing to the customer
  an incident (`incidents` in policy.yaml) and ...
      a warning is pending (suggested, not yet sent)     → another incident, NOT a second warning
      stage clean, or no incident/step within the window → FIRST INCIDENT: evidence note, the
          warning suggested (`warnings: suggest`; stage → warned when the macro's tag arrives)
          or sent (`automatic`; stage → warned now)
      a repeat within the window                         → `ladder.on_repeat[stage]`: entering a
          new stage routes, notes and suggests its message; staying re-notes and re-routes
  flagged but not an incident (e.g. swearing at a thing) → tags only
  over the contact rate                                  → a note for a supervisor, once a window
Ticket tags added by staff (`tags_changed`): the ladder's macros
  warning sent → warned · suspend → supervisor · refer to complaint management ·
  refer to senior management (each only moves the stage up) · not abusive → conduct tags
  removed, the ticket's incidents withdrawn (and the stage they caused undone), feedback stored
A person's edit of the customer mirror (`customer_changed`) wins; the plugin's own writes (values
equal to `record.mirror`) are ignored.
`mode: observe` keeps only tags and internal notes (the record still follows the ladder).
The mirror (`UpdateCustomer`) is written only when the stage changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from classifiers.verdict import CATEGORIES, Verdict
from config.policy import Message, Policy, Safety, Step
from integration.actions import (
    Action,
    UpdateCustomer,
)
from integration.events import Event
from ticket_actions.context import Context
from ticket_actions.mirror import consume_echoes, remember_write
from ticket_actions.record import LADDER, ConductRecord, Incident, PendingWarning, Stage
from ticket_actions.restriction_common import Batch

MAX_QUOTES = 12
MAX_QUOTE_CHARS = 300
AlertKind = Literal["safety_incident"]


@dataclass(frozen=True)
class AlertRequest:
    """Ask `ticket_actions/alerts.py` to post an alert: the kind and where, never the words."""

    kind: AlertKind
    vendor: str
    ticket_id: str | None
    customer: str


@dataclass(frozen=True)
class FeedbackRequest:
    """Store the flagged texts on `ticket_id` with corrected labels (a "not abusive" macro)."""

    ticket_id: str
    labels: tuple[str, ...] = ()
    severity: str = "none"
    incident_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """One line of the customer's audit trail. `evidence` is customer text (erased later)."""

    kind: str
    detail: dict[str, Any]
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyResult:
    record: ConductRecord
    actions: list[Action] = field(default_factory=list)
    urgent: bool = False
    alert: AlertRequest | None = None
    feedback: FeedbackRequest | None = None
    audit: list[AuditEntry] = field(default_factory=list)
    rule: str | None = None  # the rule that fired (None: nothing to do)
    routing_failures: tuple[str, ...] = ()
    incident: Incident | None = None  # the incident this event added, if any

    def __iter__(self) -> Iterator[Any]:
        """`record, actions = evaluate(...)`: the pure signature's two results."""
        return iter((self.record, self.actions))


# -- the plan: what one event does to one ticket and one customer --------------------------
@dataclass
class _Plan:
    """Collects actions for one ticket so they come out as one batch, notes joined as one (the
    batch is the one decisions and enforcement build, `restriction_common.Batch`)."""

    policy: Policy
    context: Context
    now: datetime
    ticket_id: str | None
    customer_id: str | None
    batch: Batch = field(init=False)
    routing_failures: list[str] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.batch = Batch(self.ticket_id, observe=self.policy.observe)

    def tag(self, *tags: str) -> None:
        self.batch.tag(*tags)

    def route(self, role: str | None) -> str | None:
        """Route to a configured group; the failure text (for the note) if it cannot."""
        if role is None:
            return None
        name = self.policy.groups[role]
        group_id = self.context.group_id(name)
        if group_id is None:
            self.routing_failures.append(name)
            why = self.context.group_errors.get(name, "its id is not known")
            return (
                f"Routing to the group “{name}” failed: {why}. Please route this ticket by "
                "hand; an administrator should check `groups` in policy.yaml."
            )
        self.batch.group_id = group_id
        return None

    def step(self, step: Step | Safety) -> dict[str, Any]:
        """Apply a step's routing, status, priority and tags; values for its note."""
        self.tag(*step.tags)
        failure = self.route(step.group)
        if step.status:
            self.batch.status = step.status
        if step.priority:
            self.batch.priority = step.priority
        due = self.policy.working_hours.add(self.now, step.due_working_hours) if (
            step.due_working_hours
        ) else None  # fmt: skip
        return {
            "group": self.policy.groups[step.group] if step.group else None,
            "routing_failure": failure,
            "due": _when(due, self.policy) if due else None,
            "priority": step.priority,
        }

    def actions(self) -> list[Action]:
        return self.batch.actions()


def _when(moment: datetime, policy: Policy) -> str:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(policy.working_hours.timezone))
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _rank(stage: Stage) -> int:
    return LADDER.index(stage) if stage in LADDER else len(LADDER)


def _vendor_id(customer: str) -> str:
    return customer.split(":", 1)[1] if ":" in customer else customer


def _mirror(record: ConductRecord, new: ConductRecord, policy: Policy) -> UpdateCustomer | None:
    """The customer-mirror write when the stage changed (and the record's new mirror)."""
    if new.stage == record.stage:
        return None
    fields = {
        policy.mirror.stage_field: new.stage,
        policy.mirror.since_field: new.stage_since.date().isoformat() if new.stage_since else "",
    }
    return UpdateCustomer(
        customer_id=_vendor_id(record.customer),
        fields=fields,
        tags_add=(policy.tags.stage(new.stage),),
        tags_remove=tuple(policy.tags.stage(s) for s in LADDER if s != new.stage),
    )


def _threshold(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _quotes(event: Event, verdict: Verdict) -> list[tuple[str, str]]:
    quotes: list[tuple[str, str]] = []
    for label in verdict.labels:
        for start, end in verdict.evidence.get(label, []):
            text = event.text[start:end].strip()
            if text and (label, text) not in quotes:
                quotes.append((label, text[:MAX_QUOTE_CHARS]))
    return quotes[:MAX_QUOTES]


def _history(record: ConductRecord, policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "at": _when(i.at, policy),
            "ticket_id": i.ticket_id,
            "labels": ", ".join(i.labels),
            "severity": i.severity,
            "evidence": list(i.evidence),
        }
        for i in record.active_incidents()
    ]


def _last_step(record: ConductRecord) -> datetime | None:
    """The later of the previous active incident and the last change of stage."""
    moments = [i.at for i in record.active_incidents()]
    if record.stage_since is not None:
        moments.append(record.stage_since)
    return max(moments) if moments else None


# -- customer messages ---------------------------------------------------------------------
def _on_message(
    record: ConductRecord,
    event: Event,
    verdict: Verdict | None,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    if event.actor_role != "customer" or not event.ticket_id:
        return PolicyResult(record)
    plan = _Plan(policy, context, now, event.ticket_id, event.customer_id)
    rate_note = _contact_rate_due(record, context, policy, now)
    if verdict is None or not verdict.assessed:
        if not event.text.strip():
            return PolicyResult(record)
        plan.tag(policy.tags.not_assessed)
        return _finish(record, record, plan, rate_note, context, policy, now, "not_assessed")
    if record.has_incident(event.incident_key):
        return PolicyResult(record, rule="redelivered")
    verdict = verdict.with_thresholds(policy.thresholds.as_mapping())
    if not verdict.labels:
        return _finish(record, record, plan, rate_note, context, policy, now, None)
    plan.tag(policy.tags.flagged, *(policy.tags.category(label) for label in verdict.labels))
    over_rate = context.contact_count > policy.contact_rate.threshold
    if verdict.severity == "extreme":
        return _safety(record, event, verdict, plan, rate_note, context, policy, now)
    if not _is_incident(verdict, over_rate, policy):
        plan.audit.append(AuditEntry("flagged", _verdict_detail(event, verdict, "tags_only")))
        return _finish(record, record, plan, rate_note, context, policy, now, "tags_only")
    return _ladder(record, event, verdict, plan, rate_note, context, policy, now)


def _is_incident(verdict: Verdict, over_rate: bool, policy: Policy) -> bool:
    demand = "unrealistic_demand" in verdict.labels and (
        policy.incidents.unrealistic_demand == "always"
        or (policy.incidents.unrealistic_demand == "with_contact_rate" and over_rate)
    )
    others = [label for label in verdict.labels if label != "unrealistic_demand"]
    return demand or (bool(others) and verdict.severity in policy.incidents.severities)


def _contact_rate_due(
    record: ConductRecord, context: Context, policy: Policy, now: datetime
) -> bool:
    if context.contact_count <= policy.contact_rate.threshold:
        return False
    noted = record.contact_rate_noted_at
    return noted is None or now - noted >= policy.contact_window


def _verdict_detail(event: Event, verdict: Verdict, rule: str) -> dict[str, Any]:
    return {
        "rule": rule,
        "ticket_id": event.ticket_id,
        "message": event.incident_key,
        "labels": list(verdict.labels),
        "severity": verdict.severity,
        "model_version": verdict.model_version,
    }


def _values(
    record: ConductRecord,
    event: Event,
    verdict: Verdict,
    policy: Policy,
    now: datetime,
    rule: str,
) -> dict[str, Any]:
    """What every note template may use."""
    thresholds = verdict.thresholds
    return {
        "customer": record.customer,
        "ticket_id": event.ticket_id,
        "stage": record.stage,
        "rule": rule,
        "now": _when(now, policy),
        "labels": list(verdict.labels),
        "severity": verdict.severity,
        "quotes": _quotes(event, verdict),
        "scores": [
            (c, f"{verdict.scores.get(c, 0.0):.2f}", _threshold(thresholds.get(c)))
            for c in CATEGORIES
        ],
        "model_version": verdict.model_version,
        "history": _history(record, policy),
        "repeat_window_days": policy.ladder.repeat_window_days,
        "macros": {k: getattr(policy.macros, k).name for k in type(policy.macros).model_fields},
        "groups": policy.groups,
    }


def _new_incident(
    record: ConductRecord, event: Event, verdict: Verdict, now: datetime
) -> tuple[ConductRecord, Incident]:
    incident = Incident(
        key=event.incident_key,
        event_id=event.event_id,
        ticket_id=event.ticket_id,
        at=now,
        labels=verdict.labels,
        severity=verdict.severity,
        model_version=verdict.model_version,
        evidence=tuple(quote for _, quote in _quotes(event, verdict)),
    )
    return record.model_copy(update={"incidents": (*record.incidents, incident)}), incident


def _moved(
    record: ConductRecord, incident: Incident, before: ConductRecord, stage: Stage, now: datetime
) -> tuple[ConductRecord, Incident]:
    """Move `record` to `stage` because of `incident` (remembering where it came from)."""
    moved = incident.model_copy(
        update={"stage_before": before.stage, "stage_since_before": before.stage_since}
    )
    incidents = tuple(moved if i.key == incident.key else i for i in record.incidents)
    return (
        record.model_copy(update={"stage": stage, "stage_since": now, "incidents": incidents}),
        moved,
    )


def _suggest_or_send(
    message_key: Literal["warning", "suspension"],
    plan: _Plan,
    values: dict[str, Any],
    policy: Policy,
) -> bool:
    """Suggest the message as a macro (a note) or send it; True when it was sent."""
    message: Message = getattr(policy.messages, message_key)
    macro = getattr(policy.macros, message.macro)
    automatic = policy.warnings == "automatic" and not policy.observe
    if automatic:
        plan.batch.public.append(
            policy.render(message.template, **(values | {"macro": macro.name}))
        )
        plan.tag(macro.tag)
    plan.batch.notes.append(
        policy.render(
            message.suggestion, **(values | {"macro": macro.name, "automatic": automatic})
        )
    )
    return automatic


def _ladder(
    record: ConductRecord,
    event: Event,
    verdict: Verdict,
    plan: _Plan,
    rate_note: bool,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    last = _last_step(record)
    within = last is not None and now - last <= policy.repeat_window
    pending = record.pending_warning
    if pending is not None and now - pending.since > policy.repeat_window:
        pending = None  # a suggestion nobody acted on for a whole window has lapsed
    new, incident = _new_incident(record, event, verdict, now)
    stage = record.stage

    if pending is not None:
        rule = "while_warning_pending"
        values = _values(new, event, verdict, policy, now, rule)
        values |= plan.step(policy.ladder.while_warning_pending)
        values |= {
            "pending_ticket": pending.ticket_id,
            "pending_since": _when(pending.since, policy),
        }
        values |= {"macro": policy.macros.warning.name}
        plan.batch.notes.insert(
            0, policy.render(policy.ladder.while_warning_pending.note, **values)
        )
    elif stage not in LADDER:
        # Restricted or terminated (a manager's decision, issue 6): to senior management.
        rule = f"incident_while_{stage}"
        _enter(new, "senior_management", plan, event, verdict, policy, now, rule, entered=False)
    elif stage == "clean" or not within:
        rule = "first_incident"
        values = _values(new, event, verdict, policy, now, rule)
        values |= plan.step(policy.ladder.first_incident)
        plan.batch.notes.insert(0, policy.render(policy.ladder.first_incident.note, **values))
        if _suggest_or_send("warning", plan, values, policy):
            plan.audit.append(AuditEntry("warning_sent", {"ticket_id": event.ticket_id}))
            if _rank(stage) < _rank("warned"):
                new, incident = _moved(new, incident, record, "warned", now)
            else:
                new = new.model_copy(update={"stage_since": now})
            new = new.model_copy(update={"pending_warning": None})
        else:
            new = new.model_copy(
                update={"pending_warning": PendingWarning(ticket_id=event.ticket_id, since=now)}
            )
    else:
        target: Stage = policy.ladder.after_repeat(stage)  # type: ignore[assignment]
        rule = f"repeat_at_{stage}"
        if target != stage:
            new, incident = _moved(new, incident, record, target, now)
        _enter(new, target, plan, event, verdict, policy, now, rule, entered=target != stage)
    plan.audit.insert(
        0,
        AuditEntry(
            "incident",
            _verdict_detail(event, verdict, rule) | {"stage_before": stage, "stage": new.stage},
            evidence=incident.evidence,
        ),
    )
    return _finish(record, new, plan, rate_note, context, policy, now, rule, incident=incident)


def _enter(
    record: ConductRecord,
    stage: Stage,
    plan: _Plan,
    event: Event,
    verdict: Verdict | None,
    policy: Policy,
    now: datetime,
    rule: str,
    *,
    entered: bool,
    suggest_message: bool = True,
) -> None:
    """Run a stage's step: routing, note (with the history), and its message on entry."""
    step = policy.ladder.step_for(stage)
    if step is None:
        return
    values = (
        _values(record, event, verdict, policy, now, rule)
        if verdict is not None
        else _plain_values(record, event, policy, now, rule)
    )
    values |= plan.step(step) | {"entered": entered}
    if step.message is not None:
        message: Message = getattr(policy.messages, step.message)
        values["macro"] = getattr(policy.macros, message.macro).name
    plan.batch.notes.insert(0, policy.render(step.note, **values))
    if entered and suggest_message and step.message is not None:
        _suggest_or_send(step.message, plan, values, policy)


def _plain_values(
    record: ConductRecord, event: Event, policy: Policy, now: datetime, rule: str
) -> dict[str, Any]:
    """Template values for steps that no message caused (a macro, a sweep)."""
    return {
        "customer": record.customer,
        "ticket_id": event.ticket_id,
        "stage": record.stage,
        "rule": rule,
        "now": _when(now, policy),
        "labels": [],
        "severity": None,
        "quotes": [],
        "scores": [],
        "model_version": None,
        "history": _history(record, policy),
        "repeat_window_days": policy.ladder.repeat_window_days,
        "macros": {k: getattr(policy.macros, k).name for k in type(policy.macros).model_fields},
        "groups": policy.groups,
        "actor_id": event.actor_id,
    }


def _safety(
    record: ConductRecord,
    event: Event,
    verdict: Verdict,
    plan: _Plan,
    rate_note: bool,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    safety = policy.safety
    new, incident = _new_incident(record, event, verdict, now)
    target: Stage = safety.stage
    if _rank(record.stage) < _rank(target):
        new, incident = _moved(new, incident, record, target, now)
    plan.tag(policy.tags.safety_incident)
    values = _values(new, event, verdict, policy, now, "safety_fast_path")
    values |= plan.step(safety) | {"alert": safety.alert and not policy.observe}
    plan.batch.notes.insert(0, policy.render(safety.note, **values))
    plan.audit.insert(
        0,
        AuditEntry(
            "safety_incident",
            _verdict_detail(event, verdict, "safety_fast_path")
            | {"stage_before": record.stage, "stage": new.stage},
            evidence=incident.evidence,
        ),
    )
    result = _finish(
        record, new, plan, rate_note, context, policy, now, "safety_fast_path", incident=incident
    )
    alert = (
        AlertRequest("safety_incident", event.vendor, event.ticket_id, record.customer)
        if safety.alert and not policy.observe
        else None
    )
    return replace(result, urgent=True, alert=alert)


def _finish(
    record: ConductRecord,
    new: ConductRecord,
    plan: _Plan,
    rate_note: bool,
    context: Context,
    policy: Policy,
    now: datetime,
    rule: str | None,
    *,
    incident: Incident | None = None,
    feedback: FeedbackRequest | None = None,
) -> PolicyResult:
    if rate_note:
        plan.batch.notes.append(
            policy.render(
                policy.contact_rate.note,
                customer=record.customer,
                count=context.contact_count,
                threshold=policy.contact_rate.threshold,
                window_hours=policy.contact_rate.window_hours,
                supervisors=policy.groups.get("supervisors", "Supervisors"),
                incident=incident is not None,
            )
        )
        new = new.model_copy(update={"contact_rate_noted_at": now})
        plan.audit.append(
            AuditEntry(
                "contact_rate", {"count": context.contact_count, "ticket_id": plan.ticket_id}
            )
        )
        rule = rule or "contact_rate"
    plan.batch.customer = _mirror(record, new, policy)
    new = remember_write(new, plan.batch.customer if not policy.observe else None, now)
    if new.stage != record.stage:
        plan.audit.append(
            AuditEntry("stage", {"from": record.stage, "to": new.stage, "rule": rule})
        )
    return PolicyResult(
        record=new,
        actions=plan.actions(),
        audit=plan.audit,
        rule=rule,
        routing_failures=tuple(plan.routing_failures),
        incident=incident,
        feedback=feedback,
    )


# -- staff's macros (ticket tags) ----------------------------------------------------------
def _on_tags(
    record: ConductRecord,
    event: Event,
    verdict: Verdict | None,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    if event.actor_role not in ("agent", "system") or not event.ticket_id:
        return PolicyResult(record)
    added = set(event.tags_added)
    macros = policy.macros
    plan = _Plan(policy, context, now, event.ticket_id, event.customer_id)
    if macros.false_positive.tag in added:
        return _false_positive(record, event, plan, context, policy, now)
    new = record
    rule: str | None = None
    moves: list[tuple[str, Stage]] = [
        (macros.warning.tag, "warned"),
        (macros.suspend.tag, "supervisor"),
        (macros.refer_complaints.tag, "complaint_management"),
        (macros.refer_senior.tag, "senior_management"),
    ]
    for tag, stage in moves:
        if tag not in added:
            continue
        rule = f"macro:{tag}"
        plan.audit.append(AuditEntry("macro", {"tag": tag, "ticket_id": event.ticket_id,
                                               "actor_id": event.actor_id}))  # fmt: skip
        if stage == "warned":
            new = new.model_copy(update={"pending_warning": None})
        if _rank(new.stage) < _rank(stage):
            new = new.model_copy(update={"stage": stage, "stage_since": now})
            _enter(
                new, stage, plan, event, None, policy, now, rule,
                entered=True, suggest_message=False,
            )  # fmt: skip
        elif stage == "warned" and new.stage == "warned":
            new = new.model_copy(update={"stage_since": now})  # a new warning restarts the window
    if rule is None:
        return PolicyResult(record)
    return _finish(record, new, plan, False, context, policy, now, rule)


def _false_positive(
    record: ConductRecord,
    event: Event,
    plan: _Plan,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    tags = policy.tags
    plan.batch.untag(tags.flagged, tags.safety_incident, *(tags.category(c) for c in CATEGORIES))
    withdrawn = [i for i in record.incidents if i.ticket_id == event.ticket_id and not i.withdrawn]
    keys = {i.key for i in withdrawn}
    incidents = tuple(
        i.model_copy(update={"withdrawn": True}) if i.key in keys else i for i in record.incidents
    )
    new = record.model_copy(update={"incidents": incidents})
    for incident in sorted(withdrawn, key=lambda i: i.at, reverse=True):
        if incident.stage_before is not None and new.stage_since == incident.at:
            new = new.model_copy(
                update={"stage": incident.stage_before, "stage_since": incident.stage_since_before}
            )
    if new.pending_warning is not None and new.pending_warning.ticket_id == event.ticket_id:
        new = new.model_copy(update={"pending_warning": None})
    rule = f"macro:{policy.macros.false_positive.tag}"
    if withdrawn or new.stage != record.stage:
        plan.batch.notes.append(
            f"Conduct Guard: marked not abusive. {len(withdrawn)} incident(s) on this ticket "
            f"withdrawn from the customer's conduct record; stage now “{new.stage}”. The "
            "message(s) are kept as feedback for the classifier. Thank you."
        )
    plan.audit.append(
        AuditEntry(
            "withdrawn",
            {"ticket_id": event.ticket_id, "incidents": sorted(keys), "actor_id": event.actor_id},
        )
    )
    feedback = FeedbackRequest(ticket_id=event.ticket_id or "", incident_keys=tuple(sorted(keys)))
    return _finish(record, new, plan, False, context, policy, now, rule, feedback=feedback)


# -- a person's edit of the customer mirror -------------------------------------------------
def _on_customer_changed(
    record: ConductRecord,
    event: Event,
    verdict: Verdict | None,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    if event.actor_role == "self":
        return PolicyResult(record)
    record, event = consume_echoes(record, event, now)
    field_name = policy.mirror.stage_field
    wanted: str | None = None
    if field_name in event.fields and event.fields[field_name] != record.mirror.get(field_name):
        wanted = str(event.fields[field_name] or "clean")
    else:
        prefix = policy.tags.stage_prefix
        for tag in event.tags_added:
            if tag.startswith(prefix) and tag.removeprefix(prefix) != record.stage:
                wanted = tag.removeprefix(prefix)
    if wanted is None or wanted == record.stage:
        return PolicyResult(record)  # the plugin's own write coming back, or no change
    plan = _Plan(policy, context, now, None, event.customer_id)
    if wanted not in LADDER:
        # Not a stage a person can set by hand (restrictions come from decisions): put the
        # mirror back as the record has it.
        plan.batch.customer = _full_mirror(record, policy)
        plan.audit.append(AuditEntry("mirror_edit_refused", {"value": wanted}))
        return PolicyResult(
            record=remember_write(record, plan.batch.customer, now),
            actions=plan.actions(),
            audit=plan.audit,
            rule="mirror_edit_refused",
        )
    stage: Stage = wanted
    new = record.model_copy(update={"stage": stage, "stage_since": now, "pending_warning": None})
    plan.audit.append(
        AuditEntry("mirror_edit", {"from": record.stage, "to": stage, "actor_id": event.actor_id})
    )
    return _finish(record, new, plan, False, context, policy, now, "mirror_edit")


def _full_mirror(record: ConductRecord, policy: Policy) -> UpdateCustomer:
    since = record.stage_since.date().isoformat() if record.stage_since else ""
    return UpdateCustomer(
        customer_id=_vendor_id(record.customer),
        fields={policy.mirror.stage_field: record.stage, policy.mirror.since_field: since},
        tags_add=(policy.tags.stage(record.stage),),
        tags_remove=tuple(policy.tags.stage(s) for s in LADDER if s != record.stage),
    )


# -- time: the sweep's fall-back -----------------------------------------------------------
def fall_back_due(record: ConductRecord, policy: Policy) -> datetime | None:
    """When the stage falls back one step if nothing happens (None: it never does)."""
    if record.stage not in LADDER or record.stage == "clean" or record.restriction is not None:
        return None
    last = _last_step(record)
    return policy.clean_period_ends(last) if last is not None else None


def fall_back(record: ConductRecord, policy: Policy, now: datetime) -> PolicyResult:
    """One step down the ladder after a clean period (the sweep calls this)."""
    due = fall_back_due(record, policy)
    if due is None or now < due:
        return PolicyResult(record)
    stage: Stage = LADDER[LADDER.index(record.stage) - 1]
    new = record.model_copy(update={"stage": stage, "stage_since": now, "pending_warning": None})
    plan = _Plan(policy, Context(), now, None, _vendor_id(record.customer))
    return _finish(record, new, plan, False, Context(), policy, now, "clean_period_fall_back")


# -- entry point ---------------------------------------------------------------------------
Handler = Callable[[ConductRecord, Event, Verdict | None, Context, Policy, datetime], PolicyResult]
HANDLERS: dict[str, Handler] = {
    # `ticket_created` is not assessed: its text is the first comment, which the helpdesk also
    # delivers as a `message` (assessing both would make one message two incidents).
    "message": _on_message,
    "tags_changed": _on_tags,
    "customer_changed": _on_customer_changed,
}


def evaluate(
    record: ConductRecord,
    event: Event,
    verdict: Verdict | None,
    context: Context,
    policy: Policy,
    now: datetime,
) -> PolicyResult:
    """What `event` does to the customer's conduct record and the helpdesk (no I/O)."""
    # Issue 6: managers' decisions and challenges come first; an active restriction is then
    # enforced on top of the ladder's result (imported here: those modules import this one).
    from ticket_actions import decisions, enforcement

    decided = decisions.decide(record, event, context, policy, now)
    if decided is not None:
        return decided
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return PolicyResult(record)
    result = handler(record, event, verdict, context, policy, now)
    return enforcement.enforce(record, result, event, context, policy, now)
