from dataclasses import asdict
from datetime import UTC, datetime

from integration.events import Event

EVENT = Event(
    vendor="zendesk",
    event_id="e1",
    kind="customer_changed",
    occurred_at=datetime(2025, 1, 8, 14, 25, 30, tzinfo=UTC),
    ticket_id="7",
    customer_id="42",
    text="Where is my refund?",
    tags_added=("a", "b"),
    tags_removed=("c",),
    fields={"conduct_level": {"from": 1, "to": [2, 3]}},
)


def test_to_dict_is_asdict_with_json_types() -> None:
    expected = asdict(EVENT)
    expected.update(
        occurred_at="2025-01-08T14:25:30+00:00", tags_added=["a", "b"], tags_removed=["c"]
    )
    assert EVENT.to_dict() == expected


def test_to_dict_copies_nested_fields() -> None:
    data = EVENT.to_dict()
    data["fields"]["conduct_level"]["to"].append(4)
    assert EVENT.fields["conduct_level"]["to"] == [2, 3]


def test_round_trip() -> None:
    assert Event.from_dict(EVENT.to_dict()) == EVENT
    bare = Event(vendor="freshdesk", event_id="e2", kind="message", occurred_at=EVENT.occurred_at)
    assert Event.from_dict(bare.to_dict()) == bare
