"""Manager decisions and restrictions end to end through the sandbox helpdesk: the real web tier,
the real worker (RQ, in this process), real Redis, the Zendesk adapter and the shipped policy
(with named officers, a postal address and challenge reviewers filled in).

Managers apply the seeded decision macros through `/_sandbox/`; every check reads the helpdesk
through `/_sandbox/state` or its API (the "Restricted customers" view), never the sandbox's
memory. Time-driven work runs through the sweep with a moved `now` (no sleeping). Each step
records the vendor calls it cost; the decision's cost is asserted, so the report's figures are
tested facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from config.policy import Policy, load_policy
from config.redis_server import EmbeddedRedis, start_embedded_redis
from config.settings import load_settings
from integration.sandbox.client import SandboxError
from tests.ticket_actions.scenario_world import CUSTOMER, World, scenario_world
from ticket_actions import store
from ticket_actions.record import Incident
from ticket_actions.restriction_common import iso_day
from ticket_actions.runtime import Runtime, get_runtime, set_runtime
from ticket_actions.sweep import sweep

SECRET = "restriction-scenario-secret"
OTHER_CUSTOMER = 360500000102  # Jordan Buyer
AGENT = 360500000002  # Sam Agent, Support
PRIYA = 360500000003  # Priya Patel, Support: the named officer in the seeded macro
MORGAN = 360500000006  # Morgan Manager, Senior Management: decides
ROBIN = 360500000007  # Robin Director, Senior Management: reviews challenges
SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"
ADDRESS = "Customer Support, 1 High Street, London N1 1AA"
VIEW = 360700000001  # "Restricted customers" (seed)

MACROS = {
    "email_only": "Conduct: restrict — email only, 30 days",
    "letters_only": "Conduct: restrict — letters only, 90 days",
    "named_officer": "Conduct: restrict — named officer (Priya Patel, deputy Sam Agent), 90 days",
    "conduct_agreement": "Conduct: conduct agreement, 180 days",
    "chat_blocked": "Conduct: block from live chat, 90 days",
    "terminate": "Conduct: terminate contact",
}
DAYS = {"email_only": 30, "letters_only": 90, "named_officer": 90, "conduct_agreement": 180,
        "chat_blocked": 90, "terminate": None}  # fmt: skip
WHAT = {
    "email_only": "contact us by e-mail only, at support@example.com",
    "letters_only": ADDRESS,
    "named_officer": "through your named officer, Priya Patel (priya.patel@example.com)",
    "conduct_agreement": "agree to keep your messages to our staff polite",
    "chat_blocked": "not be able to use our live chat",
    "terminate": "will no longer respond to your contacts",
}


def seed_history(world: World) -> None:
    """The customer as senior management receives them: two incidents, quoted."""
    customer = f"zendesk:{CUSTOMER}"
    record = store.load_record(world.redis, customer)
    incidents = (
        Incident(
            key="1:a",
            event_id="a",
            ticket_id="1",
            at=datetime(2026, 1, 12, 15, tzinfo=UTC),
            labels=("insult",),
            severity="abusive",
            evidence=("you useless idiot",),
        ),
        Incident(
            key="2:b",
            event_id="b",
            ticket_id="2",
            at=datetime(2026, 2, 20, 11, tzinfo=UTC),
            labels=("threat",),
            severity="abusive",
            evidence=("you will regret this",),
        ),
    )
    seeded = record.model_copy(
        update={
            "stage": "senior_management",
            "stage_since": datetime.now(UTC),
            "incidents": incidents,
        }
    )
    store.save_record(world.redis, seeded, None)


def _local_day(moment: datetime | None) -> str:
    """A date as the mirror writes it: the local date in the worker's time zone."""
    return iso_day(moment, _shipped_policy())


@cache
def _shipped_policy() -> Policy:
    return load_policy(SHIPPED, timezone=load_settings().conduct_timezone)


def _policy(tmp_path: Path, **restrictions: Any) -> Path:
    data = yaml.safe_load(SHIPPED.read_text())
    rules = data["restrictions"]
    rules.update(
        officers={
            "ppatel": {"name": "Priya Patel", "email": "priya.patel@example.com"},
            "sagent": {"name": "Sam Agent", "email": "sam.agent@example.com"},
        },
        postal_address=ADDRESS,
        challenge_reviewers=["morgan.manager@example.com", "robin.director@example.com"],
    )
    thresholds = restrictions.pop("_thresholds", None)
    if thresholds:
        data["thresholds"].update(thresholds)
    for key, value in restrictions.items():
        if isinstance(value, dict):
            rules[key] = {**rules.get(key, {}), **value}
        else:
            rules[key] = value
    directory = tmp_path / "policy"
    directory.mkdir(exist_ok=True)
    data["templates_dir"] = str(SHIPPED.parent / "templates")
    path = directory / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture
def world(redis_url: str, tmp_path: Path) -> Iterator[World]:
    with scenario_world(redis_url, tmp_path, _policy(tmp_path), SECRET) as world:
        yield world


def _macro_status(world: World, ticket: int, title: str, agent: int) -> int:
    """The sandbox's answer when `agent` applies the macro (403 for a macro not theirs)."""
    try:
        world.helpdesk.apply_macro(ticket, world.helpdesk.macro_id(title), agent)
    except SandboxError as refused:
        assert refused.status is not None
        return refused.status
    return 200


def _writes(calls: list[str]) -> list[str]:
    return sorted(c for c in calls if not c.startswith("GET"))


def _decide(world: World, kind: str, body: str = "I want to talk about my account.") -> int:
    ticket = world.open_ticket(body)
    world.settle("customer writes")
    seed_history(world)
    world.apply_macro(ticket, MACROS[kind], MORGAN)
    return ticket


# -- each decision kind ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(MACROS))
def test_each_decision_kind_end_to_end(world: World, kind: str) -> None:
    before = datetime.now(UTC)
    ticket = _decide(world, kind)
    calls = world.settle(f"decision {kind}")
    record = world.record()
    restriction = record.restriction
    assert restriction is not None and restriction.kind == kind
    assert restriction.decided_by == str(MORGAN) and restriction.ticket_id == str(ticket)
    assert record.stage == ("terminated" if kind == "terminate" else "restricted")
    days = DAYS[kind]
    if days:
        assert restriction.end is not None
        assert (
            before + timedelta(days=days)
            <= restriction.end
            <= datetime.now(UTC) + timedelta(days=days)
        )
    else:
        assert restriction.end is None

    # the ticket: decision tag gone, restricted tags on, the note and the written notice
    state = world.ticket(ticket)
    assert {"conduct_restricted", f"conduct_restricted_{kind}"} <= set(state["tags"])
    assert not [t for t in state["tags"] if t.startswith("conduct_decision_")]
    (note,) = world.notes(ticket)
    assert "decision carried out" in note and f"agent {MORGAN}" in note
    (notice,) = world.public_by_plugin(ticket)
    for part in ("WHY", "WHAT WE HAVE DECIDED", "HOW LONG", "REVIEW", "HOW TO CHALLENGE"):
        assert part in notice
    assert "Monday 12 January 2026" in notice and "“you useless idiot”" in notice  # why
    assert WHAT[kind] in notice  # what
    assert (f"({days} days)" in notice) if days else ("until further notice" in notice)
    assert "within 28 days" in notice

    # the named officer is assigned
    if kind == "named_officer":
        assert state["assignee_id"] == PRIYA
        assert restriction.named_officer == "ppatel" and restriction.deputy_officer == "sagent"

    # the mirror: user fields and tags, so a view of restricted customers works
    user = world.user()
    fields = user["user_fields"]
    assert fields["conduct_restriction"] == kind
    # date fields hold the policy's local date (23:30 UTC in summer is the next day in London)
    assert fields["conduct_restriction_start"] == _local_day(restriction.start)
    assert fields["conduct_restriction_end"] == _local_day(restriction.end)
    assert restriction.review_date is not None
    assert fields["conduct_restriction_review"] == _local_day(restriction.review_date)
    assert fields["conduct_decided_by"] == str(MORGAN)
    assert fields["conduct_named_officer"] == ("Priya Patel" if kind == "named_officer" else "")
    assert {"conduct_restricted", f"conduct_restricted_{kind}"} <= set(user["tags"])

    # the cost: one guarded ticket update (+ its read) per comment, one user read + write; the
    # echoes of the plugin's own writes change nothing and cost nothing
    updates = ["PUT /api/v2/tickets/{id}", "PUT /api/v2/tickets/{id}", "PUT /api/v2/users/{id}"]
    assert _writes(calls) == updates
    assert world.record() == record
    assert [line.kind for line in store.read_audit(world.redis, f"zendesk:{CUSTOMER}")][-2:] == [
        "decision",
        "stage",
    ]


def test_notice_as_a_new_ticket_and_the_organisation_told(redis_url: str, tmp_path: Path) -> None:
    policy = _policy(tmp_path, notice="new_ticket", organisation={"notify": True})
    with scenario_world(redis_url, tmp_path, policy, SECRET) as world:
        ticket = _decide(world, "chat_blocked")
        calls = world.settle("decision with a new-ticket notice")
        assert world.public_by_plugin(ticket) == []
        created = [t for t in world.helpdesk.tickets() if t["id"] != ticket]
        notice = next(t for t in created if t["requester_id"] == CUSTOMER)
        assert notice["subject"] == "Your contact with our support team"
        assert "conduct_notice" in notice["tags"]
        (body,) = [c["body"] for c in notice["comments"]]
        assert "WHY" in body and "live chat" in body and "HOW TO CHALLENGE" in body
        management = next(u for u in world.state()["users"]
                          if u["email"] == "ops.director@example.org")  # fmt: skip
        org = next(t for t in created if t["requester_id"] == management["id"])
        assert "Harbour Freight Ltd" in org["subject"]
        (letter,) = [c["body"] for c in org["comments"]]
        assert "no use of our live chat" in letter
        assert "idiot" not in letter and "regret" not in letter  # never the customer's words
        assert "sent to the customer as a new ticket" in world.notes(ticket)[0]
        assert "Organisation notified: Harbour Freight Ltd" in world.notes(ticket)[0]
        assert _writes(calls) == [
            "POST /api/v2/tickets",
            "POST /api/v2/tickets",
            "PUT /api/v2/tickets/{id}",
            "PUT /api/v2/users/{id}",
        ]


# -- who may decide -------------------------------------------------------------------------------
def test_a_decision_from_a_non_manager_is_refused(world: World) -> None:
    ticket = world.open_ticket("Hello, about my invoice.")
    world.settle("customer writes")
    assert _macro_status(world, ticket, MACROS["terminate"], AGENT) == 403  # not their macro
    world.helpdesk.add_tags(ticket, AGENT, "conduct_decision_terminate")  # typed by hand
    calls = world.settle("decision by a non-manager")
    (note,) = world.notes(ticket)
    assert "NOT carried out" in note and "not a member of the group “Senior Management”" in note
    assert "conduct_decision_terminate" not in world.ticket(ticket)["tags"]
    assert world.public_by_plugin(ticket) == []
    assert world.user()["user_fields"].get("conduct_restriction") in (None, "")
    assert world.record().restriction is None
    assert _writes(calls) == ["PUT /api/v2/tickets/{id}"]


# -- enforcement on later contact, and the view ---------------------------------------------------
def test_a_later_chat_and_email_under_a_chat_block_and_the_view(world: World) -> None:
    decided = _decide(world, "chat_blocked")
    world.settle("decision")
    other = world.open_ticket("Hello, where is my order?", requester=OTHER_CUSTOMER)
    chat = world.open_ticket("hi, can someone help me with my login", channel="messaging")
    calls = world.settle("a later chat")
    state = world.ticket(chat)
    assert state["status"] == "solved"
    (reply,) = world.public_by_plugin(chat)
    assert "live chat is not available to you" in reply and "support@example.com" in reply
    texts = [c["body"] for c in state["comments"]]
    assert "hi, can someone help me with my login" in texts  # never hidden from staff
    assert "conduct_enforced" in state["tags"]
    assert _writes(calls) == ["PUT /api/v2/tickets/{id}", "PUT /api/v2/tickets/{id}"]

    world.reply(chat, "hello?? anyone")
    again = world.settle("the chat goes on")
    assert world.ticket(chat)["status"] == "solved" and len(world.public_by_plugin(chat)) == 1
    assert _writes(again) == ["PUT /api/v2/tickets/{id}"]

    email = world.open_ticket("Please send me my last invoice.")
    assert world.settle("a later e-mail") == []  # permitted: nothing to do, no call
    assert world.ticket(email)["status"] == "new" and world.public_by_plugin(email) == []

    # The view: this customer's open tickets (the user tag reaches their new tickets), nobody
    # else's, not the solved chat.
    assert sorted(world.helpdesk.view_ticket_ids(VIEW)) == sorted([decided, email])
    assert other not in world.helpdesk.view_ticket_ids(VIEW)


def test_a_later_chat_under_email_only_gets_the_permitted_channel(world: World) -> None:
    _decide(world, "email_only")
    world.settle("decision")
    chat = world.open_ticket("can we chat about my refund", channel="messaging")
    world.settle("a later chat")
    (reply,) = world.public_by_plugin(chat)
    assert "contact us by e-mail at support@example.com" in reply
    assert world.ticket(chat)["status"] == "solved"
    assert "channel the restriction does not permit (messaging)" in world.notes(chat)[0]


def test_the_named_officer_gets_later_tickets_and_the_deputy_covers(world: World) -> None:
    _decide(world, "named_officer")
    world.settle("decision")
    first = world.open_ticket("Question about my bill.")
    world.settle("a later e-mail")
    assert world.ticket(first)["assignee_id"] == PRIYA
    world.helpdesk.set_user(PRIYA, user_fields={"conduct_away": True})
    world.redis.delete(f"conduct:officer-away:zendesk:{PRIYA}")  # the 5-minute cache
    second = world.open_ticket("Another question about my bill.")
    world.settle("a later e-mail while the officer is away")
    assert world.ticket(second)["assignee_id"] == AGENT  # Sam Agent, the deputy
    assert "deputy: the named officer is marked away" in world.notes(second)[0]


@pytest.fixture
def touchy_world(redis_url: str, tmp_path: Path) -> Iterator[World]:
    """Every message flagged as an insult (threshold 0): an incident on demand, whatever the
    shipped model scores."""
    policy = _policy(tmp_path, _thresholds={"insult": 0.0})
    with scenario_world(redis_url, tmp_path, policy, SECRET) as world:
        yield world


def test_a_breach_of_a_conduct_agreement_goes_to_senior_management(touchy_world: World) -> None:
    world = touchy_world
    _decide(world, "conduct_agreement")
    world.settle("decision")
    later = world.open_ticket("You lot are hopeless and I am sick of you.")
    world.settle("a new incident under the agreement")
    state = world.ticket(later)
    assert state["group_id"] == world.group("Senior Management")
    assert state["priority"] == "high" and state["status"] != "solved"
    assert {"conduct_agreement_breach", "conduct_enforced"} <= set(state["tags"])
    (note,) = world.notes(later)
    assert "BREACH OF A CONDUCT AGREEMENT" in note and "THE AGREEMENT AS SENT" in note
    assert "agree to keep your messages to our staff polite" in note
    assert world.public_by_plugin(later) == []


# -- challenge ------------------------------------------------------------------------------------
def test_a_challenge_goes_to_a_senior_manager_who_did_not_decide(world: World) -> None:
    decided = _decide(world, "email_only")
    world.settle("decision")
    world.reply(decided, "I do not accept this decision and I want it reviewed.")
    world.settle("the customer challenges")
    world.apply_macro(decided, "Conduct: challenge received", AGENT)
    world.settle("challenge received")
    state = world.ticket(decided)
    assert state["assignee_id"] == ROBIN and state["group_id"] == world.group("Senior Management")
    assert state["priority"] == "high"
    file = world.notes(decided)[-1]
    assert "CHALLENGE" in file and "Assigned to robin.director@example.com" in file
    assert f"decided by agent {MORGAN}" in file
    assert "“you useless idiot”" in file and "“you will regret this”" in file
    assert "THE NOTICE AS SENT" in file and "HOW TO CHALLENGE" in file


# -- lift and extend ------------------------------------------------------------------------------
def test_extend_then_lift_early(world: World) -> None:
    ticket = _decide(world, "email_only")
    world.settle("decision")
    first = world.record().restriction
    assert first is not None and first.end is not None
    world.apply_macro(ticket, "Conduct: extend restriction, 30 days", ROBIN)
    world.settle("extend")
    extended = world.record().restriction
    assert extended is not None and extended.end == first.end + timedelta(days=30)
    assert extended.decided_by == str(ROBIN)
    assert world.user()["user_fields"]["conduct_restriction_end"] == _local_day(extended.end)
    assert "decided to extend" in world.public_by_plugin(ticket)[-1]

    world.apply_macro(ticket, "Conduct: lift restriction", MORGAN)
    world.settle("lift early")
    record = world.record()
    assert record.restriction is None and record.stage == "senior_management"
    user = world.user()
    assert user["user_fields"]["conduct_restriction"] == ""
    assert not {"conduct_restricted", "conduct_restricted_email_only"} & set(user["tags"])
    assert "lifted" in world.public_by_plugin(ticket)[-1]
    assert "lifted early" in world.notes(ticket)[-1]


# -- time: review and expiry, across a restart ----------------------------------------------------
def test_review_and_expiry_happen_after_redis_and_the_worker_restart(tmp_path: Path) -> None:
    server: EmbeddedRedis = start_embedded_redis(tmp_path / "redis", appendonly=True)
    worlds = ExitStack()
    try:
        policy = _policy(tmp_path)
        world = worlds.enter_context(scenario_world(server.url, tmp_path, policy, SECRET))
        ticket = _decide(world, "email_only")
        world.settle("decision")
        restriction = world.record().restriction
        assert restriction is not None and restriction.end is not None
        assert restriction.review_date is not None

        # Redis stops and starts again from its append-only file; the worker is a new one.
        server.stop()
        server = start_embedded_redis(tmp_path / "redis", appendonly=True)
        runtime = get_runtime()
        set_runtime(Runtime(runtime.settings, redis.Redis.from_url(server.url)))
        world.redis = get_runtime().redis
        assert world.record().restriction == restriction

        summary = sweep(get_runtime(), restriction.review_date - timedelta(minutes=1))
        assert summary["reminded"] == 0 and summary["ended"] == 0
        summary = sweep(get_runtime(), restriction.review_date + timedelta(minutes=1))
        assert summary["reminded"] == 1
        calls = world.settle("review reminder")
        reminder = next(t for t in world.helpdesk.tickets() if "conduct_review_due" in t["tags"])
        assert reminder["requester_id"] == MORGAN
        assert f"ticket #{ticket}" in reminder["comments"][0]["body"]
        assert _writes(calls) == ["POST /api/v2/tickets"]

        summary = sweep(get_runtime(), restriction.end + timedelta(minutes=1))
        assert summary["ended"] == 1
        calls = world.settle("expiry")
        record = world.record()
        assert record.restriction is None and record.stage == "senior_management"
        user = world.user()
        assert user["user_fields"]["conduct_restriction"] == ""
        assert user["user_fields"]["conduct_restriction_end"] == ""
        assert not {"conduct_restricted", "conduct_restricted_email_only"} & set(user["tags"])
        ended = [t for t in world.helpdesk.tickets() if "ended" in t["subject"]]
        assert [t["requester_id"] for t in ended] == [MORGAN]
        notice = next(t for t in world.helpdesk.tickets() if t["requester_id"] == CUSTOMER
                      and "conduct_notice" in t["tags"])  # fmt: skip
        assert "You can contact us again" in notice["comments"][0]["body"]
        assert _writes(calls) == [
            "POST /api/v2/tickets",
            "POST /api/v2/tickets",
            "PUT /api/v2/users/{id}",
        ]
        assert sweep(get_runtime(), restriction.end + timedelta(days=1))["ended"] == 0
    finally:
        worlds.close()  # the world's teardown
        server.stop()
