"""Table tests of the pure conduct policy: every transition of the ladder, the windows, the
fall-back, working-hours due dates, observe mode, the safety fast path, each macro, the false
positive, not assessed, the contact rate, the mirror and redelivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from classifiers.verdict import CATEGORIES, Verdict
from config.policy import Policy, load_policy
from integration.actions import (
    Action,
    AddTags,
    Assign,
    Comment,
    RemoveTags,
    SetPriority,
    UpdateCustomer,
)
from integration.events import Event
from ticket_actions.context import Context
from ticket_actions.policy import evaluate, fall_back, fall_back_due
from ticket_actions.record import ConductRecord, Incident, PendingWarning, Stage

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"
POLICY = load_policy(SHIPPED, timezone="Europe/London")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
GROUP_IDS = {name: f"g-{role}" for role, name in POLICY.groups.items()}
CTX = Context(groups=GROUP_IDS)
TEXT = "Listen you useless idiot, fix my account"
IDIOT = (TEXT.index("useless"), TEXT.index(","))


def verdict(severity: str, *labels: str, assessed: bool = True) -> Verdict:
    return Verdict(
        scores={c: (0.93 if c in labels else 0.02) for c in CATEGORIES},
        labels=labels,
        severity=severity,  # type: ignore[arg-type]
        model_version="test-model-1",
        evidence={label: [IDIOT] for label in labels},
        assessed=assessed,
        thresholds=dict.fromkeys(CATEGORIES, 0.75),  # as a model card would give them
    )


ACCEPTABLE = verdict("none")
MINOR = verdict("minor", "profanity")
ABUSIVE = verdict("abusive", "insult")
EXTREME = verdict("extreme", "threat")
DEMAND = verdict("minor", "unrealistic_demand")


def message(key: str = "m1", ticket: str = "100", actor: str = "customer") -> Event:
    return Event(
        vendor="zendesk",
        event_id=f"delivery-{key}",
        kind="message",
        occurred_at=NOW,
        ticket_id=ticket,
        customer_id="42",
        actor_role=actor,  # type: ignore[arg-type]
        actor_id="42" if actor == "customer" else "7",
        message_id=key,
        text=TEXT,
    )


def tags_added(*tags: str, ticket: str = "100", actor: str = "agent") -> Event:
    return Event(
        vendor="zendesk",
        event_id=f"tags-{'-'.join(tags)}",
        kind="tags_changed",
        occurred_at=NOW,
        ticket_id=ticket,
        customer_id="42",
        actor_role=actor,  # type: ignore[arg-type]
        actor_id="7",
        tags_added=tags,
    )


def incident(key: str, days_ago: float, ticket: str = "100", **extra: Any) -> Incident:
    return Incident(
        key=f"{ticket}:{key}",
        event_id=key,
        ticket_id=ticket,
        at=NOW - timedelta(days=days_ago),
        labels=("insult",),
        severity="abusive",
        evidence=("useless idiot",),
        **extra,
    )


def record(
    stage: Stage = "clean",
    since_days: float | None = None,
    incidents: tuple[Incident, ...] = (),
    pending_days: float | None = None,
) -> ConductRecord:
    return ConductRecord(
        customer="zendesk:42",
        stage=stage,
        stage_since=None if since_days is None else NOW - timedelta(days=since_days),
        incidents=incidents,
        pending_warning=None
        if pending_days is None
        else PendingWarning(ticket_id="99", since=NOW - timedelta(days=pending_days)),
    )


def of(actions: list[Action], kind: type[Any]) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def note(actions: list[Action]) -> str:
    notes = [a.body for a in of(actions, Comment) if not a.public]
    assert len(notes) == 1, notes  # one internal note per event: one comment in the update
    return str(notes[0])


def with_policy(**changes: Any) -> Policy:
    return POLICY.model_copy(update=changes)


# -- the ladder on customer messages: one row per transition ----------------------------------
@dataclass(frozen=True)
class Row:
    id: str
    before: ConductRecord
    verdict: Verdict | None
    rule: str | None
    stage: Stage
    pending: bool
    group: str | None  # the group role the ticket is routed to
    suggests: str | None  # the macro named in the note
    new_incident: bool
    mirror: bool


WARNED_30 = record("warned", 30, (incident("old", 31),))
ROWS = [
    Row("acceptable", record(), ACCEPTABLE, None, "clean", False, None, None, False, False),
    Row("minor: tags only", record(), MINOR, "tags_only", "clean", False, None, None, False,
        False),
    Row("first abusive: warning suggested", record(), ABUSIVE, "first_incident", "clean", True,
        None, "Conduct warning", True, False),
    Row("abuse while the warning is pending: not a second warning", record(pending_days=1,
        incidents=(incident("a", 1, "99"),)), ABUSIVE, "while_warning_pending", "clean", True,
        None, None, True, False),
    Row("a pending warning lapses after the window", record(pending_days=100,
        incidents=(incident("a", 100, "99"),)), ABUSIVE, "first_incident", "clean", True, None,
        "Conduct warning", True, False),
    Row("repeat within the window after a warning → supervisor", WARNED_30, ABUSIVE,
        "repeat_at_warned", "supervisor", False, "supervisors", "Conduct: suspend and escalate",
        True, True),
    Row("after the window: a fresh warning, stage kept", record("warned", 120,
        (incident("old", 121),)), ABUSIVE, "first_incident", "warned", True, None,
        "Conduct warning", True, False),
    Row("repeat at supervisor stays with supervisors", record("supervisor", 10,
        (incident("a", 10),)), ABUSIVE, "repeat_at_supervisor", "supervisor", False,
        "supervisors", None, True, False),
    Row("continued abuse at complaint management → senior management",
        record("complaint_management", 5, (incident("a", 20),)), ABUSIVE,
        "repeat_at_complaint_management", "senior_management", False, "senior_management", None,
        True, True),
    Row("repeat at senior management: another request", record("senior_management", 5,
        (incident("a", 5),)), ABUSIVE, "repeat_at_senior_management", "senior_management", False,
        "senior_management", None, True, False),
    Row("extreme at clean: safety fast path", record(), EXTREME, "safety_fast_path",
        "senior_management", False, "senior_management", None, True, True),
    Row("extreme while warned: safety fast path", WARNED_30, EXTREME, "safety_fast_path",
        "senior_management", False, "senior_management", None, True, True),
    Row("unrealistic demand counts as an incident", record(), DEMAND, "first_incident", "clean",
        True, None, "Conduct warning", True, False),
    Row("not assessed: a tag, no effect on the record", record(), verdict("none",
        assessed=False), "not_assessed", "clean", False, None, None, False, False),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_ladder_transition(row: Row) -> None:
    result = evaluate(row.before, message("new"), row.verdict, CTX, POLICY, NOW)
    actions = result.actions
    assert result.rule == row.rule
    assert result.record.stage == row.stage
    assert (result.record.pending_warning is not None) is row.pending
    assert (result.incident is not None) is row.new_incident
    assert len(result.record.incidents) == len(row.before.incidents) + int(row.new_incident)
    assigned = of(actions, Assign)
    if row.group:
        assert assigned == [Assign("100", group_id=f"g-{row.group}")]
    else:
        assert assigned == []
    assert bool(of(actions, UpdateCustomer)) is row.mirror
    assert not [a for a in of(actions, Comment) if a.public]  # suggest mode: nothing sent
    if row.suggests:
        assert f"applying the macro “{row.suggests}”" in note(actions)
    if row.rule is None:
        assert actions == []


def test_acceptable_message_makes_no_vendor_call_and_keeps_the_record() -> None:
    before = record()
    after, actions = evaluate(before, message(), ACCEPTABLE, CTX, POLICY, NOW)
    assert actions == [] and after == before


def test_minor_is_tags_only() -> None:
    result = evaluate(record(), message(), MINOR, CTX, POLICY, NOW)
    assert result.actions == [AddTags("100", ("conduct_flagged", "conduct_profanity"))]
    assert result.record == record()


def test_not_assessed_is_the_tag_only() -> None:
    result = evaluate(record(), message(), verdict("none", assessed=False), CTX, POLICY, NOW)
    assert result.actions == [AddTags("100", ("conduct_not_assessed",))]
    assert result.record == record()


def test_first_incident_note_has_evidence_scores_thresholds_model_and_rule() -> None:
    result = evaluate(record(), message(), ABUSIVE, CTX, POLICY, NOW)
    assert of(result.actions, AddTags) == [AddTags("100", ("conduct_flagged", "conduct_insult"))]
    body = note(result.actions)
    assert "“useless idiot”" in body
    assert "insult 0.93 (0.75)" in body
    assert "test-model-1" in body and "Rule: first_incident" in body
    assert "nothing has been sent to the customer" in body
    assert result.record.pending_warning == PendingWarning(ticket_id="100", since=NOW)
    assert result.incident is not None and result.incident.evidence == ("useless idiot",)


def test_abuse_while_pending_names_the_pending_warning_and_suggests_no_second_one() -> None:
    before = record(pending_days=1, incidents=(incident("a", 1, "99"),))
    result = evaluate(before, message(), ABUSIVE, CTX, POLICY, NOW)
    body = note(result.actions)
    assert "another incident while a warning is still pending" in body
    assert "ticket #99" in body and "not a second warning" in body
    assert result.record.pending_warning == before.pending_warning  # the same, not renewed


def test_redelivered_message_never_escalates_twice() -> None:
    first = evaluate(WARNED_30, message("m9"), ABUSIVE, CTX, POLICY, NOW)
    assert first.record.stage == "supervisor"
    again = Event(**{**message("m9").to_dict(), "event_id": "another-delivery",  # type: ignore[arg-type]
                     "occurred_at": NOW})  # fmt: skip
    second = evaluate(first.record, again, ABUSIVE, CTX, POLICY, NOW + timedelta(minutes=1))
    assert second.rule == "redelivered"
    assert second.actions == [] and second.record == first.record


def test_policy_thresholds_override_the_classifier_labels() -> None:
    strict = with_policy(thresholds=POLICY.thresholds.model_copy(update={"insult": 0.95}))
    result = evaluate(record(), message(), ABUSIVE, CTX, strict, NOW)
    assert result.actions == [] and result.rule is None


def test_agent_messages_are_not_assessed_as_the_customer() -> None:
    result = evaluate(record(), message(actor="agent"), ABUSIVE, CTX, POLICY, NOW)
    assert result.actions == [] and result.record == record()


# -- automatic messages -------------------------------------------------------------------------
def test_automatic_warning_is_sent_and_the_stage_moves_now() -> None:
    automatic = with_policy(warnings="automatic")
    result = evaluate(record(), message(), ABUSIVE, CTX, automatic, NOW)
    public = [a for a in of(result.actions, Comment) if a.public]
    assert len(public) == 1 and "{{ticket.requester.first_name}}" in public[0].body
    assert "conduct_warning_sent" in of(result.actions, AddTags)[0].tags
    assert result.record.stage == "warned" and result.record.pending_warning is None
    assert of(result.actions, UpdateCustomer)[0].fields["conduct_stage"] == "warned"
    assert "sent to the customer automatically" in note(result.actions)


def test_automatic_suspension_notice_on_entering_supervisor() -> None:
    automatic = with_policy(warnings="automatic")
    result = evaluate(WARNED_30, message(), ABUSIVE, CTX, automatic, NOW)
    public = [a.body for a in of(result.actions, Comment) if a.public]
    assert len(public) == 1 and "suspend communication" in public[0]
    assert "conduct_suspend_escalate" in of(result.actions, AddTags)[0].tags


# -- safety ---------------------------------------------------------------------------------
def test_safety_fast_path_sends_nothing_to_the_customer_and_alerts_without_words() -> None:
    result = evaluate(record(), message(), EXTREME, CTX, POLICY, NOW)
    assert result.urgent
    assert result.alert is not None and result.alert.kind == "safety_incident"
    assert TEXT not in repr(result.alert) and "idiot" not in repr(result.alert)
    assert "conduct_safety_incident" in of(result.actions, AddTags)[0].tags
    assert of(result.actions, SetPriority) == [SetPriority("100", "urgent")]
    assert not [a for a in of(result.actions, Comment) if a.public]
    body = note(result.actions)
    assert "police" in body and "Nothing has been sent to the customer" in body
    assert "“useless idiot”" in body  # evidence preserved verbatim
    assert "Tue" not in body.split("Please act by")[1]  # due within working hours, same day
    assert "Wed 04 Mar 2026 12:00" in body  # 2 working hours


def test_safety_even_in_automatic_mode_sends_nothing() -> None:
    result = evaluate(record(), message(), EXTREME, CTX, with_policy(warnings="automatic"), NOW)
    assert not [a for a in of(result.actions, Comment) if a.public]


# -- observe mode ---------------------------------------------------------------------------
def test_observe_mode_is_tags_and_internal_notes_only() -> None:
    observe = with_policy(mode="observe", warnings="automatic")
    for before, verdict_ in ((WARNED_30, ABUSIVE), (record(), EXTREME), (record(), ABUSIVE)):
        result = evaluate(before, message(), verdict_, CTX, observe, NOW)
        kinds = {type(a) for a in result.actions}
        assert kinds <= {AddTags, Comment}, kinds
        assert not [a for a in of(result.actions, Comment) if a.public]
        assert result.alert is None
    escalated = evaluate(WARNED_30, message(), ABUSIVE, CTX, observe, NOW)
    assert "Observe mode" in note(escalated.actions)
    assert "the assignment" in note(escalated.actions)
    assert escalated.record.stage == "supervisor"  # the record still follows the ladder
    assert escalated.record.mirror == {}  # nothing was written to the helpdesk
    warned = evaluate(record(), message(), ABUSIVE, CTX, observe, NOW)
    assert warned.record.stage == "clean"  # no automatic warning was sent in observe mode
    assert warned.record.pending_warning is not None


# -- working hours --------------------------------------------------------------------------
def test_due_date_counts_working_hours_only() -> None:
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    before = record("warned", 3, (incident("a", 3),))
    result = evaluate(before, message(), ABUSIVE, CTX, POLICY, friday_4pm)
    # 8 working hours: 1 on Friday, 7 on Monday.
    assert "Please act by Mon 09 Mar 2026 16:00 GMT" in note(result.actions)


def test_due_date_skips_a_public_holiday() -> None:
    maundy_thursday_4pm = datetime(2026, 4, 2, 16, 0, tzinfo=UTC)  # 17:00 BST: closed
    before = record("warned", 3, (incident("a", 3),))
    result = evaluate(before, message(), ABUSIVE, CTX, POLICY, maundy_thursday_4pm)
    # Good Friday and Easter Monday are holidays in England: Tuesday 7 April, 17:00 BST.
    assert "Please act by Tue 07 Apr 2026 17:00 BST" in note(result.actions)


# -- routing failures -----------------------------------------------------------------------
def test_missing_group_does_not_stop_the_other_actions() -> None:
    groups = {**GROUP_IDS, "Supervisors": None}
    context = Context(groups=groups, group_errors={"Supervisors": "no group named 'Supervisors'"})
    result = evaluate(WARNED_30, message(), ABUSIVE, context, POLICY, NOW)
    assert of(result.actions, Assign) == []
    assert of(result.actions, SetPriority) == [SetPriority("100", "high")]
    assert result.record.stage == "supervisor"
    assert result.routing_failures == ("Supervisors",)
    body = note(result.actions)
    assert "ROUTING FAILED" in body and "no group named 'Supervisors'" in body


# -- macros ---------------------------------------------------------------------------------
def test_warning_macro_moves_to_warned_and_writes_the_mirror() -> None:
    before = record(pending_days=0.1, incidents=(incident("a", 0.1),))
    result = evaluate(before, tags_added("conduct_warning_sent"), None, CTX, POLICY, NOW)
    assert result.record.stage == "warned" and result.record.stage_since == NOW
    assert result.record.pending_warning is None
    (mirror,) = of(result.actions, UpdateCustomer)
    assert mirror.customer_id == "42"
    assert mirror.fields == {"conduct_stage": "warned", "conduct_stage_since": "2026-03-04"}
    assert mirror.tags_add == ("conduct_stage_warned",)
    assert "conduct_stage_clean" in mirror.tags_remove
    assert result.record.mirror == {"conduct_stage": "warned", "conduct_stage_since": "2026-03-04"}
    again = evaluate(result.record, tags_added("conduct_warning_sent"), None, CTX, POLICY, NOW)
    assert of(again.actions, UpdateCustomer) == []  # the stage did not change: no mirror write


def test_suspend_macro_routes_to_supervisors_without_suggesting_itself() -> None:
    result = evaluate(WARNED_30, tags_added("conduct_suspend_escalate"), None, CTX, POLICY, NOW)
    assert result.record.stage == "supervisor"
    assert of(result.actions, Assign) == [Assign("100", group_id="g-supervisors")]
    assert "suspend and escalate" not in note(result.actions).split("escalated")[1]


def test_refer_to_complaint_management_routes_with_a_root_cause_task() -> None:
    before = record("supervisor", 2, (incident("a", 40), incident("b", 2)))
    result = evaluate(before, tags_added("conduct_refer_complaints"), None, CTX, POLICY, NOW)
    assert result.record.stage == "complaint_management"
    assert of(result.actions, Assign) == [Assign("100", group_id="g-complaint_management")]
    body = note(result.actions)
    assert "root cause" in body and "2 incident(s)" in body
    assert "Please act by Fri 06 Mar 2026 10:00 GMT" in body  # 16 working hours


def test_refer_to_senior_management_asks_for_a_decision_with_the_whole_history() -> None:
    before = record("complaint_management", 2, (incident("a", 60), incident("b", 30)))
    result = evaluate(before, tags_added("conduct_refer_senior"), None, CTX, POLICY, NOW)
    assert result.record.stage == "senior_management"
    assert of(result.actions, Assign) == [Assign("100", group_id="g-senior_management")]
    body = note(result.actions)
    assert "request for a decision" in body and body.count("“useless idiot”") == 2


def test_macros_never_move_the_stage_down_or_repeat_a_step() -> None:
    before = record("senior_management", 2, (incident("a", 2),))
    result = evaluate(before, tags_added("conduct_refer_complaints"), None, CTX, POLICY, NOW)
    assert result.record.stage == "senior_management" and result.actions == []


@pytest.mark.parametrize("actor", ["self", "customer"])
def test_tags_from_the_plugin_or_the_customer_are_not_macros(actor: str) -> None:
    result = evaluate(record(), tags_added("conduct_refer_senior", actor=actor), None, CTX,
                      POLICY, NOW)  # fmt: skip
    assert result.actions == [] and result.record == record()


def test_false_positive_withdraws_the_incident_undoes_its_stage_and_asks_for_feedback() -> None:
    escalated = evaluate(WARNED_30, message("m5", ticket="200"), ABUSIVE, CTX, POLICY, NOW)
    assert escalated.record.stage == "supervisor"
    later = NOW + timedelta(hours=1)
    event = tags_added("conduct_false_positive", ticket="200")
    result = evaluate(escalated.record, event, None, CTX, POLICY, later)
    assert result.record.stage == "warned"
    assert result.record.stage_since == WARNED_30.stage_since
    withdrawn = [i for i in result.record.incidents if i.withdrawn]
    assert [i.key for i in withdrawn] == ["200:m5"]
    assert len(result.record.active_incidents()) == 1
    (untag,) = of(result.actions, RemoveTags)
    assert {"conduct_flagged", "conduct_insult", "conduct_safety_incident"} <= set(untag.tags)
    assert result.feedback is not None
    assert result.feedback.ticket_id == "200" and result.feedback.labels == ()
    assert result.feedback.incident_keys == ("200:m5",)
    assert of(result.actions, UpdateCustomer)[0].fields["conduct_stage"] == "warned"
    assert "withdrawn" in note(result.actions)


def test_false_positive_clears_a_pending_warning_suggested_on_that_ticket() -> None:
    first = evaluate(record(), message(), ABUSIVE, CTX, POLICY, NOW)
    result = evaluate(first.record, tags_added("conduct_false_positive"), None, CTX, POLICY, NOW)
    assert result.record.pending_warning is None
    assert result.record.active_incidents() == ()
    assert result.record.stage == "clean" and of(result.actions, UpdateCustomer) == []


# -- the customer mirror --------------------------------------------------------------------
def customer_changed(fields: dict[str, Any], tags: tuple[str, ...] = ()) -> Event:
    return Event(
        vendor="zendesk",
        event_id="user-1",
        kind="customer_changed",
        occurred_at=NOW,
        customer_id="42",
        actor_role="agent",
        fields=fields,
        tags_added=tags,
    )


def test_the_plugins_own_mirror_write_coming_back_is_ignored() -> None:
    warned = evaluate(
        record(pending_days=0, incidents=(incident("a", 0),)),
        tags_added("conduct_warning_sent"), None, CTX, POLICY, NOW,
    )  # fmt: skip
    echo = customer_changed(dict(warned.record.mirror), ("conduct_stage_warned",))
    result = evaluate(warned.record, echo, None, CTX, POLICY, NOW)
    assert result.actions == []
    assert result.record.stage == warned.record.stage == "warned"
    # each echo that came back was consumed; only removals of tags never held are left to expire
    assert all(e.key.startswith("tag-:") for e in result.record.mirror_echoes)


def test_a_late_echo_of_an_earlier_mirror_write_does_not_undo_an_escalation() -> None:
    # The warning's mirror write ("warned") comes back only after the next incident has
    # already moved the customer on to "supervisor" (Zendesk's user events are asynchronous).
    warned = evaluate(
        record(pending_days=0, incidents=(incident("a", 0),)),
        tags_added("conduct_warning_sent"), None, CTX, POLICY, NOW,
    )  # fmt: skip
    escalated = evaluate(warned.record, message("m2"), ABUSIVE, CTX, POLICY, NOW)
    assert escalated.record.stage == "supervisor"
    late = customer_changed({"conduct_stage": "warned"}, ("conduct_stage_warned",))
    result = evaluate(escalated.record, late, None, CTX, POLICY, NOW + timedelta(seconds=5))
    assert result.record.stage == "supervisor" and result.actions == []
    # ...but a person setting "warned" afterwards is an edit, and the person wins.
    again = evaluate(result.record, late, None, CTX, POLICY, NOW + timedelta(minutes=5))
    assert again.record.stage == "warned" and again.rule == "mirror_edit"


def test_a_persons_edit_of_the_mirror_wins() -> None:
    before = WARNED_30.model_copy(update={"mirror": {"conduct_stage": "warned"}})
    result = evaluate(before, customer_changed({"conduct_stage": "clean"}), None, CTX, POLICY,
                      NOW)  # fmt: skip
    assert result.record.stage == "clean" and result.rule == "mirror_edit"
    (mirror,) = of(result.actions, UpdateCustomer)
    assert mirror.tags_add == ("conduct_stage_clean",)
    assert "conduct_stage_warned" in mirror.tags_remove
    by_tag = evaluate(before, customer_changed({}, ("conduct_stage_supervisor",)), None, CTX,
                      POLICY, NOW)  # fmt: skip
    assert by_tag.record.stage == "supervisor"


def test_a_mirror_edit_to_an_unknown_stage_is_put_back() -> None:
    before = WARNED_30.model_copy(update={"mirror": {"conduct_stage": "warned"}})
    result = evaluate(before, customer_changed({"conduct_stage": "banished"}), None, CTX, POLICY,
                      NOW)  # fmt: skip
    assert result.record.stage == "warned"
    assert of(result.actions, UpdateCustomer)[0].fields["conduct_stage"] == "warned"


# -- contact rate ---------------------------------------------------------------------------
def test_many_contacts_add_one_supervisor_note_per_window_and_never_warn() -> None:
    busy = Context(contact_count=21, groups=GROUP_IDS)
    result = evaluate(record(), message("c21"), ACCEPTABLE, busy, POLICY, NOW)
    assert [type(a) for a in result.actions] == [Comment]
    body = note(result.actions)
    assert "21 times in the last 24 hours" in body and "Supervisors" in body
    assert result.record.pending_warning is None and result.record.incidents == ()
    assert result.record.contact_rate_noted_at == NOW
    later = evaluate(result.record, message("c22"), ACCEPTABLE,
                     Context(contact_count=22), POLICY, NOW + timedelta(hours=1))  # fmt: skip
    assert later.actions == []  # once per window
    next_day = evaluate(result.record, message("c40"), ACCEPTABLE,
                        Context(contact_count=21), POLICY, NOW + timedelta(hours=25))  # fmt: skip
    assert len(of(next_day.actions, Comment)) == 1
    at_threshold = evaluate(record(), message(), ACCEPTABLE, Context(contact_count=20), POLICY,
                            NOW)  # fmt: skip
    assert at_threshold.actions == []


def test_demands_with_contact_rate_policy_count_only_over_the_rate() -> None:
    strict = with_policy(
        incidents=POLICY.incidents.model_copy(update={"unrealistic_demand": "with_contact_rate"})
    )
    calm = evaluate(record(), message(), DEMAND, Context(contact_count=3), strict, NOW)
    assert calm.incident is None and calm.rule == "tags_only"
    busy = evaluate(record(), message(), DEMAND, Context(contact_count=30), strict, NOW)
    assert busy.incident is not None and busy.rule == "first_incident"
    body = note(busy.actions)
    assert "30 times" in body and "recorded as an incident" in body


# -- restricted customers (issue 6 will refine) ----------------------------------------------
def test_incident_from_a_restricted_customer_goes_to_senior_management_without_a_warning() -> None:
    before = record("restricted", 10, (incident("a", 10),))
    result = evaluate(before, message(), ABUSIVE, CTX, POLICY, NOW)
    assert result.rule == "incident_while_restricted" and result.record.stage == "restricted"
    assert of(result.actions, Assign) == [Assign("100", group_id="g-senior_management")]
    assert "Conduct warning" not in note(result.actions).split("Options")[0]


# -- fall-back (the sweep) ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stage", "clean_days", "after"),
    [
        ("supervisor", 366, "warned"),
        ("supervisor", 300, "supervisor"),
        ("senior_management", 400, "complaint_management"),
        ("warned", 366, "clean"),
        ("clean", 999, "clean"),
    ],
)
def test_stage_falls_back_one_step_after_the_clean_period(
    stage: Stage, clean_days: int, after: Stage
) -> None:
    before = record(stage, clean_days, (incident("a", clean_days),))
    result = fall_back(before, POLICY, NOW)
    assert result.record.stage == after
    if after != stage:
        assert result.record.stage_since == NOW
        assert of(result.actions, UpdateCustomer)[0].fields["conduct_stage"] == after
        next_due = None if after == "clean" else datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
        assert fall_back_due(result.record, POLICY) == next_due
    else:
        assert result.actions == []


def test_fall_back_waits_for_the_last_incident_not_the_stage_date() -> None:
    before = record("supervisor", 400, (incident("a", 100),))
    assert fall_back(before, POLICY, NOW).record.stage == "supervisor"
    assert fall_back_due(before, POLICY) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_ticket_created_is_not_assessed_twice_the_first_comment_arrives_as_a_message() -> None:
    created = Event(**{**message().to_dict(), "kind": "ticket_created", "occurred_at": NOW})  # type: ignore[arg-type]
    result = evaluate(record(), created, ABUSIVE, CTX, POLICY, NOW)
    assert result.actions == [] and result.record == record()
