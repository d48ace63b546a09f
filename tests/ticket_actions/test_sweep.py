"""The sweep with any `now`: stage fall-back after the clean period, the mirror queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from config.policy import load_policy
from integration.actions import UpdateCustomer
from ticket_actions import store
from ticket_actions.policy import fall_back_due
from ticket_actions.record import ConductRecord, Incident
from ticket_actions.runtime import get_runtime
from ticket_actions.sweep import sweep, sweep_records
from ticket_actions.worker import make_worker

POLICY = load_policy(Path(__file__).resolve().parents[2] / "config" / "policy.yaml")
START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


def _save(connection: redis.Redis, customer: str, stage: str, at: datetime) -> ConductRecord:
    record = ConductRecord(
        customer=customer,
        stage=stage,  # type: ignore[arg-type]
        stage_since=at,
        incidents=(
            Incident(
                key="1:1",
                event_id="e",
                ticket_id="1",
                at=at,
                labels=("insult",),
                severity="abusive",
            ),
        ),
    )
    store.save_record(connection, record, fall_back_due(record, POLICY))
    return record


def test_sweep_falls_back_only_due_customers_one_step(redis_conn: redis.Redis) -> None:
    _save(redis_conn, "zendesk:1", "supervisor", START)
    _save(redis_conn, "zendesk:2", "warned", START + timedelta(days=200))
    a_year_on = START + timedelta(days=367)
    result = sweep_records(redis_conn, POLICY, a_year_on)
    assert result.fell_back == ["zendesk:1"]
    assert store.load_record(redis_conn, "zendesk:1").stage == "warned"
    assert store.load_record(redis_conn, "zendesk:2").stage == "warned"  # not due yet
    (mirror,) = result.actions["zendesk"]
    assert isinstance(mirror, UpdateCustomer) and mirror.customer_id == "1"
    assert mirror.fields["conduct_stage"] == "warned"
    assert [line.kind for line in store.read_audit(redis_conn, "zendesk:1")] == ["stage"]
    assert sweep_records(redis_conn, POLICY, a_year_on).fell_back == []  # nothing twice
    two_years_on = a_year_on + timedelta(days=366)
    later = sweep_records(redis_conn, POLICY, two_years_on)
    assert sorted(later.fell_back) == ["zendesk:1", "zendesk:2"]
    assert store.load_record(redis_conn, "zendesk:1").stage == "clean"
    assert store.load_record(redis_conn, "zendesk:2").stage == "clean"
    assert store.due_for_fall_back(redis_conn, two_years_on + timedelta(days=9999)) == []


def test_a_customer_being_assessed_is_left_for_the_next_sweep(redis_conn: redis.Redis) -> None:
    _save(redis_conn, "zendesk:1", "supervisor", START)
    with store.customer_lock(redis_conn, "zendesk:1"):
        result = sweep_records(redis_conn, POLICY, START + timedelta(days=400))
    assert result.busy == ["zendesk:1"] and result.fell_back == []
    assert store.load_record(redis_conn, "zendesk:1").stage == "supervisor"


def test_worker_sweep_queues_the_mirror_write(redis_conn: redis.Redis, helpdesk: Any) -> None:
    _save(redis_conn, "zendesk:1", "complaint_management", START)
    summary = sweep(get_runtime(), START + timedelta(days=400))
    assert summary["fell_back"] == 1 and "purged" in summary
    make_worker(redis_conn).work(burst=True, logging_level="WARNING")
    (batch,) = helpdesk.batches
    assert batch[0].fields["conduct_stage"] == "supervisor"
