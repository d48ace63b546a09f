"""`conduct bench burst`'s message mix and its measurements (the run itself is the benchmark)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from integration.sandbox.bench_burst import (
    ROUNDS,
    BurstOptions,
    Message,
    Sent,
    format_report,
    measure,
    plan_messages,
)

OPTIONS = BurstOptions(limit=10, factor=10, threats=2)
API_USER = 1


def test_the_mix_is_ten_times_the_limit_with_threats_after_the_first_round() -> None:
    rounds = plan_messages(OPTIONS)
    messages = [m for r in rounds for m in r]
    assert len(messages) == OPTIONS.limit * OPTIONS.factor
    assert [m.index for m in messages] == list(range(len(messages)))
    kinds = Counter(m.kind for m in messages)
    assert kinds["threat"] == 2 and kinds["abusive"] > 0 and kinds["clean"] > kinds["threat"]
    assert all(m.round > 0 for m in messages if m.kind == "threat")  # behind a backlog
    assert len(rounds) == ROUNDS
    for current in rounds:  # one message per customer per round keeps each customer in order
        assert len({m.customer for m in current}) == len(current)
    assert plan_messages(OPTIONS) == rounds  # reproducible


def call(t: float, path: str, status: int = 200, method: str = "PUT") -> dict[str, Any]:
    return {"method": method, "path": path, "status": status, "t": t, "real": t}


def sent(index: int, ticket: int, kind: str, at: float) -> Sent:
    return Sent(Message(index, ticket, 0, kind, "text"), ticket, at, [202])  # type: ignore[arg-type]


def note(body: str = "Conduct Guard: ...") -> dict[str, Any]:
    return {"author_id": API_USER, "public": False, "body": body}


def test_measure_counts_windows_duplicates_and_where_the_threat_went() -> None:
    # Ten updates allowed a minute: two full windows of 9, then 2 in the last.
    times = [i * 1.0 for i in range(9)] + [60.0 + i for i in range(9)] + [120.0, 121.0]
    calls = [call(t, f"/api/v2/tickets/{100 + i}") for i, t in enumerate(times)]
    calls[-1]["path"] = "/api/v2/tickets/7"  # the threat's ticket, written last
    calls.append(call(5.0, "/api/v2/tickets/100", status=429))
    calls.append(call(6.0, "/api/v2/users/9"))
    messages = [sent(i, 100 + i, "abusive", -1.0) for i in range(19)]
    messages.append(sent(19, 7, "threat", 119.5))
    tickets = [{"id": 100 + i, "comments": [note()]} for i in range(19)]
    tickets.append({"id": 7, "comments": [note("same words"), note("same words")]})
    metrics = (
        'conduct_jobs_total{job="assess",result="flagged"} 20.0\n'
        'conduct_actions_written_total{kind="UpdateCustomer",vendor="zendesk"} 1.0\n'
    )
    state = {"api_user_id": API_USER, "calls": calls, "tickets": tickets}
    report = measure(
        state, metrics, messages, OPTIONS, send_seconds=1.0, drained=True, drain_seconds=9.0
    )
    assert report.windows == [9, 9, 2]
    assert report.share == (9 + 9) / (10 * 2)
    assert report.ticket_updates == 20 and report.rejected_updates == 1
    assert report.flagged == 20 and report.user_updates == 1 and report.record_changes == 1
    assert report.duplicates == 1  # two notes for one flagged message on ticket 7
    # The threat arrived with 19 - 18 = 1 update waiting, and one went before it.
    assert report.threats == [(1, 1, 1.5)]
    text = format_report(report)
    assert "duplicates           1" in text and "90.0%" in text
