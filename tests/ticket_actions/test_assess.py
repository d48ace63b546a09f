"""The `assess` job's body with a real Redis: lock, record, audit, contacts, feedback, alerts,
the plugin's own events; the classifier and the adapter are stand-ins (tested elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from classifiers.verdict import CATEGORIES, Verdict
from config.settings import Settings
from integration.actions import Action, Assign, Comment
from integration.events import Event
from integration.helpdesk import ApplyResult, PermanentVendorError
from ticket_actions import store
from ticket_actions.assess import assess_event
from ticket_actions.errors import CustomerBusy
from ticket_actions.health import policy_degraded
from ticket_actions.queues import APPLY_QUEUE, URGENT_QUEUE, queue
from ticket_actions.runtime import Runtime

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
INSULT = "you useless idiot"
THREAT = "I know where you live and I will hurt you"


def _verdict(text: str) -> Verdict:
    label, severity = {INSULT: ("insult", "abusive"), THREAT: ("threat", "extreme")}.get(
        text, (None, "none")
    )
    labels = (label,) if label else ()
    return Verdict(
        scores={c: 0.95 if c == label else 0.01 for c in CATEGORIES},
        labels=labels,
        severity=severity,  # type: ignore[arg-type]
        model_version="stub",
        evidence={label: [(0, len(text))]} if label else {},
    )


class Desk:
    vendor = "zendesk"

    def __init__(self, groups: dict[str, str]) -> None:
        self.groups = groups
        self.calls: list[str] = []
        self.gone: set[str] = set()
        self.fields: dict[str, dict[str, Any]] = {}

    def apply(self, actions: Sequence[Action]) -> ApplyResult:  # pragma: no cover - not here
        raise AssertionError("assess never writes to the helpdesk")

    def whoami(self) -> str:
        self.calls.append("whoami")
        return "900"

    def get_customer_fields(self, customer_id: str) -> dict[str, Any]:
        self.calls.append(f"fields:{customer_id}")
        if customer_id in self.gone:
            raise PermanentVendorError("404", status=404)
        return dict(self.fields.get(customer_id, {}))

    def resolve_group(self, name: str) -> str | None:
        self.calls.append(f"group:{name}")
        return self.groups.get(name)

    def resolve_agent(self, email: str) -> str | None:
        return None

    def agent_groups(self, agent_id: str) -> tuple[str, ...]:
        self.calls.append(f"agent_groups:{agent_id}")
        return ("Supervisors",)

    def get_organization(self, organization_id: str) -> dict[str, Any]:
        return {}

    def customer_field_key(self, field_id: str) -> str | None:
        self.calls.append(f"field_key:{field_id}")
        return {"3604": "conduct_stage"}.get(field_id)


@dataclass
class StubRuntime(Runtime):
    def classify(self, text: str, thresholds: Mapping[str, float] | None = None) -> Verdict:
        return _verdict(text)


ALL_GROUPS = {"Support": "1", "Supervisors": "2", "Complaint Management": "3",
              "Senior Management": "4"}  # fmt: skip


@pytest.fixture
def runtime(redis_conn: redis.Redis, tmp_path: Path) -> Iterator[StubRuntime]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, redis_url="redis://unused", conduct_data_dir=tmp_path,
        zendesk_subdomain="acme", zendesk_email="bot@example.com", zendesk_api_token="t",
        zendesk_webhook_secret="s", conduct_alert_webhook_url="http://127.0.0.1:9/hook",
    )  # fmt: skip
    yield StubRuntime(settings, redis_conn, {"zendesk": Desk(dict(ALL_GROUPS))})  # type: ignore[dict-item]


def message(key: str, text: str, ticket: str = "100") -> Event:
    return Event(vendor="zendesk", event_id=f"d-{key}", kind="message", occurred_at=NOW,
                 ticket_id=ticket, customer_id="42", actor_id="42", message_id=key, text=text,
                 channel="email")  # fmt: skip


def tags(*added: str, actor: str = "7", ticket: str = "100") -> Event:
    return Event(vendor="zendesk", event_id=f"t-{actor}-{added}", kind="tags_changed",
                 occurred_at=NOW, ticket_id=ticket, customer_id="42", actor_id=actor,
                 actor_role="agent", tags_added=added)  # fmt: skip


def desk(runtime: StubRuntime) -> Desk:
    return runtime.helpdesk("zendesk")  # type: ignore[return-value]


def test_acceptable_message_costs_no_vendor_call(runtime: StubRuntime) -> None:
    outcome = assess_event(message("m1", "my printer is broken"), runtime, NOW)
    assert outcome.actions == [] and outcome.rule is None
    assert desk(runtime).calls == []
    assert runtime.redis.zcard(store.contacts_key("zendesk:42")) == 1


def test_incident_is_saved_audited_and_its_text_kept_for_feedback(runtime: StubRuntime) -> None:
    outcome = assess_event(message("m1", INSULT), runtime, NOW)
    assert outcome.rule == "first_incident" and not outcome.urgent
    record = store.load_record(runtime.redis, "zendesk:42")
    assert record.pending_warning is not None and len(record.incidents) == 1
    kinds = [line.kind for line in store.read_audit(runtime.redis, "zendesk:42")]
    assert kinds == ["incident"]
    assert runtime.redis.hexists(store.texts_key("zendesk", "100"), "100:m1")
    assert store.due_for_fall_back(runtime.redis, NOW + timedelta(days=9999)) == []  # clean


def test_the_actions_are_queued_for_apply_under_the_lock(runtime: StubRuntime) -> None:
    outcome = assess_event(message("m1", INSULT), runtime, NOW)
    assert outcome.apply_job is not None
    assert queue(runtime.redis, APPLY_QUEUE).job_ids == [outcome.apply_job]
    threat = assess_event(message("m2", THREAT, ticket="101"), runtime, NOW)
    assert threat.apply_job in queue(runtime.redis, URGENT_QUEUE).job_ids
    clean = assess_event(message("m3", "my printer is broken"), runtime, NOW)
    assert clean.apply_job is None


def test_escalation_resolves_groups_and_routes(runtime: StubRuntime) -> None:
    assess_event(message("m1", INSULT), runtime, NOW)
    assess_event(tags("conduct_warning_sent"), runtime, NOW + timedelta(hours=1))
    outcome = assess_event(message("m2", INSULT), runtime, NOW + timedelta(days=2))
    assert outcome.rule == "repeat_at_warned"
    assert Assign("100", group_id="2") in outcome.actions
    assert store.load_record(runtime.redis, "zendesk:42").stage == "supervisor"
    assert policy_degraded(runtime.redis) is None
    assert store.due_for_fall_back(runtime.redis, NOW + timedelta(days=400)) == ["zendesk:42"]


def test_missing_group_degrades_health_and_explains_in_the_note(runtime: StubRuntime) -> None:
    del desk(runtime).groups["Supervisors"]
    store.save_record(
        runtime.redis,
        store.load_record(runtime.redis, "zendesk:42").model_copy(
            update={"stage": "warned", "stage_since": NOW - timedelta(days=1)}
        ),
        None,
    )
    outcome = assess_event(message("m1", INSULT), runtime, NOW)
    notes = [a.body for a in outcome.actions if isinstance(a, Comment)]
    assert "ROUTING FAILED" in notes[0]
    assert not [a for a in outcome.actions if isinstance(a, Assign)]
    reason = policy_degraded(runtime.redis)
    assert reason is not None and "Supervisors" in reason


def test_threat_is_urgent_and_queues_an_alert_job(runtime: StubRuntime) -> None:
    outcome = assess_event(message("m1", THREAT), runtime, NOW)
    assert outcome.urgent and outcome.rule == "safety_fast_path"
    assert outcome.alert_job is not None
    job = queue(runtime.redis, URGENT_QUEUE).fetch_job(outcome.alert_job)
    assert job is not None and THREAT not in repr(job.args)
    assert job.args[0]["link"] == "https://acme.zendesk.com/agent/tickets/100"
    assert not [a for a in outcome.actions if isinstance(a, Comment) and a.public]


def test_busy_customer_raises_for_the_job_to_re_enqueue(runtime: StubRuntime) -> None:
    with store.customer_lock(runtime.redis, "zendesk:42"), pytest.raises(CustomerBusy):
        assess_event(message("m1", INSULT), runtime, NOW)
    assert store.load_record(runtime.redis, "zendesk:42").incidents == ()


def test_the_plugins_own_tag_changes_are_recognised(runtime: StubRuntime) -> None:
    assess_event(message("m1", INSULT), runtime, NOW)
    outcome = assess_event(tags("conduct_warning_sent", actor="900"), runtime, NOW)
    assert outcome.actions == []
    assert store.load_record(runtime.redis, "zendesk:42").stage == "clean"
    assert "whoami" in desk(runtime).calls
    by_agent = assess_event(tags("conduct_warning_sent", actor="7"), runtime, NOW)
    assert store.load_record(runtime.redis, "zendesk:42").stage == "warned"
    assert by_agent.rule == "macro:conduct_warning_sent"
    assert "agent_groups:7" not in desk(runtime).calls  # the ladder's macros need no groups
    assess_event(tags("conduct_decision_no_action", actor="8"), runtime, NOW)
    assert "agent_groups:8" in desk(runtime).calls  # a manager's decision: who decided matters


def test_false_positive_stores_feedback_rows(runtime: StubRuntime) -> None:
    assess_event(message("m1", INSULT), runtime, NOW)
    assess_event(tags("conduct_false_positive"), runtime, NOW + timedelta(minutes=5))
    rows = list(store.feedback_rows(runtime.redis))
    assert [(r["text"], r["labels"], r["severity"]) for r in rows] == [(INSULT, [], "none")]
    assert store.load_record(runtime.redis, "zendesk:42").active_incidents() == ()


def test_deleted_customer_is_erased_and_merged_one_joins_the_survivor(
    runtime: StubRuntime,
) -> None:
    assess_event(message("m1", INSULT), runtime, NOW)
    desk(runtime).gone.add("42")  # which one survives is learned from the helpdesk
    merged = Event(vendor="zendesk", event_id="u1", kind="customer_merged", occurred_at=NOW,
                   customer_id="42", fields={"merged_user_id": "43"})  # fmt: skip
    assert assess_event(merged, runtime, NOW).rule == "customer_merged"
    assert store.load_record(runtime.redis, "zendesk:42").incidents == ()
    assert len(store.load_record(runtime.redis, "zendesk:43").incidents) == 1
    deleted = Event(vendor="zendesk", event_id="u2", kind="customer_deleted", occurred_at=NOW,
                    customer_id="43")  # fmt: skip
    assess_event(deleted, runtime, NOW)
    assert store.load_record(runtime.redis, "zendesk:43").incidents == ()
    assert store.read_audit(runtime.redis, "zendesk:43") == []


def _field_changed(current: Any) -> Event:
    """Zendesk's user.custom_field_changed names the field by id only."""
    return Event(vendor="zendesk", event_id=f"u-{current}", kind="customer_changed",
                 occurred_at=NOW, customer_id="42",
                 fields={"custom_field": {"id": "3604", "title": "Conduct stage", "type": "text"},
                         "previous": None, "current": current})  # fmt: skip


def test_mirror_echo_costs_no_call_and_a_persons_edit_is_read_and_wins(
    runtime: StubRuntime,
) -> None:
    assess_event(message("m1", INSULT), runtime, NOW)
    assess_event(tags("conduct_warning_sent"), runtime, NOW)
    assert store.load_record(runtime.redis, "zendesk:42").mirror["conduct_stage"] == "warned"
    calls = len(desk(runtime).calls)
    echo = assess_event(_field_changed("warned"), runtime, NOW)
    assert echo.actions == [] and len(desk(runtime).calls) == calls  # recognised by value
    edit = assess_event(_field_changed("clean"), runtime, NOW)
    assert edit.rule == "mirror_edit" and "field_key:3604" in desk(runtime).calls
    assert store.load_record(runtime.redis, "zendesk:42").stage == "clean"
