"""Review reminders and expiry (pure): what falls due when, with any `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config.policy import load_policy
from integration.actions import Action, CreateTicket, UpdateCustomer
from ticket_actions.record import ConductRecord, Incident, Restriction
from ticket_actions.restriction_expiry import on_due, restriction_due

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"
POLICY = load_policy(SHIPPED, timezone="Europe/London")
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
END = START + timedelta(days=90)
REVIEW = datetime(2026, 5, 18, 8, 0, tzinfo=UTC)


def record(end: datetime | None = END, **values: Any) -> ConductRecord:
    incident = Incident(
        key="90:m0", event_id="m0", ticket_id="90", at=START - timedelta(days=20),
        labels=("insult",), severity="abusive", evidence=("you useless idiot",),
    )  # fmt: skip
    return ConductRecord(
        customer="zendesk:42",
        stage="restricted",
        stage_since=START,
        incidents=(incident,),
        restriction=Restriction(
            kind="email_only",
            start=START,
            end=end,
            review_date=REVIEW,
            decided_by="7",
            ticket_id="80",
            **values,
        ),
        mirror={"conduct_stage": "restricted", "conduct_restriction": "email_only"},
    )


def of(actions: list[Action], kind: type[Any]) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def test_due_is_the_review_until_reminded_then_the_end() -> None:
    assert restriction_due(ConductRecord(customer="zendesk:1")) is None
    assert restriction_due(record()) == REVIEW
    assert restriction_due(record(reminded_at=REVIEW)) == END
    assert restriction_due(record(end=None, reminded_at=REVIEW)) is None


def test_nothing_before_the_review_date() -> None:
    result = on_due(record(), POLICY, REVIEW - timedelta(minutes=1))
    assert result.actions == [] and result.record == record()


def test_review_reminder_goes_to_the_deciding_manager_once() -> None:
    result = on_due(record(), POLICY, REVIEW)
    assert result.rule == "review_reminder"
    (reminder,) = result.actions
    assert isinstance(reminder, CreateTicket)
    assert reminder.requester_id == "7" and reminder.tags == ("conduct_review_due",)
    assert "Monday 18 May 2026" in reminder.subject
    assert "ticket #80" in reminder.body and "extend" in reminder.body and "lift" in reminder.body
    assert "idiot" not in reminder.body  # no customer words in an e-mail
    restriction = result.record.restriction
    assert restriction is not None and restriction.reminded_at == REVIEW
    again = on_due(result.record, POLICY, REVIEW + timedelta(days=1))
    assert again.actions == []


def test_an_open_ended_restriction_is_reviewed_again_and_again() -> None:
    result = on_due(record(end=None), POLICY, REVIEW)
    assert len(of(result.actions, CreateTicket)) == 1
    restriction = result.record.restriction
    assert restriction is not None and restriction.reminded_at is None
    assert restriction.review_date is not None and restriction.review_date > REVIEW
    assert restriction_due(result.record) == restriction.review_date


def test_at_the_end_date_the_restriction_is_lifted() -> None:
    result = on_due(record(reminded_at=REVIEW), POLICY, END)
    assert result.rule == "restriction_ended"
    new = result.record
    assert new.restriction is None and new.stage == "senior_management" and new.stage_since == END
    (mirror,) = of(result.actions, UpdateCustomer)
    assert mirror.customer_id == "42"
    assert mirror.fields["conduct_restriction"] == "" and mirror.fields["conduct_stage"] == (
        "senior_management"
    )
    assert {"conduct_restricted", "conduct_restricted_email_only"} <= set(mirror.tags_remove)
    note, notice = of(result.actions, CreateTicket)
    assert note.requester_id == "7" and "ended on Tuesday 2 June 2026" in note.body
    assert notice.requester_id == "42" and "You can contact us again" in notice.body
    assert new.mirror["conduct_restriction"] == ""
    assert restriction_due(new) is None
    assert [e.kind for e in result.audit] == ["restriction_ended", "stage"]


def test_expiry_without_the_notice_when_configured_off() -> None:
    policy = POLICY.model_copy(
        update={"restrictions": POLICY.restrictions.model_copy(update={"notice_at_expiry": False})}
    )
    result = on_due(record(reminded_at=REVIEW), policy, END + timedelta(hours=3))
    (note,) = of(result.actions, CreateTicket)
    assert note.requester_id == "7" and "No notice was sent" in note.body


def test_a_late_sweep_lifts_without_a_stale_reminder() -> None:
    result = on_due(record(), POLICY, END + timedelta(days=2))  # never reminded, already over
    assert result.rule == "restriction_ended"
    assert result.record.restriction is None
