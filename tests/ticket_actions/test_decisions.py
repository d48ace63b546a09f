"""Table tests of managers' decisions (pure): who may decide, each kind's record, mirror,
assignment and written notice, durations and overrides, review dates in working days, lift,
extend, no action, challenge, the organisation notice and observe mode. Through `evaluate`, so
the hook into the ladder's policy is tested too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.policy import Policy, load_policy
from config.policy_restrictions import Officer, working_days_from
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
from integration.events import Event
from ticket_actions.context import Context
from ticket_actions.decisions import choices, parse_decisions
from ticket_actions.policy import evaluate
from ticket_actions.record import ConductRecord, Incident, Restriction
from ticket_actions.restriction_facts import AgentFacts, RestrictionFacts

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"
BASE = load_policy(SHIPPED, timezone="Europe/London")
ADDRESS = "Customer Support, 1 High Street, London N1 1AA"
RULES = BASE.restrictions.model_copy(
    update={
        "officers": {
            "jsmith": Officer(name="Jane Smith", email="jane.smith@example.com"),
            "bkhan": Officer(name="Bilal Khan", email="bilal.khan@example.com"),
        },
        "postal_address": ADDRESS,
    }
)
POLICY = BASE.model_copy(update={"restrictions": RULES})
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
GROUP_IDS = {name: f"g-{role}" for role, name in POLICY.groups.items()}
JANE = AgentFacts(ref="jsmith", agent_id="501", name="Jane Smith", email="jane.smith@example.com")
BILAL = AgentFacts(ref="bkhan", agent_id="502", name="Bilal Khan", email="bilal.khan@example.com")
MANAGER = frozenset({"Senior Management", "Support"})


def facts(**values: Any) -> RestrictionFacts:
    base: dict[str, Any] = {"agents": {"jsmith": JANE, "bkhan": BILAL}}
    return RestrictionFacts(**{**base, **values})


def ctx(groups: frozenset[str] = MANAGER, **values: Any) -> Context:
    return Context(groups=GROUP_IDS, agent_groups=groups, restrictions=facts(**values))


def tags_event(
    *tags: str, actor: str = "agent", actor_id: str = "7", fields: dict[str, Any] | None = None
) -> Event:
    return Event(
        vendor="zendesk",
        event_id=f"tags-{'-'.join(tags)}",
        kind="tags_changed",
        occurred_at=NOW,
        ticket_id="100",
        customer_id="42",
        actor_role=actor,  # type: ignore[arg-type]
        actor_id=actor_id,
        tags_added=tags,
        fields=fields or {},
    )


INCIDENTS = (
    Incident(
        key="90:m1",
        event_id="m1",
        ticket_id="90",
        at=datetime(2026, 1, 12, 15, 0, tzinfo=UTC),
        labels=("insult",),
        severity="abusive",
        evidence=("you useless idiot",),
    ),
    Incident(
        key="95:m2",
        event_id="m2",
        ticket_id="95",
        at=datetime(2026, 2, 20, 11, 0, tzinfo=UTC),
        labels=("threat", "profanity"),
        severity="abusive",
        evidence=("I will make you pay",),
    ),
)


def senior(**values: Any) -> ConductRecord:
    return ConductRecord(
        customer="zendesk:42",
        stage="senior_management",
        stage_since=NOW - timedelta(days=3),
        incidents=INCIDENTS,
        **values,
    )


def restricted(kind: str = "email_only", days: int = 90, **values: Any) -> ConductRecord:
    restriction = Restriction(
        kind=kind,  # type: ignore[arg-type]
        start=NOW - timedelta(days=30),
        end=NOW - timedelta(days=30) + timedelta(days=days),
        review_date=NOW + timedelta(days=40),
        decided_by="7",
        ticket_id="80",
        **values,
    )
    return senior().model_copy(
        update={"stage": "restricted", "stage_since": restriction.start, "restriction": restriction}
    )


def of(actions: list[Action], kind: type[Any]) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def notes(actions: list[Action]) -> list[str]:
    return [a.body for a in of(actions, Comment) if not a.public]


def replies(actions: list[Action]) -> list[str]:
    return [a.body for a in of(actions, Comment) if a.public]


def with_rules(**changes: Any) -> Policy:
    return POLICY.model_copy(update={"restrictions": RULES.model_copy(update=changes)})


# -- parsing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tag", "kind", "days"),
    [
        ("conduct_decision_email_only_90d", "email_only", 90),
        ("conduct_decision_email_only", "email_only", None),
        ("conduct_decision_letters_only_30d", "letters_only", 30),
        ("conduct_decision_named_officer", "named_officer", None),
        ("conduct_decision_conduct_agreement_180d", "conduct_agreement", 180),
        ("conduct_decision_chat_blocked_7d", "chat_blocked", 7),
        ("conduct_decision_terminate", "terminate", None),
        ("conduct_decision_lift", "lift", None),
        ("conduct_decision_extend_30d", "extend", 30),
        ("conduct_decision_no_action", "no_action", None),
        ("conduct_decision_banish", None, None),
        ("conduct_decision_email_only_90", None, None),
        ("conduct_warning_sent", None, None),
    ],
)
def test_decision_tags_are_parsed(tag: str, kind: str | None, days: int | None) -> None:
    found = parse_decisions([tag, "other"], POLICY.restrictions)
    assert [(d.kind, d.days) for d in found] == ([(kind, days)] if kind else [])


def test_choices_come_from_fields_first_then_tags() -> None:
    rules = POLICY.restrictions
    event = tags_event(
        "conduct_decision_named_officer", "conduct_officer_bkhan", "conduct_days_60",
        fields={"conduct_named_officer": "jane.smith@example.com"},
    )  # fmt: skip
    chosen = choices(event, {"conduct_deputy_officer": "conduct_deputy_bkhan"}, rules)
    assert (chosen.officer, chosen.deputy, chosen.days) == ("jsmith", "bkhan", 60)
    bare = choices(tags_event("conduct_decision_named_officer", "conduct_officer_bkhan"), {}, rules)
    assert (bare.officer, bare.deputy, bare.days) == ("bkhan", None, None)


# -- who may decide --------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    id: str
    event: Event
    context: Context
    policy: Policy
    reason: str  # a fragment the note must contain


REFUSALS = [
    Refusal("not a senior manager", tags_event("conduct_decision_email_only_90d"),
            ctx(frozenset({"Support", "Supervisors"})), POLICY, "not a member of the group"),
    Refusal("a trigger, not a person", tags_event("conduct_decision_terminate", actor="system",
            actor_id="-1"), ctx(), POLICY, "not made by a person"),
    Refusal("two decisions at once", tags_event("conduct_decision_email_only_90d",
            "conduct_decision_terminate"), ctx(), POLICY, "more than one decision"),
    Refusal("longer than the policy allows", tags_event("conduct_decision_email_only_900d"),
            ctx(), POLICY, "longer than the policy allows"),
    Refusal("letters only without a postal address", tags_event(
            "conduct_decision_letters_only_30d"), ctx(), with_rules(postal_address=None),
            "postal address"),
    Refusal("named officer not chosen", tags_event("conduct_decision_named_officer"), ctx(),
            POLICY, "no named officer was chosen"),
    Refusal("named officer unknown", tags_event("conduct_decision_named_officer",
            "conduct_officer_jsmith"), ctx(agents={"jsmith": AgentFacts("jsmith", None,
            "Jane Smith", error="no agent with that e-mail")}), POLICY,
            "no agent with that e-mail"),
    Refusal("extend without a restriction", tags_event("conduct_decision_extend_30d"), ctx(),
            POLICY, "no restriction on record"),
]  # fmt: skip


@pytest.mark.parametrize("row", REFUSALS, ids=[r.id for r in REFUSALS])
def test_refused_decision_changes_nothing_but_says_why(row: Refusal) -> None:
    before = senior()
    result = evaluate(before, row.event, None, row.context, row.policy, NOW)
    assert result.rule == "decision_refused"
    assert result.record == before
    decision_tags = tuple(t for t in row.event.tags_added if t.startswith("conduct_decision_"))
    assert result.actions[0] == RemoveTags("100", decision_tags)  # the macro can be re-applied
    assert len(result.actions) == 2
    (note,) = notes(result.actions)
    assert "NOT carried out" in note and row.reason in note
    assert [e.kind for e in result.audit] == ["decision_refused"]


def test_the_plugins_own_tag_changes_are_not_decisions() -> None:
    result = evaluate(senior(), tags_event("conduct_decision_terminate", actor="self"), None,
                      ctx(), POLICY, NOW)  # fmt: skip
    assert result.actions == [] and result.record == senior()


def test_ladder_macros_still_work_beside_the_decisions() -> None:
    before = ConductRecord(customer="zendesk:42")
    result = evaluate(before, tags_event("conduct_warning_sent"), None, ctx(), POLICY, NOW)
    assert result.record.stage == "warned"


# -- each restriction kind end to end (pure) -----------------------------------------------------
@dataclass(frozen=True)
class Kind:
    id: str
    tags: tuple[str, ...]
    kind: str
    days: int | None
    stage: str
    officer: str | None  # the officer ref recorded
    assignee: str | None  # the agent the ticket is assigned to
    what: str  # the notice's "what" must contain this


KINDS = [
    Kind("e-mail only, 90 days", ("conduct_decision_email_only_90d",), "email_only", 90,
         "restricted", None, None, "by e-mail only, at support@example.com"),
    Kind("e-mail only, default duration", ("conduct_decision_email_only",), "email_only", 90,
         "restricted", None, None, "by e-mail only"),
    Kind("letters only, 30 days", ("conduct_decision_letters_only_30d",), "letters_only", 30,
         "restricted", None, None, ADDRESS),
    Kind("named officer from a field option tag", ("conduct_decision_named_officer_180d",
         "conduct_officer_jsmith", "conduct_deputy_bkhan"), "named_officer", 180, "restricted",
         "jsmith", "501", "named officer, Jane Smith (jane.smith@example.com)"),
    Kind("conduct agreement, default 180 days", ("conduct_decision_conduct_agreement",),
         "conduct_agreement", 180, "restricted", None, None, "agree to keep your messages"),
    Kind("block from live chat, 90 days", ("conduct_decision_chat_blocked_90d",),
         "chat_blocked", 90, "restricted", None, None, "not be able to use our live chat"),
    Kind("terminate: until further notice", ("conduct_decision_terminate",), "terminate", None,
         "terminated", None, None, "will no longer respond"),
    Kind("e-mail only routed to an officer", ("conduct_decision_email_only_30d",
         "conduct_officer_bkhan"), "email_only", 30, "restricted", "bkhan", "502",
         "handled by Bilal Khan"),
]  # fmt: skip


@pytest.mark.parametrize("row", KINDS, ids=[k.id for k in KINDS])
def test_each_restriction_kind(row: Kind) -> None:
    result = evaluate(senior(), tags_event(*row.tags), None, ctx(), POLICY, NOW)
    assert result.rule == f"decision_{row.kind}"
    record = result.record
    restriction = record.restriction
    assert restriction is not None
    assert restriction.kind == row.kind
    assert restriction.start == NOW
    assert restriction.end == (NOW + timedelta(days=row.days) if row.days else None)
    assert restriction.named_officer == row.officer
    assert restriction.decided_by == "7" and restriction.ticket_id == "100"
    assert record.stage == row.stage and record.stage_since == NOW
    assert record.agreement is (row.kind == "conduct_agreement")
    review = restriction.review_date
    assert review is not None and review > NOW
    if restriction.end is not None:
        assert review < restriction.end
    actions = result.actions

    # the ticket: decision tag off, restricted tags on, one note, one public notice
    decision_tag = next(t for t in row.tags if t.startswith("conduct_decision_"))
    assert RemoveTags("100", (decision_tag,)) in actions
    assert AddTags("100", ("conduct_restricted", f"conduct_restricted_{row.kind}")) in actions
    (note,) = notes(actions)
    assert "decision carried out" in note and "sent as the public reply" in note
    (notice,) = replies(actions)
    # why: the conduct with dates and quoted evidence
    assert "Monday 12 January 2026" in notice and "“you useless idiot”" in notice
    assert "aggressive or threatening language" in notice
    # what, how long, the review, how to challenge
    assert row.what in notice
    assert "Wednesday 4 March 2026" in notice
    if restriction.end is not None:
        end_words = f"{restriction.end:%A} {restriction.end.day} {restriction.end:%B %Y}"
        assert f"until {end_words} ({row.days} days)" in notice
    else:
        assert "until further notice" in notice
    assert "REVIEW" in notice and "HOW TO CHALLENGE" in notice and "within 28 days" in notice

    # assignment of the named officer
    assigned = of(actions, Assign)
    assert assigned == ([Assign("100", agent_id=row.assignee)] if row.assignee else [])

    # the mirror: fields and tags
    (mirror,) = of(actions, UpdateCustomer)
    assert mirror.customer_id == "42"
    assert mirror.fields["conduct_restriction"] == row.kind
    assert mirror.fields["conduct_restriction_start"] == "2026-03-04"
    assert mirror.fields["conduct_restriction_end"] == (
        (NOW + timedelta(days=row.days)).date().isoformat() if row.days else ""
    )
    assert mirror.fields["conduct_restriction_review"] == review.date().isoformat()
    assert mirror.fields["conduct_decided_by"] == "7"
    assert mirror.fields["conduct_stage"] == row.stage
    assert {"conduct_restricted", f"conduct_restricted_{row.kind}"} <= set(mirror.tags_add)
    assert "conduct_stage_senior_management" in mirror.tags_remove
    assert record.mirror["conduct_restriction"] == row.kind  # its echo will be recognised
    assert [e.kind for e in result.audit] == ["decision", "stage"]
    assert not of(actions, CreateTicket)  # organisation notices are off by default


def test_review_date_counts_working_days_back_from_the_end_skipping_a_bank_holiday() -> None:
    result = evaluate(senior(), tags_event("conduct_decision_email_only_90d"), None, ctx(),
                      POLICY, NOW)  # fmt: skip
    restriction = result.record.restriction
    assert restriction is not None and restriction.end == datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    # Ten working days before Tuesday 2 June 2026, with the spring bank holiday (Monday 25 May)
    # skipped: 1 Jun, 29, 28, 27, 26, 22, 21, 20, 19, 18 May → Monday 18 May, 09:00 BST.
    assert restriction.review_date == datetime(2026, 5, 18, 8, 0, tzinfo=UTC)


def test_working_days_forward_skip_weekends_and_easter() -> None:
    hours = POLICY.working_hours
    thursday = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)  # Good Friday and Easter Monday follow
    assert working_days_from(hours, thursday, 1) == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)
    assert working_days_from(hours, thursday, -1) == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert working_days_from(hours, saturday, 0) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "context", "days"),
    [
        (tags_event("conduct_decision_email_only_90d", fields={"conduct_restriction_days": 45}),
         ctx(), 45),
        (tags_event("conduct_decision_email_only_90d"),
         ctx(ticket_fields={"conduct_restriction_days": "conduct_days_14"}), 14),
        (tags_event("conduct_decision_email_only_90d", "conduct_days_60"), ctx(), 60),
        (tags_event("conduct_decision_email_only_90d"), ctx(), 90),
    ],
    ids=["event field", "ticket field read by the adapter", "field option tag", "macro"],
)  # fmt: skip
def test_a_ticket_field_overrides_the_macros_duration(
    event: Event, context: Context, days: int
) -> None:
    result = evaluate(senior(), event, None, context, POLICY, NOW)
    restriction = result.record.restriction
    assert restriction is not None and restriction.end == NOW + timedelta(days=days)


def test_the_deputy_is_assigned_when_the_officer_is_away() -> None:
    away = AgentFacts("jsmith", "501", "Jane Smith", "jane.smith@example.com", away=True)
    event = tags_event(
        "conduct_decision_named_officer_90d", "conduct_officer_jsmith", "conduct_deputy_bkhan"
    )
    result = evaluate(senior(), event, None, ctx(agents={"jsmith": away, "bkhan": BILAL}),
                      POLICY, NOW)  # fmt: skip
    assert of(result.actions, Assign) == [Assign("100", agent_id="502")]
    restriction = result.record.restriction
    assert restriction is not None and restriction.named_officer == "jsmith"  # still the officer
    (note,) = notes(result.actions)
    assert "assigned to Bilal Khan (the deputy: the named officer is marked away)" in note
    (notice,) = replies(result.actions)
    assert "When they are away, Bilal Khan will help you" in notice


def test_notice_as_a_new_ticket_to_the_customer() -> None:
    policy = with_rules(notice="new_ticket")
    result = evaluate(senior(), tags_event("conduct_decision_chat_blocked_90d"), None, ctx(),
                      policy, NOW)  # fmt: skip
    assert replies(result.actions) == []
    (notice,) = of(result.actions, CreateTicket)
    assert notice.requester_id == "42" and notice.subject == policy.restrictions.notice_subject
    assert "WHY" in notice.body and "live chat" in notice.body and "HOW TO CHALLENGE" in notice.body
    assert notice.tags == ("conduct_notice",)
    (note,) = notes(result.actions)
    assert "sent to the customer as a new ticket" in note


def test_organisation_management_is_told_the_decision_never_the_words() -> None:
    policy = with_rules(organisation=RULES.organisation.model_copy(update={"notify": True}))
    context = ctx(organization_name="Acme Trust", organization_contact="boss@acme.example")
    result = evaluate(senior(), tags_event("conduct_decision_email_only_90d"), None, context,
                      policy, NOW)  # fmt: skip
    (org,) = of(result.actions, CreateTicket)
    assert org.requester_email == "boss@acme.example" and org.requester_id is None
    assert "Acme Trust" in org.subject and "contact by e-mail only" in org.body
    assert "Tuesday 2 June 2026" in org.body
    for incident in INCIDENTS:
        for quote in incident.evidence:
            assert quote not in org.body
    assert "idiot" not in org.body and "insult" not in org.body
    (note,) = notes(result.actions)
    assert "Organisation notified: Acme Trust" in note
    without = evaluate(senior(), tags_event("conduct_decision_email_only_90d"), None, ctx(),
                       policy, NOW)  # fmt: skip
    assert not of(without.actions, CreateTicket)
    assert "the organisation has no management contact" in notes(without.actions)[0]


def test_a_new_restriction_replaces_the_old_one() -> None:
    before = restricted("chat_blocked")
    result = evaluate(before, tags_event("conduct_decision_email_only_90d"), None, ctx(), POLICY,
                      NOW)  # fmt: skip
    restriction = result.record.restriction
    assert restriction is not None and restriction.kind == "email_only"
    untagged = RemoveTags(
        "100", ("conduct_decision_email_only_90d", "conduct_restricted_chat_blocked")
    )
    assert untagged in result.actions
    (mirror,) = of(result.actions, UpdateCustomer)
    assert "conduct_restricted_chat_blocked" in mirror.tags_remove
    assert "replaces the previous restriction (no use of our live chat" in notes(result.actions)[0]


# -- lift, extend, no action -------------------------------------------------------------------
def test_lift_early_clears_record_mirror_and_tells_the_customer() -> None:
    result = evaluate(restricted("letters_only"), tags_event("conduct_decision_lift"), None,
                      ctx(), POLICY, NOW)  # fmt: skip
    assert result.rule == "decision_lift"
    record = result.record
    assert record.restriction is None and record.agreement is False
    assert record.stage == "senior_management" and record.stage_since == NOW
    (mirror,) = of(result.actions, UpdateCustomer)
    assert (
        mirror.fields["conduct_restriction"] == ""
        and mirror.fields["conduct_restriction_end"] == ""
    )
    assert {"conduct_restricted", "conduct_restricted_letters_only"} <= set(mirror.tags_remove)
    assert "conduct_stage_senior_management" in mirror.tags_add
    assert "conduct_stage_restricted" in mirror.tags_remove
    (notice,) = replies(result.actions)
    assert "lifted" in notice and "contact by letter only" in notice
    assert "lifted early by agent 7" in notes(result.actions)[0]


def test_lift_without_a_restriction_changes_nothing() -> None:
    result = evaluate(senior(), tags_event("conduct_decision_lift"), None, ctx(), POLICY, NOW)
    assert result.record == senior()
    assert not of(result.actions, UpdateCustomer) and not replies(result.actions)
    assert "no restriction on record" in notes(result.actions)[0]


def test_extend_moves_the_end_and_review_and_writes_again() -> None:
    before = restricted("email_only", reminded_at=NOW - timedelta(days=1))
    old = before.restriction
    assert old is not None and old.end is not None
    event = tags_event("conduct_decision_extend_30d", actor_id="8")
    result = evaluate(before, event, None, ctx(), POLICY, NOW)
    restriction = result.record.restriction
    assert restriction is not None
    assert restriction.end == old.end + timedelta(days=30)
    assert restriction.reminded_at is None and restriction.decided_by == "8"
    assert restriction.review_date is not None and restriction.review_date > old.end - timedelta(
        days=14
    )
    assert restriction.start == old.start and restriction.kind == "email_only"
    (notice,) = replies(result.actions)
    assert "decided to extend" in notice and "instead of Sunday 3 May 2026" in notice
    assert "it now ends on Tuesday 2 June 2026" in notice
    (mirror,) = of(result.actions, UpdateCustomer)
    assert mirror.fields["conduct_restriction_end"] == restriction.end.date().isoformat()


def test_an_open_ended_restriction_cannot_be_extended() -> None:
    before = restricted("email_only").model_copy(
        update={"restriction": restricted().restriction.model_copy(update={"end": None})}  # type: ignore[union-attr]
    )
    result = evaluate(before, tags_event("conduct_decision_extend"), None, ctx(), POLICY, NOW)
    assert result.rule == "decision_refused" and result.record == before


def test_no_action_is_a_note_and_an_audit_entry() -> None:
    result = evaluate(senior(), tags_event("conduct_decision_no_action"), None, ctx(), POLICY, NOW)
    assert result.record == senior()
    assert result.actions[0] == RemoveTags("100", ("conduct_decision_no_action",))
    assert "decided no action" in notes(result.actions)[0]
    assert [e.kind for e in result.audit] == ["decision"]


# -- challenge --------------------------------------------------------------------------------
def test_a_challenge_goes_to_another_senior_manager_with_the_whole_file() -> None:
    decider = AgentFacts("boss@x", "7", "Decider", "boss@x")
    other = AgentFacts("other@x", "9", "Other Manager", "other@x")
    before = restricted("email_only")
    context = ctx(frozenset({"Support"}), reviewers=(decider, other))
    result = evaluate(before, tags_event("conduct_challenge_received", actor_id="12"), None,
                      context, POLICY, NOW)  # fmt: skip
    assert result.rule == "challenge" and result.record == before
    assert of(result.actions, Assign) == [
        Assign("100", group_id=GROUP_IDS["Senior Management"], agent_id="9")
    ]
    assert SetPriority("100", "high") in result.actions
    assert SetStatus("100", "open") in result.actions
    (note,) = notes(result.actions)
    assert "CHALLENGE" in note and "Assigned to Other Manager" in note
    assert "decided by agent 7" in note
    assert "“you useless idiot”" in note and "“I will make you pay”" in note  # the evidence
    assert "THE NOTICE AS SENT" in note and "HOW TO CHALLENGE" in note  # the notice
    assert not replies(result.actions) and not of(result.actions, UpdateCustomer)


def test_a_challenge_never_goes_back_to_the_decider() -> None:
    decider = AgentFacts("boss@x", "7", "Decider", "boss@x")
    result = evaluate(restricted(), tags_event("conduct_challenge_received"), None,
                      ctx(reviewers=(decider,)), POLICY, NOW)  # fmt: skip
    assert of(result.actions, Assign) == [Assign("100", group_id=GROUP_IDS["Senior Management"])]
    assert "other than agent 7" in notes(result.actions)[0]


def test_a_challenge_whose_group_is_missing_says_so() -> None:
    context = Context(
        groups={}, group_errors={"Senior Management": "no such group"}, restrictions=facts()
    )
    result = evaluate(restricted(), tags_event("conduct_challenge_received"), None, context,
                      POLICY, NOW)  # fmt: skip
    assert result.routing_failures == ("Senior Management",)
    assert "ROUTING FAILED" in notes(result.actions)[0]


# -- observe mode ------------------------------------------------------------------------------
def test_observe_mode_records_the_decision_but_writes_tags_and_a_note_only() -> None:
    policy = POLICY.model_copy(update={"mode": "observe"})
    result = evaluate(senior(), tags_event("conduct_decision_named_officer_90d",
                      "conduct_officer_jsmith"), None, ctx(), policy, NOW)  # fmt: skip
    assert result.record.restriction is not None
    assert {type(a) for a in result.actions} <= {AddTags, RemoveTags, Comment}
    assert not replies(result.actions)
    note = notes(result.actions)[0]
    assert "Observe mode" in note and "the message to the customer" in note
    assert "the assignment" in note
