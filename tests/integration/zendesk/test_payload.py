"""`parse_delivery`: every fixture (shaped as Zendesk documents it, see SOURCES.md) → the Event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from integration.events import Event
from integration.zendesk.payload import (
    EVENT_PREFIX,
    IGNORED,
    MAPPED_TYPES,
    TRIGGER_TYPE,
    PayloadError,
    parse_delivery,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zendesk"
RECEIVED = datetime(2025, 1, 9, 8, 0, 5, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def fixture_event_name(event_type: str) -> str:
    return event_type.split(":")[-1]


def test_every_mapped_type_has_a_fixture() -> None:
    present = {path.name.split("__")[0] for path in FIXTURES.glob("*__*.json")}
    missing = [t for t in MAPPED_TYPES if fixture_event_name(t) not in present]
    assert not missing, f"mapped types without a fixture in {FIXTURES}: {missing}"


def test_every_fixture_is_cited_in_sources() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text()
    uncited = [p.name for p in FIXTURES.glob("*__*.json") if p.name not in sources]
    assert not uncited


def test_mapped_and_ignored_types_do_not_overlap() -> None:
    assert not set(MAPPED_TYPES) & IGNORED
    assert all(t.startswith(EVENT_PREFIX) for t in IGNORED)


EXPECTED: dict[str, Event] = {
    "ticket.comment_added__customer": Event(
        vendor="zendesk",
        event_id="d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52",
        kind="message",
        occurred_at=datetime(2025, 1, 8, 14, 25, 30, 123456, tzinfo=UTC),
        ticket_id="5158",
        customer_id="8447388090494",
        organization_id="8447346622462",
        channel="email",
        actor_id="8447388090494",
        actor_role="customer",
        message_id="9876543210",
        subject="Order never arrived",
        text="This is the third time I have asked. Where is my refund?",
    ),
    "ticket.comment_added__html_quoted": Event(
        vendor="zendesk",
        event_id="5e0d7c1a-2b84-4f4e-8d57-1c3f9a7b6e22",
        kind="message",
        occurred_at=datetime(2025, 1, 9, 7, 45, 11, tzinfo=UTC),
        ticket_id="5158",
        customer_id="8447388090494",
        organization_id="8447346622462",
        channel="email",
        actor_id="8447388090494",
        actor_role="customer",
        message_id="9876544001",
        subject="Order never arrived",
        # HTML gone, the Gmail quote and everything under Zendesk's delimiter gone; the
        # signature stays (signatures are stripped only on request).
        text="You people are useless. Refund me today.\nSam\nSent from my phone",
    ),
    "ticket.created__web": Event(
        vendor="zendesk",
        event_id="cbe4028c-7239-495d-b020-f22348516046",
        kind="ticket_created",
        occurred_at=datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC),
        ticket_id="5158",
        customer_id="8447388090494",
        organization_id="8447346622462",
        channel="web",
        actor_id="8447388090494",
        actor_role="customer",
        subject="Order never arrived",
        text="My order #5521 never arrived.",
        tags_added=("order", "delivery"),
    ),
    "ticket.tags_changed__decision": Event(
        vendor="zendesk",
        event_id="7c2f1d9e-51b3-4a8e-9c61-2d8e4b0f3a77",
        kind="tags_changed",
        occurred_at=datetime(2025, 1, 10, 11, 2, 45, tzinfo=UTC),
        ticket_id="5158",
        customer_id="8447388090494",
        organization_id="8447346622462",
        actor_id="8447388090777",
        actor_role="agent",
        tags_added=("conduct_decision_email_only_90d",),
        tags_removed=("conduct_suspend_escalate",),
    ),
    "messaging_ticket.message_added__end_user": Event(
        vendor="zendesk",
        event_id="a1d3e5f7-0b2c-4d6e-8f10-123456789abc",
        kind="message",
        occurred_at=datetime(2025, 1, 11, 16, 20, 5, tzinfo=UTC),
        ticket_id="6001",
        customer_id="8447388090494",
        channel="messaging",
        actor_id="8447388090494",
        actor_role="customer",
        message_id="65a0f2aa11bb22cc33dd44ee",
        text="answer me now or I will come to your office",
    ),
    "user.custom_field_changed__conduct_stage": Event(
        vendor="zendesk",
        event_id="3f8a2c6e-9d41-4b7a-b5e0-8c1d2e3f4a5b",
        kind="customer_changed",
        occurred_at=datetime(2025, 1, 12, 9, 15, tzinfo=UTC),
        customer_id="8447388090494",
        organization_id="8447346622462",
        actor_role="agent",
        fields={
            "custom_field": {"id": "360012345678", "title": "Conduct stage", "type": "dropdown"},
            "previous": "warned",
            "current": "clean",
        },
    ),
    "user.tags_changed__restriction_lifted": Event(
        vendor="zendesk",
        event_id="4a9b3d7f-0e52-4c8b-a6f1-9d2e3f4a5b6c",
        kind="customer_changed",
        occurred_at=datetime(2025, 1, 12, 9, 16, 30, tzinfo=UTC),
        customer_id="8447388090494",
        organization_id="8447346622462",
        actor_role="agent",
        tags_added=("conduct_stage_clean",),
        tags_removed=("conduct_restricted", "conduct_restricted_email_only"),
    ),
    "user.deleted__end_user": Event(
        vendor="zendesk",
        event_id="5b0c4e8a-1f63-4d9c-b7a2-0e3f4a5b6c7d",
        kind="customer_deleted",
        occurred_at=datetime(2025, 2, 1, 12, 0, tzinfo=UTC),
        customer_id="8447388090494",
        organization_id="8447346622462",
        actor_role="agent",
    ),
    "user.active_changed__soft_deleted": Event(
        vendor="zendesk",
        event_id="2b24ef10-19d4-4740-93cf-8f98ec4776c0",
        kind="customer_deleted",
        occurred_at=datetime(2099, 7, 4, 5, 33, 18, tzinfo=UTC),
        customer_id="6596848315901",
        organization_id=None,  # "0" in the payload means none
        actor_role="agent",
    ),
    "user.merged__end_user": Event(
        vendor="zendesk",
        event_id="6c1d5f9b-2a74-4e0d-c8b3-1f4a5b6c7d8e",
        kind="customer_merged",
        occurred_at=datetime(2025, 2, 3, 10, 30, tzinfo=UTC),
        customer_id="8447388090494",
        organization_id="8447346622462",
        actor_role="agent",
        fields={"merged_user_id": "8447388090999"},
    ),
    "trigger.comment_added__recommended": Event(
        vendor="zendesk",
        event_id="trigger:5158:9876545000",
        kind="message",
        occurred_at=datetime(2025, 1, 9, 8, 0, tzinfo=UTC),
        ticket_id="5158",
        customer_id="8447388090494",
        organization_id="8447346622462",
        channel="email",
        actor_id="8447388090494",
        actor_role="customer",
        message_id="9876545000",
        subject="Order never arrived",
        text='Still nothing. "Investigating" for a week?\nFix it.',
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_becomes_the_expected_event(name: str) -> None:
    delivery = parse_delivery(load(name), received_at=RECEIVED)
    assert delivery.outcome == "event"
    assert delivery.event == EXPECTED[name]
    assert delivery.event is not None
    assert Event.from_dict(json.loads(json.dumps(delivery.event.to_dict()))) == EXPECTED[name]


def test_every_mapped_type_has_an_expected_event() -> None:
    covered = {name.split("__")[0] for name in EXPECTED}
    assert covered >= {fixture_event_name(t) for t in MAPPED_TYPES}


def test_dedupe_id_is_the_envelope_id_or_the_trigger_ids() -> None:
    assert (
        parse_delivery(load("ticket.comment_added__customer"), received_at=RECEIVED).delivery_id
        == "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52"
    )
    trigger = parse_delivery(load("trigger.comment_added__recommended"), received_at=RECEIVED)
    assert trigger.event_type == TRIGGER_TYPE
    assert trigger.delivery_id == "trigger:5158:9876545000"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ticket.comment_added__staff", "staff-author"),
        ("messaging_ticket.message_added__agent", "actor-agent"),
        ("ticket.status_changed__ignored", "ignore-list"),
    ],
)
def test_staff_system_and_ignore_listed_deliveries_are_ignored(name: str, reason: str) -> None:
    delivery = parse_delivery(load(name), received_at=RECEIVED)
    assert (delivery.outcome, delivery.reason, delivery.event) == ("ignored", reason, None)


@pytest.mark.parametrize("actor_type", ["trigger", "system"])
def test_messaging_from_a_bot_or_system_is_ignored(actor_type: str) -> None:
    body = load("messaging_ticket.message_added__end_user")
    body["event"]["actor"]["type"] = actor_type
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert (delivery.outcome, delivery.reason) == ("ignored", f"actor-{actor_type}")


@pytest.mark.parametrize(
    "name",
    [
        "user.custom_field_changed__conduct_stage",
        "user.tags_changed__restriction_lifted",
        "user.deleted__end_user",
        "user.merged__end_user",
    ],
)
def test_user_events_about_agents_are_ignored(name: str) -> None:
    body = load(name)
    body["detail"]["role"] = "agent"
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert (delivery.outcome, delivery.reason) == ("ignored", "staff-user")


def test_a_user_becoming_active_again_is_ignored() -> None:
    body = load("user.active_changed__soft_deleted")
    body["event"] = {"current": True, "previous": False}
    assert parse_delivery(body, received_at=RECEIVED).outcome == "ignored"


def test_unknown_type_is_reported_distinctly() -> None:
    delivery = parse_delivery(load("unknown__made_up"), received_at=RECEIVED)
    assert (delivery.outcome, delivery.event_type) == (
        "unknown",
        "zen:event-type:ticket.teleported",
    )
    assert delivery.event is None


def test_tags_changed_by_a_trigger_is_a_system_change() -> None:
    body = load("ticket.tags_changed__decision")
    body["detail"]["actor_id"] = "-1"
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert delivery.event is not None
    assert (delivery.event.actor_id, delivery.event.actor_role) == ("-1", "system")


def test_ticket_opened_by_an_agent_for_the_customer_is_not_the_customers_words() -> None:
    body = load("ticket.created__web")
    body["detail"]["actor_id"] = "8447388090495"
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert delivery.event is not None
    assert delivery.event.actor_role == "agent"
    assert delivery.event.customer_id == "8447388090494"


def test_trigger_time_falls_back_to_receipt_when_not_iso() -> None:
    body = load("trigger.comment_added__recommended")
    body["updated_at"] = "January 09, 2025 08:00"
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert delivery.event is not None
    assert delivery.event.occurred_at == RECEIVED


def _without(name: str, *path: str) -> dict[str, Any]:
    body = load(name)
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def _with(name: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = load(name)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "the body must be a JSON object"),
        ({"id": "x"}, "type is missing"),
        (_without("ticket.comment_added__customer", "id"), "id is missing"),
        (_without("ticket.comment_added__customer", "time"), "time is missing or not ISO-8601"),
        (_without("ticket.comment_added__customer", "detail"), "detail must be an object"),
        (
            _without("ticket.comment_added__customer", "event", "comment"),
            "comment must be an object",
        ),
        (_without("ticket.comment_added__customer", "event", "comment", "id"), "id is missing"),
        (
            _without("messaging_ticket.message_added__end_user", "event", "message"),
            "message must be an object",
        ),
        (
            _without("user.custom_field_changed__conduct_stage", "event", "custom_field"),
            "custom_field must be an object",
        ),
        (_without("user.merged__end_user", "event", "user"), "user must be an object"),
        (
            _with("user.custom_field_changed__conduct_stage", ("event", "current"), {"a": 1}),
            "current must be a value or a list of values",
        ),
        (
            _with("user.custom_field_changed__conduct_stage", ("event", "previous"), [[1]]),
            "previous must be a value or a list of values",
        ),
        (_without("trigger.comment_added__recommended", "comment_id"), "comment_id is missing"),
        ({**load("trigger.comment_added__recommended"), "comment_id": ""}, "comment_id is missing"),
    ],
)
def test_wrong_shapes_raise_payload_error_naming_the_field(body: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{message}$"):
        parse_delivery(body, received_at=RECEIVED)


def test_ticket_id_from_subject_when_detail_lacks_it() -> None:
    body = load("ticket.tags_changed__decision")
    del body["detail"]["id"]
    delivery = parse_delivery(body, received_at=RECEIVED)
    assert delivery.event is not None
    assert delivery.event.ticket_id == "5158"
