"""`conduct audit`, `conduct erase` and `conduct feedback export` through click's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from cli import main
from ticket_actions import store
from ticket_actions.record import ConductRecord, Incident

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def runner(redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    return CliRunner()


def _history(connection: redis.Redis, customer: str = "zendesk:42") -> None:
    incident = Incident(
        key="100:m1",
        event_id="d1",
        ticket_id="100",
        at=NOW,
        labels=("insult",),
        severity="abusive",
        evidence=("useless idiot",),
    )
    record = ConductRecord(customer=customer, stage="warned", stage_since=NOW,
                           incidents=(incident,))  # fmt: skip
    store.save_record(connection, record, None)
    store.append_audit(
        connection, customer,
        [("incident", {"rule": "first_incident", "labels": ["insult"]}, ("useless idiot",)),
         ("stage", {"from": "clean", "to": "warned"}, ())],
        at=NOW,
    )  # fmt: skip
    store.save_flagged_text(
        connection, vendor="zendesk", ticket_id="100", key="100:m1", customer=customer,
        text="you useless idiot", labels=("insult",), severity="abusive", at=NOW,
        keep=timedelta(days=30),
    )  # fmt: skip


def test_audit_prints_the_trail(runner: CliRunner, redis_conn: redis.Redis) -> None:
    _history(redis_conn)
    result = runner.invoke(main, ["audit", "zendesk:42"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("zendesk:42: stage warned since 2026-03-04")
    assert "1 active incident(s)" in lines[0]
    assert "incident" in lines[1] and "rule=first_incident" in lines[1]
    assert "“useless idiot”" in lines[2]
    assert "stage" in lines[3] and "to=warned" in lines[3]
    as_json = runner.invoke(main, ["audit", "zendesk:42", "--json"])
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert rows[0]["record"]["stage"] == "warned" and rows[1]["evidence"] == ["useless idiot"]


def test_audit_refuses_a_customer_id_without_its_vendor(runner: CliRunner) -> None:
    result = runner.invoke(main, ["audit", "42"])
    assert result.exit_code == 2 and "<vendor>:<id>" in result.output


def test_erase_removes_the_customer(runner: CliRunner, redis_conn: redis.Redis) -> None:
    _history(redis_conn)
    _history(redis_conn, "zendesk:43")
    result = runner.invoke(main, ["erase", "zendesk:42", "--yes"])
    assert result.exit_code == 0 and "erased zendesk:42" in result.output
    assert store.read_audit(redis_conn, "zendesk:42") == []
    assert store.load_record(redis_conn, "zendesk:42").incidents == ()
    assert len(store.read_audit(redis_conn, "zendesk:43")) == 2
    refused = runner.invoke(main, ["erase", "zendesk:43"], input="n\n")
    assert refused.exit_code == 1 and len(store.read_audit(redis_conn, "zendesk:43")) == 2


def test_feedback_export_writes_training_rows(
    runner: CliRunner, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    _history(redis_conn)
    store.store_feedback(redis_conn, vendor="zendesk", ticket_id="100", labels=(),
                         severity="none", at=NOW)  # fmt: skip
    out = tmp_path / "feedback.jsonl"
    result = runner.invoke(main, ["feedback", "export", "--out", str(out)])
    assert result.exit_code == 0 and "exported 1 feedback row(s)" in result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row == {"id": "feedback:zendesk:100:m1", "text": "you useless idiot", "labels": [],
                   "severity": "none", "source": "feedback"}  # fmt: skip


def test_worker_refuses_to_start_on_a_broken_policy(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "policy.yaml"
    broken.write_text("mode: enforce\nthresholds:\n  insult: 7\n")
    monkeypatch.setenv("CONDUCT_POLICY", str(broken))
    result = runner.invoke(main, ["worker", "--burst"])
    assert result.exit_code == 2
    assert f"policy error: {broken}:3: thresholds.insult: " in result.output
