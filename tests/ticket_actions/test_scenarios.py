"""Conduct-ladder scenarios end to end through the sandbox helpdesk, with the real web tier, the
real worker (RQ, in this process), real Redis, the Zendesk adapter and the shipped classifier.

The sandbox delivers signed webhooks to the web app; the worker assesses and applies; every
check reads the helpdesk through `/_sandbox/state` (never the sandbox's memory). The plugin's own
writes come back as events (the sandbox delivers them, as Zendesk does) and must change nothing.
Each step records the vendor calls it cost (`World.settle`; tests/ticket_actions/scenario_world.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifiers.api import classify
from tests.ticket_actions.scenario_world import CUSTOMER, World, scenario_world
from ticket_actions import store

SECRET = "scenario-signing-secret"
AGENT = 360500000002  # Sam Agent, Support
SUPERVISOR = 360500000004  # Sue Supervisor, Support + Supervisors
COMPLAINTS = 360500000005  # Carla Complaints, Complaint Management
SHIPPED_POLICY = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"

PRINTER = "This fucking printer has jammed again, third time today. Can someone help?"
INSULT_1 = "You are a useless idiot. Fix my account now, you pathetic moron."
INSULT_2 = "Still broken. You are all incompetent idiots and a bunch of stupid morons."
INSULT_3 = "Useless morons, every one of you. You are idiots and complete scum."
THREAT = "I know where you live. I am going to come down there and kill you."
FURIOUS = (
    "This is the THIRD time I am writing about the same invoice error and nobody has fixed it. "
    "Frankly your service is appalling. If it is not sorted by Friday I will take this to the "
    "ombudsman and leave a one-star review."
)


@pytest.fixture
def world(redis_url: str, tmp_path: Path) -> Iterator[World]:
    with scenario_world(redis_url, tmp_path, SHIPPED_POLICY, SECRET) as world:
        yield world


def _writes(calls: list[str]) -> list[str]:
    return [c for c in calls if not c.startswith("GET")]


# -- the scenarios ------------------------------------------------------------------------------
def test_swearing_at_a_printer_gets_tags_only(world: World) -> None:
    ticket = world.open_ticket(PRINTER)
    calls = world.settle("printer swearing")
    state = world.ticket(ticket)
    assert {"conduct_flagged", "conduct_profanity"} <= set(state["tags"])
    assert world.notes(ticket) == [] and world.public_by_plugin(ticket) == []
    assert world.stage() == "clean" and world.user()["user_fields"].get("conduct_stage") is None
    assert _writes(calls) == ["PUT /api/v2/tickets/{id}"]


def test_a_furious_legitimate_complaint_gets_nothing(world: World) -> None:
    ticket = world.open_ticket(FURIOUS)
    calls = world.settle("furious complaint")
    assert not [t for t in world.ticket(ticket)["tags"] if t.startswith("conduct_")]
    assert world.notes(ticket) == []
    assert calls == []  # not one vendor call
    assert store.load_record(world.redis, f"zendesk:{CUSTOMER}").incidents == ()


def test_the_ladder_from_insult_to_senior_management(world: World) -> None:
    ticket = world.open_ticket(INSULT_1)
    first = world.settle("first insult")
    (note,) = world.notes(ticket)
    assert "Conduct warning" in note and "nothing has been sent to the customer" in note
    assert world.public_by_plugin(ticket) == []
    assert {"conduct_flagged", "conduct_insult"} <= set(world.ticket(ticket)["tags"])
    assert world.stage() == "clean"
    assert _writes(first) == ["PUT /api/v2/tickets/{id}"]

    world.apply_macro(ticket, "Conduct warning", AGENT)
    warned = world.settle("warning macro applied")
    assert world.stage() == "warned"
    user = world.user()
    assert user["user_fields"]["conduct_stage"] == "warned"
    assert "conduct_stage_warned" in user["tags"]
    assert _writes(warned) == ["PUT /api/v2/users/{id}"]

    world.reply(ticket, INSULT_2)
    supervisor = world.settle("insult after warning")
    state = world.ticket(ticket)
    assert world.stage() == "supervisor"
    assert state["group_id"] == world.group("Supervisors") and state["priority"] == "high"
    note = world.notes(ticket)[-1]
    assert "escalated to a supervisor" in note and "Conduct: suspend and escalate" in note
    assert world.public_by_plugin(ticket) == []
    assert "conduct_stage_supervisor" in world.user()["tags"]
    assert sorted(_writes(supervisor)) == ["PUT /api/v2/tickets/{id}", "PUT /api/v2/users/{id}"]

    world.apply_macro(ticket, "Conduct: refer to complaint management", SUPERVISOR)
    world.settle("refer to complaint management")
    assert world.stage() == "complaint_management"
    assert world.ticket(ticket)["group_id"] == world.group("Complaint Management")
    assert "root cause" in world.notes(ticket)[-1]
    assert world.user()["user_fields"]["conduct_stage"] == "complaint_management"

    world.reply(ticket, INSULT_3)
    world.settle("continued abuse")
    assert world.stage() == "senior_management"
    assert world.ticket(ticket)["group_id"] == world.group("Senior Management")
    request = world.notes(ticket)[-1]
    assert "request for a decision" in request and "3 incident(s)" in request
    assert world.user()["user_fields"]["conduct_stage"] == "senior_management"
    assert world.public_by_plugin(ticket) == []  # suggest mode: people send what customers read
    trail = [line.kind for line in store.read_audit(world.redis, f"zendesk:{CUSTOMER}")]
    assert trail.count("incident") == 3 and trail.count("stage") == 4


def test_a_threat_takes_the_fast_path_alerts_and_tells_the_customer_nothing(
    world: World,
) -> None:
    ticket = world.open_ticket(THREAT, channel="web")
    calls = world.settle("threat")
    state = world.ticket(ticket)
    assert "conduct_safety_incident" in state["tags"]
    assert state["priority"] == "urgent"
    assert state["group_id"] == world.group("Senior Management")
    assert world.public_by_plugin(ticket) == []
    (note,) = world.notes(ticket)
    assert "police" in note and "Nothing has been sent to the customer" in note
    (alert,) = world.hook.bodies
    assert alert["kind"] == "safety_incident" and alert["ticket_id"] == str(ticket)
    assert alert["link"].endswith(f"/agent/tickets/{ticket}")
    assert "kill" not in json.dumps(alert) and "where you live" not in json.dumps(alert)
    assert world.stage() == "senior_management"
    assert sorted(_writes(calls)) == ["PUT /api/v2/tickets/{id}", "PUT /api/v2/users/{id}"]


def test_many_contacts_without_abuse_get_one_supervisor_note_and_no_warning(
    world: World,
) -> None:
    ticket = world.open_ticket("Hello, my export is failing with error 504.")
    for n in range(20):
        world.reply(ticket, f"Any news on my export? (message {n + 2})")
    world.settle("21 polite contacts")
    (note,) = world.notes(ticket)
    assert "21 times in the last 24 hours" in note and "Supervisors" in note
    assert "Conduct warning" not in note
    assert not [t for t in world.ticket(ticket)["tags"] if t.startswith("conduct_")]
    record = store.load_record(world.redis, f"zendesk:{CUSTOMER}")
    assert record.incidents == () and record.pending_warning is None
    world.reply(ticket, "Still waiting, thanks.")
    assert world.settle("22nd contact") == []  # one note per window


@pytest.fixture
def eager_world(redis_url: str, tmp_path: Path) -> Iterator[World]:
    """A policy whose insult threshold is so low that a harmless message is flagged: a false
    positive on demand, whatever the shipped model scores."""
    text = SHIPPED_POLICY.read_text().replace("\nthresholds: {}\n", "\nthresholds: {insult: 0.0}\n")
    assert "insult: 0.0}" in text
    (tmp_path / "policy").mkdir()
    policy = tmp_path / "policy" / "policy.yaml"
    policy.write_text(text)
    (tmp_path / "policy" / "templates").symlink_to(SHIPPED_POLICY.parent / "templates")
    with scenario_world(redis_url, tmp_path, policy, SECRET) as world:
        yield world


def test_a_false_positive_is_withdrawn_and_kept_as_feedback(eager_world: World) -> None:
    world = eager_world
    # Addressed to the team, so the model's severity for it, once flagged, is `abusive` (an
    # incident); a request it would call `minor` if flagged gets tags only (next test).
    text = "Why do you keep sending me the wrong invoice? Fix it."
    ticket = world.open_ticket(text)
    world.settle("harmless message flagged")
    assert "conduct_insult" in world.ticket(ticket)["tags"]
    assert len(store.load_record(world.redis, f"zendesk:{CUSTOMER}").active_incidents()) == 1
    world.apply_macro(ticket, "Conduct: not abusive", AGENT)
    calls = world.settle("not-abusive macro")
    tags = world.ticket(ticket)["tags"]
    assert not {"conduct_flagged", "conduct_insult"} & set(tags)
    assert "conduct_false_positive" in tags
    record = store.load_record(world.redis, f"zendesk:{CUSTOMER}")
    assert record.active_incidents() == () and record.pending_warning is None
    (row,) = list(store.feedback_rows(world.redis))
    assert row["text"] == text and row["labels"] == [] and row["severity"] == "none"
    assert _writes(calls) == ["PUT /api/v2/tickets/{id}"]


def test_a_label_a_threshold_override_adds_keeps_the_models_severity(eager_world: World) -> None:
    world = eager_world
    text = "Could you resend the invoice for March? The PDF link seems broken."
    assert classify(text).flagged_severity == "minor"  # the model: not aimed at anyone
    ticket = world.open_ticket(text)
    world.settle("harmless message flagged")
    assert "conduct_insult" in world.ticket(ticket)["tags"]
    record = store.load_record(world.redis, f"zendesk:{CUSTOMER}")
    assert record.active_incidents() == () and record.stage == "clean"  # tags only
