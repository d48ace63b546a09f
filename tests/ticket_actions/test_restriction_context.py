"""Gathering the facts decisions and enforcement need (restriction_context) and the restriction
sweep over Redis due dates: which events cost lookups, failures that never stop the worker, the
officer-away cache, the organisation contact, and due dates kept by `save_record`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from config.policy import load_policy
from config.policy_restrictions import Officer
from integration.actions import Action, CreateTicket
from integration.events import Event
from integration.helpdesk import ApplyResult, TransientVendorError
from ticket_actions import store
from ticket_actions.policy import fall_back_due
from ticket_actions.record import ConductRecord, Restriction
from ticket_actions.restriction_context import gather
from ticket_actions.restriction_sweep import due_customers, sweep_restrictions

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"
BASE = load_policy(SHIPPED, timezone="Europe/London")
POLICY = BASE.model_copy(
    update={
        "restrictions": BASE.restrictions.model_copy(
            update={
                "officers": {"jsmith": Officer(name="Jane Smith", email="jane@example.com")},
                "challenge_reviewers": ("boss@example.com", "ghost@example.com"),
                "organisation": BASE.restrictions.organisation.model_copy(update={"notify": True}),
            }
        )
    }
)
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


class Desk:
    """A helpdesk adapter double: lookups answered from dicts, every call counted."""

    vendor = "zendesk"

    def __init__(self, *, failing: bool = False) -> None:
        self.calls: list[str] = []
        self.failing = failing
        self.agents = {"jane@example.com": "501", "boss@example.com": "7"}
        self.fields = {"501": {"conduct_away": True}, "7": {}}

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.failing:
            raise TransientVendorError("down", status=503)

    def apply(self, actions: Sequence[Action]) -> ApplyResult:
        raise AssertionError("gathering never writes")

    def whoami(self) -> str:
        return "1"

    def get_customer_fields(self, customer_id: str) -> dict[str, Any]:
        self._call(f"fields:{customer_id}")
        return dict(self.fields.get(customer_id, {}))

    def resolve_group(self, name: str) -> str | None:
        return None

    def resolve_agent(self, email: str) -> str | None:
        self._call(f"agent:{email}")
        return self.agents.get(email)

    def agent_groups(self, agent_id: str) -> tuple[str, ...]:
        return ()

    def get_organization(self, organization_id: str) -> dict[str, Any]:
        self._call(f"org:{organization_id}")
        return {"id": organization_id, "name": "Acme", "tags": [],
                "fields": {"management_contact_email": "boss@acme.example"}}  # fmt: skip

    def customer_field_key(self, field_id: str) -> str | None:
        return None

    def get_ticket_fields(self, ticket_id: str) -> dict[str, Any]:
        self._call(f"ticket:{ticket_id}")
        return {"conduct_restriction_days": "45"}


def tags(*added: str, actor: str = "agent") -> Event:
    return Event(
        vendor="zendesk", event_id="e1", kind="tags_changed", occurred_at=NOW, ticket_id="100",
        customer_id="42", organization_id="900", actor_role=actor,  # type: ignore[arg-type]
        actor_id="7", tags_added=added,
    )  # fmt: skip


def message(channel: str = "messaging") -> Event:
    return Event(
        vendor="zendesk", event_id="m1", kind="message", occurred_at=NOW, ticket_id="300",
        customer_id="42", channel=channel, actor_role="customer", actor_id="42",  # type: ignore[arg-type]
        message_id="m1", text="hi",
    )  # fmt: skip


def restricted(officer: str | None = "jsmith", end: datetime | None = None) -> ConductRecord:
    return ConductRecord(
        customer="zendesk:42",
        stage="restricted",
        restriction=Restriction(
            kind="chat_blocked",
            start=NOW - timedelta(days=1),
            end=end or NOW + timedelta(days=30),
            review_date=NOW + timedelta(days=20),
            named_officer=officer,
            decided_by="7",
        ),
    )


def test_ordinary_events_cost_no_lookup(redis_conn: redis.Redis) -> None:
    desk = Desk()
    clean = ConductRecord(customer="zendesk:42")
    for event in (message(), tags("conduct_warning_sent")):
        facts = gather(event, clean, POLICY, lambda: desk, redis_conn, NOW)
        assert facts.agents == {} and facts.ticket_fields == {}
    # restricted, but no officer to look up
    assert gather(message(), restricted(None), POLICY, lambda: desk, redis_conn, NOW).agents == {}
    assert desk.calls == []


def test_a_decision_reads_fields_officers_and_the_organisation(redis_conn: redis.Redis) -> None:
    desk = Desk()
    clean = ConductRecord(customer="zendesk:42")
    event = tags("conduct_decision_named_officer", "conduct_officer_jsmith")
    facts = gather(event, clean, POLICY, lambda: desk, redis_conn, NOW)
    assert facts.ticket_fields == {"conduct_restriction_days": "45"}
    jane = facts.agents["jsmith"]
    assert (jane.agent_id, jane.name, jane.away) == ("501", "Jane Smith", True)
    assert (facts.organization_name, facts.organization_contact) == ("Acme", "boss@acme.example")
    assert desk.calls == ["ticket:100", "agent:jane@example.com", "fields:501", "org:900"]


def test_the_away_flag_is_cached_between_messages(redis_conn: redis.Redis) -> None:
    desk = Desk()
    for _ in range(3):
        facts = gather(message(), restricted(), POLICY, lambda: desk, redis_conn, NOW)
        assert facts.agents["jsmith"].away is True
    assert desk.calls.count("fields:501") == 1


def test_a_challenge_resolves_the_reviewers_and_says_who_is_missing(
    redis_conn: redis.Redis,
) -> None:
    desk = Desk()
    facts = gather(tags("conduct_challenge_received"), restricted(), POLICY, lambda: desk,
                   redis_conn, NOW)  # fmt: skip
    boss, ghost = facts.reviewers
    assert boss.agent_id == "7" and ghost.agent_id is None
    assert ghost.error == "no agent with that e-mail address"


def test_failed_lookups_leave_the_facts_missing_and_never_raise(redis_conn: redis.Redis) -> None:
    desk = Desk(failing=True)
    event = tags("conduct_decision_named_officer_90d", "conduct_officer_jsmith")
    facts = gather(event, ConductRecord(customer="zendesk:42"), POLICY, lambda: desk, redis_conn,
                   NOW)  # fmt: skip
    assert facts.ticket_fields == {}
    jane = facts.agents["jsmith"]
    assert jane.agent_id is None and jane.error == "the lookup failed (TransientVendorError)"
    assert facts.organization_contact is None


def test_due_dates_follow_the_record_and_the_sweep_acts_once(redis_conn: redis.Redis) -> None:
    record = restricted(end=NOW + timedelta(days=30))
    store.save_record(redis_conn, record, fall_back_due(record, POLICY))
    review = record.restriction.review_date  # type: ignore[union-attr]
    assert review is not None
    assert due_customers(redis_conn, review - timedelta(seconds=1)) == []
    assert due_customers(redis_conn, review) == ["zendesk:42"]

    with store.customer_lock(redis_conn, "zendesk:42"):  # a job holds the customer
        busy = sweep_restrictions(redis_conn, POLICY, review)
    assert busy.busy == ["zendesk:42"] and busy.batches == []

    reminded = sweep_restrictions(redis_conn, POLICY, review)
    assert reminded.reminded == ["zendesk:42"]
    ((vendor, actions),) = reminded.batches
    assert vendor == "zendesk" and isinstance(actions[0], CreateTicket)
    assert sweep_restrictions(redis_conn, POLICY, review).reminded == []  # once
    end = record.restriction.end  # type: ignore[union-attr]
    assert end is not None and due_customers(redis_conn, end) == ["zendesk:42"]
    ended = sweep_restrictions(redis_conn, POLICY, end)
    assert ended.ended == ["zendesk:42"]
    assert store.load_record(redis_conn, "zendesk:42").restriction is None
    assert due_customers(redis_conn, end + timedelta(days=365)) == []
    kinds = [line.kind for line in store.read_audit(redis_conn, "zendesk:42")]
    assert kinds == ["review_reminder", "restriction_ended", "stage"]
