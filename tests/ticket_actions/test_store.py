"""Redis storage of the ladder: records, the per-customer lock, audit, contacts, feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from ticket_actions import store
from ticket_actions.errors import CustomerBusy
from ticket_actions.record import ConductRecord, Incident

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
CUSTOMER = "zendesk:42"


def test_a_new_customer_has_a_clean_record(redis_conn: redis.Redis) -> None:
    assert store.load_record(redis_conn, CUSTOMER) == ConductRecord(customer=CUSTOMER)


def test_record_round_trips_and_its_fall_back_date_is_indexed(redis_conn: redis.Redis) -> None:
    record = ConductRecord(
        customer=CUSTOMER,
        stage="supervisor",
        stage_since=NOW,
        incidents=(
            Incident(
                key="1:2",
                event_id="e",
                ticket_id="1",
                at=NOW,
                labels=("insult",),
                severity="abusive",
                evidence=("idiot",),
            ),
        ),
        mirror={"conduct_stage": "supervisor"},
    )
    due = NOW + timedelta(days=365)
    store.save_record(redis_conn, record, due)
    assert store.load_record(redis_conn, CUSTOMER) == record
    assert store.due_for_fall_back(redis_conn, due - timedelta(seconds=1)) == []
    assert store.due_for_fall_back(redis_conn, due) == [CUSTOMER]
    store.save_record(redis_conn, record.model_copy(update={"stage": "clean"}), None)
    assert store.due_for_fall_back(redis_conn, due) == []
    assert list(store.all_customers(redis_conn)) == [CUSTOMER]


def test_lock_is_one_holder_at_a_time_and_never_waits(redis_conn: redis.Redis) -> None:
    with store.customer_lock(redis_conn, CUSTOMER):
        assert redis_conn.ttl(store.lock_key(CUSTOMER)) > 0  # expires if a worker dies
        with pytest.raises(CustomerBusy), store.customer_lock(redis_conn, CUSTOMER):
            pass  # pragma: no cover - never entered
        with store.customer_lock(redis_conn, "zendesk:other"):
            pass  # other customers are not blocked
    with store.customer_lock(redis_conn, CUSTOMER):
        pass  # released after use
    assert redis_conn.exists(store.lock_key(CUSTOMER)) == 0


def test_audit_keeps_order_and_customer_text_apart(redis_conn: redis.Redis) -> None:
    store.append_audit(
        redis_conn,
        CUSTOMER,
        [("incident", {"rule": "first_incident"}, ("you idiot",)), ("stage", {"to": "warned"}, ())],
        at=NOW,
        event_id="d1",
    )
    lines = store.read_audit(redis_conn, CUSTOMER)
    assert [(line.kind, line.detail, line.evidence) for line in lines] == [
        ("incident", {"rule": "first_incident"}, ("you idiot",)),
        ("stage", {"to": "warned"}, ()),
    ]
    assert lines[0].at == NOW.isoformat()
    stream = redis_conn.xrange(store.audit_key(CUSTOMER))
    assert b"you idiot" not in repr(stream).encode()  # the text lives beside the stream


def test_contacts_count_across_tickets_once_per_message_within_the_window(
    redis_conn: redis.Redis,
) -> None:
    window = timedelta(hours=24)
    assert store.count_contact(redis_conn, CUSTOMER, "1:a", NOW, window) == 1
    assert store.count_contact(redis_conn, CUSTOMER, "1:a", NOW, window) == 1  # redelivery
    assert store.count_contact(redis_conn, CUSTOMER, "2:b", NOW, window) == 2  # another ticket
    later = NOW + timedelta(hours=25)
    assert store.count_contact(redis_conn, CUSTOMER, "3:c", later, window) == 1  # old ones out
    assert store.count_contact(redis_conn, "zendesk:other", "1:a", NOW, window) == 1


def test_flagged_texts_become_feedback_rows_once(redis_conn: redis.Redis) -> None:
    keep = timedelta(days=730)
    for key, text in (("100:m1", "you muppet"), ("100:m2", "kill the process")):
        store.save_flagged_text(
            redis_conn, vendor="zendesk", ticket_id="100", key=key, customer=CUSTOMER,
            text=text, labels=("insult",), severity="abusive", at=NOW, keep=keep,
        )  # fmt: skip
    assert 0 < redis_conn.ttl(store.texts_key("zendesk", "100")) <= keep.total_seconds()
    written = store.store_feedback(
        redis_conn, vendor="zendesk", ticket_id="100", labels=(), severity="none", at=NOW
    )
    assert written == 2
    again = store.store_feedback(
        redis_conn, vendor="zendesk", ticket_id="100", labels=(), severity="none", at=NOW
    )
    assert again == 0  # a redelivered macro adds no duplicate rows
    rows = list(store.feedback_rows(redis_conn))
    assert [(r["text"], r["labels"], r["severity"], r["source"]) for r in rows] == [
        ("you muppet", [], "none", "feedback"),
        ("kill the process", [], "none", "feedback"),
    ]
    assert rows[0]["flagged_labels"] == ["insult"]
