"""The benchmark's own parts: its deliveries are real, signed and distinct; its generator talks
HTTP correctly (checked against the null server it uses as the generator check)."""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import UTC, datetime

from integration.zendesk.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, Authenticity, verify
from integration.zendesk.payload import parse_delivery
from webhooks.bench_ingest import (
    _exchange,
    _null_server,
    _percentile,
    delivery_body,
    free_port,
    http_request,
    run_phase,
)


def test_deliveries_are_distinct_parseable_comments() -> None:
    bodies = [delivery_body(f"bench-{n}", n) for n in range(12)]
    parsed = [parse_delivery(json.loads(b), received_at=datetime.now(UTC)) for b in bodies]
    assert all(d.outcome == "event" for d in parsed)
    assert len({d.delivery_id for d in parsed}) == 12
    assert len({(d.event.ticket_id, d.event.message_id) for d in parsed if d.event}) == 12


def test_requests_are_signed_as_zendesk_signs() -> None:
    body = delivery_body("bench-1", 1)
    raw = http_request(8000, body, "s3cret")
    head, _, sent_body = raw.partition(b"\r\n\r\n")
    assert sent_body == body
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line)
    assert headers["Content-Length"] == str(len(body))
    signed = {k: headers[k] for k in (SIGNATURE_HEADER, TIMESTAMP_HEADER)}
    assert verify(signed, body, ("s3cret",), replay_window=60) is Authenticity.VALID


def test_generator_against_the_null_server() -> None:
    port = free_port()
    server = multiprocessing.get_context("fork").Process(target=_null_server, args=(port,))
    server.start()
    try:
        deadline = time.time() + 5
        while True:
            try:
                status, _ = _exchange(None, port, http_request(port, b"{}", "s"))
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.05)
        assert status == 202
        phase = run_phase("null", port, "s", "t", procs=2, duration=0.5)
        assert phase.errors == 0
        assert set(phase.statuses) == {202}
        assert phase.rps > 0
        assert phase.p50_ms <= phase.p99_ms
        paced = run_phase("null", port, "s", "t", procs=2, duration=0.5, rate=100)
        assert 30 <= sum(paced.statuses.values()) <= 52  # ~50 scheduled in 0.5 s at 100/s
    finally:
        server.terminate()
        server.join(timeout=5)


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _percentile(values, 0.5) == 50.0
    assert _percentile(values, 0.99) == 99.0
    assert _percentile([3.0], 0.99) == 3.0
