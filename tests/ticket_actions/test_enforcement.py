"""Table tests of enforcement (pure): a later message from a restricted customer, by kind and
channel, merged with the ladder's result; once-per-ticket replies; conduct-agreement breaches;
expired restrictions; observe mode. Through `evaluate`, so the hook is tested too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from classifiers.verdict import CATEGORIES, Verdict
from config.policy import load_policy
from config.policy_restrictions import Officer
from integration.actions import (
    Action,
    AddTags,
    Assign,
    Comment,
    RemoveTags,
    SetPriority,
    SetStatus,
    UpdateCustomer,
)
from integration.events import Event
from ticket_actions.context import Context
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
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
GROUP_IDS = {name: f"g-{role}" for role, name in POLICY.groups.items()}
JANE = AgentFacts("jsmith", "501", "Jane Smith", "jane.smith@example.com")
BILAL = AgentFacts("bkhan", "502", "Bilal Khan", "bilal.khan@example.com")
TEXT = "Hello, any news on my claim? You useless idiot."


def ctx(**agents: AgentFacts) -> Context:
    known = agents or {"jsmith": JANE, "bkhan": BILAL}
    return Context(groups=GROUP_IDS, restrictions=RestrictionFacts(agents=known))


def verdict(severity: str = "none", *labels: str) -> Verdict:
    start = TEXT.index("You")
    return Verdict(
        scores={c: (0.93 if c in labels else 0.02) for c in CATEGORIES},
        labels=labels,
        severity=severity,  # type: ignore[arg-type]
        model_version="test-model-1",
        evidence={label: [(start, len(TEXT))] for label in labels},
    )


CLEAN = verdict()
ABUSIVE = verdict("abusive", "insult")


def message(channel: str = "email", ticket: str = "300", key: str = "m1") -> Event:
    return Event(
        vendor="zendesk",
        event_id=f"d-{ticket}-{key}",
        kind="message",
        occurred_at=NOW,
        ticket_id=ticket,
        customer_id="42",
        channel=channel,  # type: ignore[arg-type]
        actor_id="42",
        actor_role="customer",
        message_id=key,
        text=TEXT,
    )


def restricted(
    kind: str, officer: str | None = None, deputy: str | None = None, **values: Any
) -> ConductRecord:
    restriction = Restriction(
        kind=kind,  # type: ignore[arg-type]
        start=NOW - timedelta(days=10),
        end=NOW + timedelta(days=80),
        review_date=NOW + timedelta(days=66),
        named_officer=officer,
        deputy_officer=deputy,
        decided_by="7",
        ticket_id="80",
        **values,
    )
    incident = Incident(
        key="90:m0", event_id="m0", ticket_id="90", at=NOW - timedelta(days=20),
        labels=("insult",), severity="abusive", evidence=("you useless idiot",),
    )  # fmt: skip
    return ConductRecord(
        customer="zendesk:42",
        stage="terminated" if kind == "terminate" else "restricted",
        stage_since=restriction.start,
        incidents=(incident,),
        restriction=restriction,
        agreement=kind == "conduct_agreement",
    )


def of(actions: list[Action], kind: type[Any]) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def notes(actions: list[Action]) -> list[str]:
    return [a.body for a in of(actions, Comment) if not a.public]


def replies(actions: list[Action]) -> list[str]:
    return [a.body for a in of(actions, Comment) if a.public]


@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    channel: str
    officer: str | None
    reply: str | None  # a fragment of the automatic reply (None: no reply)
    solved: bool
    assignee: str | None
    note: str | None  # a fragment of the internal note (None: no note)


ROWS = [
    Row("e-mail only, a chat", "email_only", "messaging", None,
        "contact us by e-mail at support@example.com", True, None, "channel the restriction"),
    Row("e-mail only, a phone ticket, routed to the officer", "email_only", "phone", "jsmith",
        "Your named officer is Jane Smith", True, "501", "assigned to Jane Smith"),
    Row("e-mail only, an e-mail: allowed", "email_only", "email", None, None, False, None, None),
    Row("e-mail only, an e-mail, routed to the officer", "email_only", "email", "jsmith", None,
        False, "501", None),
    Row("letters only, an e-mail", "letters_only", "email", None, ADDRESS, True, None,
        "channel the restriction"),
    Row("chat blocked, a messaging conversation", "chat_blocked", "messaging", None,
        "live chat is not available to you", True, None, "channel the restriction"),
    Row("chat blocked, a legacy chat", "chat_blocked", "chat", None,
        "live chat is not available to you", True, None, "channel the restriction"),
    Row("chat blocked, an e-mail: allowed", "chat_blocked", "email", None, None, False, None,
        None),
    Row("terminated, an e-mail", "terminate", "email", None,
        "will not respond to this message", True, None, "Contact is terminated"),
    Row("named officer, a chat", "named_officer", "messaging", "jsmith", None, False, "501",
        "Assigned to Jane Smith"),
    Row("conduct agreement, a polite e-mail: nothing", "conduct_agreement", "email", None, None,
        False, None, None),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_enforcement_by_kind_and_channel(row: Row) -> None:
    before = restricted(row.kind, row.officer)
    result = evaluate(before, message(row.channel), CLEAN, ctx(), POLICY, NOW)
    actions = result.actions
    if row.reply:
        (reply,) = replies(actions)
        assert row.reply in reply and "automatic reply" in reply
        assert "kept" in reply  # the message stays on the ticket for staff
    else:
        assert replies(actions) == []
    assert (SetStatus("300", "solved") in actions) is row.solved
    assert of(actions, Assign) == ([Assign("300", agent_id=row.assignee)] if row.assignee else [])
    if row.note:
        (note,) = notes(actions)
        assert row.note in note
    else:
        assert notes(actions) == []
    acted = bool(row.reply or row.solved or row.assignee)
    assert (AddTags("300", ("conduct_enforced",)) in actions) is acted
    assert not of(actions, RemoveTags)  # nothing is taken away from the ticket
    restriction = result.record.restriction
    assert restriction is not None
    assert ("300" in restriction.enforced_tickets) is acted
    assert result.rule == (f"enforce_{row.kind}" if acted else None)


def test_the_reply_is_sent_once_per_ticket_and_the_ticket_solved_again() -> None:
    first = evaluate(restricted("chat_blocked"), message("messaging"), CLEAN, ctx(), POLICY, NOW)
    second = evaluate(first.record, message("messaging", key="m2"), CLEAN, ctx(), POLICY, NOW)
    assert len(replies(first.actions)) == 1
    assert replies(second.actions) == [] and notes(second.actions) == []
    assert SetStatus("300", "solved") in second.actions  # a new message reopened it
    other = evaluate(second.record, message("messaging", ticket="301"), CLEAN, ctx(), POLICY, NOW)
    assert len(replies(other.actions)) == 1  # a new conversation is answered again


def test_the_deputy_stands_in_for_an_officer_who_is_away() -> None:
    away = AgentFacts("jsmith", "501", "Jane Smith", away=True)
    result = evaluate(restricted("named_officer", "jsmith", "bkhan"), message("email"), CLEAN,
                      ctx(jsmith=away, bkhan=BILAL), POLICY, NOW)  # fmt: skip
    assert of(result.actions, Assign) == [Assign("300", agent_id="502")]
    assert "Bilal Khan (deputy: the named officer is marked away)" in notes(result.actions)[0]


def test_an_incident_under_a_conduct_agreement_is_a_breach_for_senior_management() -> None:
    result = evaluate(restricted("conduct_agreement"), message("email"), ABUSIVE, ctx(), POLICY,
                      NOW)  # fmt: skip
    actions = result.actions
    assert result.incident is not None  # the ladder recorded it
    assert of(actions, Assign) == [Assign("300", group_id=GROUP_IDS["Senior Management"])]
    assert SetPriority("300", "high") in actions
    assert not replies(actions) and SetStatus("300", "solved") not in actions
    tags = {t for a in of(actions, AddTags) for t in a.tags}
    assert {"conduct_agreement_breach", "conduct_enforced", "conduct_insult"} <= tags
    (note,) = notes(actions)  # the ladder's note and the breach, in one comment
    assert "BREACH OF A CONDUCT AGREEMENT" in note
    assert "THE AGREEMENT AS SENT" in note and "agree to keep your messages" in note
    assert "“You useless idiot.”" in note  # the ladder's evidence
    assert [e.kind for e in result.audit][-1] == "enforced"


def test_an_incident_under_email_only_goes_to_senior_management_unsolved() -> None:
    result = evaluate(restricted("email_only", "jsmith"), message("messaging"), ABUSIVE, ctx(),
                      POLICY, NOW)  # fmt: skip
    actions = result.actions
    assert of(actions, Assign) == [Assign("300", group_id=GROUP_IDS["Senior Management"])]
    assert SetStatus("300", "solved") not in actions
    assert len(replies(actions)) == 1  # the restriction is still explained
    assert "also a conduct incident" in notes(actions)[0]
    assert len(notes(actions)) == 1


def test_no_enforcement_once_the_restriction_has_ended() -> None:
    before = restricted("chat_blocked")
    assert before.restriction is not None and before.restriction.end is not None
    later = before.restriction.end + timedelta(minutes=1)
    result = evaluate(before, message("messaging"), CLEAN, ctx(), POLICY, later)
    assert result.actions == []


def test_staff_messages_are_not_enforced() -> None:
    agent = Event(
        vendor="zendesk", event_id="a1", kind="message", occurred_at=NOW, ticket_id="300",
        customer_id="42", channel="messaging", actor_id="7", actor_role="agent", text="Hi",
    )  # fmt: skip
    result = evaluate(restricted("chat_blocked"), agent, None, ctx(), POLICY, NOW)
    assert result.actions == []


def test_observe_mode_enforces_with_a_note_only() -> None:
    policy = POLICY.model_copy(update={"mode": "observe"})
    result = evaluate(restricted("terminate"), message("email"), CLEAN, ctx(), policy, NOW)
    assert {type(a) for a in result.actions} <= {AddTags, Comment}
    assert not replies(result.actions)
    assert "Observe mode" in notes(result.actions)[0]
    assert not of(result.actions, UpdateCustomer)
