"""Zendesk webhook authenticity (VENDOR_API.md §1.6).

`signature = base64(HMAC_SHA256(key=signing_secret, msg=timestamp_header + raw_body))`, no
separator; the secret's own bytes are the key (not base64-decoded) [V]. The timestamp header is
ISO-8601 (`2024-04-17T17:18:10Z`), not epoch seconds [S: VENDOR_API §1.5]. Zendesk documents no
replay window, so we add our own. Deliveries from the webhook builder's "Test webhook" button
are signed with a static secret [S: VENDOR_API §1.6]; `verify` recognises them so the web tier
can answer them without queueing anything. Each [S] fact lives in one constant or function here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
# The secret Zendesk signs test deliveries with [S: garethx/webhook-skills
# skills/zendesk-webhooks/references/verification.md]; it is public, so it never authorises work.
TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # noqa: S105 - public by design


class Authenticity(StrEnum):
    """What `verify` found; each value is also the metric outcome and log key suffix."""

    VALID = "valid"
    TEST = "test"  # signed with TEST_SECRET: answer, never queue
    MISSING = "missing-signature"
    BAD_SIGNATURE = "bad-signature"
    STALE = "stale-timestamp"  # signature fine, timestamp outside the replay window


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value Zendesk sends in `X-Zendesk-Webhook-Signature` for this delivery."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def format_timestamp(moment: datetime) -> str:
    """The header's form: UTC, whole seconds, `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime | None:
    """The signed timestamp as an aware datetime, or None when it is not ISO-8601."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(secrets: Iterable[str], timestamp: str, body: bytes, provided: bytes) -> bool:
    found = False
    for secret in secrets:  # every secret is tried, so timing does not reveal which matched
        expected = signature(secret, timestamp, body).encode()
        found |= hmac.compare_digest(expected, provided)
    return found


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str],
    *,
    replay_window: float,
    now: datetime | None = None,
) -> Authenticity:
    """Check a delivery against any of the configured secrets (one per webhook, two during a
    rotation), then the replay window. `headers` needs only the two signature headers (exact
    names above). Never raises on hostile input."""
    provided = headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not provided or not timestamp:
        return Authenticity.MISSING
    provided_bytes = provided.strip().encode("utf-8", "replace")
    if _matches(secrets, timestamp, body, provided_bytes):
        outcome = Authenticity.VALID
    elif _matches((TEST_SECRET,), timestamp, body, provided_bytes):
        outcome = Authenticity.TEST
    else:
        return Authenticity.BAD_SIGNATURE
    signed_at = parse_timestamp(timestamp)
    current = now or datetime.now(UTC)
    if signed_at is None or abs((current - signed_at).total_seconds()) > replay_window:
        return Authenticity.STALE
    return outcome


def signed_headers(
    secret: str, body: bytes, *, timestamp: datetime | None = None
) -> dict[str, str]:
    """Headers of a delivery signed as Zendesk signs it (tests, the sandbox, the benchmark)."""
    stamp = format_timestamp(timestamp or datetime.now(UTC))
    return {
        "Content-Type": "application/json",
        "User-Agent": "Zendesk Webhook",
        SIGNATURE_HEADER: signature(secret, stamp, body),
        TIMESTAMP_HEADER: stamp,
    }
