"""Signature verification: any configured secret, constant-time, replay window, test secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from integration.zendesk.auth import (
    SIGNATURE_HEADER,
    TEST_SECRET,
    TIMESTAMP_HEADER,
    Authenticity,
    format_timestamp,
    parse_timestamp,
    signature,
    signed_headers,
    verify,
)

NOW = datetime(2025, 1, 9, 8, 0, 0, tzinfo=UTC)
BODY = b'{"type":"zen:event-type:ticket.comment_added","id":"e1"}'


def check(
    headers: dict[str, str],
    secrets: tuple[str, ...] = ("s1",),
    window: int = 300,
    body: bytes = BODY,
    now: datetime = NOW,
) -> Authenticity:
    return verify(headers, body, secrets, replay_window=window, now=now)


def test_signature_is_base64_hmac_sha256_of_timestamp_then_body() -> None:
    # Computed independently of the module: the documented recipe, no separator.
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"2025-01-09T08:00:00Z" + BODY, hashlib.sha256).digest()
    ).decode()
    assert signature("s3cret", "2025-01-09T08:00:00Z", BODY) == expected


def test_signed_headers_carry_iso_timestamp_and_its_signature() -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW)
    assert headers[TIMESTAMP_HEADER] == "2025-01-09T08:00:00Z"
    assert headers[SIGNATURE_HEADER] == signature("s1", "2025-01-09T08:00:00Z", BODY)
    assert headers["Content-Type"] == "application/json"


def test_valid_with_any_configured_secret() -> None:
    for secret in ("old", "new"):
        headers = signed_headers(secret, BODY, timestamp=NOW)
        assert check(headers, secrets=("old", "new")) is Authenticity.VALID


def test_a_secret_not_configured_is_a_bad_signature() -> None:
    headers = signed_headers("retired", BODY, timestamp=NOW)
    assert check(headers, secrets=("old", "new")) is Authenticity.BAD_SIGNATURE


def test_a_changed_body_is_a_bad_signature() -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW)
    assert check(headers, body=BODY + b" ") is Authenticity.BAD_SIGNATURE


def test_a_changed_timestamp_is_a_bad_signature() -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW)
    headers[TIMESTAMP_HEADER] = format_timestamp(NOW + timedelta(seconds=1))
    assert check(headers) is Authenticity.BAD_SIGNATURE


@pytest.mark.parametrize("drop", [SIGNATURE_HEADER, TIMESTAMP_HEADER])
def test_missing_headers(drop: str) -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW)
    del headers[drop]
    assert check(headers) is Authenticity.MISSING


def test_hex_digest_and_garbage_are_bad_signatures() -> None:
    stamp = format_timestamp(NOW)
    hexdigest = hmac.new(b"s1", stamp.encode() + BODY, hashlib.sha256).hexdigest()
    for value in (hexdigest, "ünïcode", "", " "):
        headers = {SIGNATURE_HEADER: value, TIMESTAMP_HEADER: stamp}
        assert check(headers) in {Authenticity.BAD_SIGNATURE, Authenticity.MISSING}


def test_no_secrets_configured_accepts_nothing() -> None:
    assert (
        check(signed_headers("s1", BODY, timestamp=NOW), secrets=()) is Authenticity.BAD_SIGNATURE
    )


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_inside_the_replay_window(offset: int) -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW + timedelta(seconds=offset))
    assert check(headers) is Authenticity.VALID


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_outside_the_replay_window_is_stale(offset: int) -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW + timedelta(seconds=offset))
    assert check(headers) is Authenticity.STALE


def test_window_is_configurable() -> None:
    headers = signed_headers("s1", BODY, timestamp=NOW - timedelta(seconds=90))
    assert check(headers, window=60) is Authenticity.STALE
    assert check(headers, window=120) is Authenticity.VALID


def test_epoch_timestamp_signed_correctly_is_still_refused() -> None:
    stamp = str(int(NOW.timestamp()))
    headers = {SIGNATURE_HEADER: signature("s1", stamp, BODY), TIMESTAMP_HEADER: stamp}
    assert check(headers) is Authenticity.STALE


def test_static_test_secret_is_recognised_not_valid() -> None:
    headers = signed_headers(TEST_SECRET, BODY, timestamp=NOW)
    assert check(headers, secrets=("s1",)) is Authenticity.TEST


def test_stale_test_delivery_is_stale() -> None:
    headers = signed_headers(TEST_SECRET, BODY, timestamp=NOW - timedelta(hours=1))
    assert check(headers) is Authenticity.STALE


def test_parse_timestamp_forms() -> None:
    assert parse_timestamp("2024-04-17T17:18:10Z") == datetime(2024, 4, 17, 17, 18, 10, tzinfo=UTC)
    assert parse_timestamp("2024-04-17T17:18:10") == datetime(2024, 4, 17, 17, 18, 10, tzinfo=UTC)
    assert parse_timestamp("yesterday") is None
