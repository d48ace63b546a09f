"""Retention deletes old customer text and keeps the trail; erase removes one customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

from config.policy import load_policy
from ticket_actions import retention, store
from ticket_actions.record import ConductRecord, Incident

POLICY = load_policy(Path(__file__).resolve().parents[2] / "config" / "policy.yaml")
OLD = datetime(2023, 1, 10, 10, 0, tzinfo=UTC)
RECENT = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _incident(key: str, at: datetime, quote: str) -> Incident:
    return Incident(key=key, event_id=key, ticket_id="1", at=at, labels=("insult",),
                    severity="abusive", evidence=(quote,))  # fmt: skip


def _fill(connection: redis.Redis, customer: str) -> None:
    record = ConductRecord(
        customer=customer,
        stage="warned",
        stage_since=RECENT,
        incidents=(_incident("1:a", OLD, "old words"), _incident("1:b", RECENT, "new words")),
    )
    store.save_record(connection, record, None)
    store.append_audit(connection, customer, [("incident", {"n": 1}, ("old words",))], at=OLD)
    store.append_audit(connection, customer, [("incident", {"n": 2}, ("new words",))], at=RECENT)
    for key, at, text in (("1:a", OLD, "old words"), ("1:b", RECENT, "new words")):
        store.save_flagged_text(
            connection, vendor="zendesk", ticket_id=f"t-{customer}", key=key, customer=customer,
            text=text, labels=("insult",), severity="abusive", at=at, keep=timedelta(days=9999),
        )  # fmt: skip
    store.store_feedback(connection, vendor="zendesk", ticket_id=f"t-{customer}", labels=(),
                         severity="none", at=OLD)  # fmt: skip


def test_purge_deletes_text_older_than_the_retention_period(redis_conn: redis.Redis) -> None:
    _fill(redis_conn, "zendesk:1")
    done = retention.purge(redis_conn, POLICY, NOW)
    counts = (done.audit_quotes, done.incident_quotes, done.flagged_texts, done.feedback_rows)
    assert counts == (1, 1, 1, 2)
    lines = store.read_audit(redis_conn, "zendesk:1")
    assert [(line.detail["n"], line.evidence) for line in lines] == [(1, ()), (2, ("new words",))]
    record = store.load_record(redis_conn, "zendesk:1")
    assert [i.evidence for i in record.incidents] == [(), ("new words",)]
    assert len(record.incidents) == 2  # the trail stays, only the words go
    assert list(store.feedback_rows(redis_conn)) == []
    assert retention.purge(redis_conn, POLICY, NOW).incident_quotes == 0


def test_purge_leaves_a_record_being_assessed_for_next_time(redis_conn: redis.Redis) -> None:
    _fill(redis_conn, "zendesk:1")
    with store.customer_lock(redis_conn, "zendesk:1"):
        done = retention.purge(redis_conn, POLICY, NOW)
    assert done.busy == 1 and done.incident_quotes == 0
    assert retention.purge(redis_conn, POLICY, NOW).incident_quotes == 1


def test_erase_removes_one_customer_and_nobody_else(redis_conn: redis.Redis) -> None:
    _fill(redis_conn, "zendesk:1")
    _fill(redis_conn, "zendesk:2")
    store.count_contact(redis_conn, "zendesk:1", "1:a", NOW, timedelta(hours=24))
    assert retention.erase(redis_conn, "zendesk:1") > 0
    assert store.load_record(redis_conn, "zendesk:1") == ConductRecord(customer="zendesk:1")
    assert store.read_audit(redis_conn, "zendesk:1") == []
    assert redis_conn.exists(store.contacts_key("zendesk:1")) == 0
    assert redis_conn.hlen(store.texts_key("zendesk", "t-zendesk:1")) == 0
    assert {r["customer"] for r in store.feedback_rows(redis_conn)} == {"zendesk:2"}
    assert len(store.read_audit(redis_conn, "zendesk:2")) == 2
    assert store.load_record(redis_conn, "zendesk:2").stage == "warned"
