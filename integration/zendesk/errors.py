"""Zendesk transport and HTTP failures, mapped once to the project's vendor errors.

The `apply` job decides by class alone (integration/helpdesk.py): `TransientVendorError` is
re-enqueued after `retry_after` (never slept on in a worker), `PermanentVendorError` fails the job.
"""

from __future__ import annotations

import math

import requests

from integration.helpdesk import PermanentVendorError, TransientVendorError, VendorError

# [U] A 429 without `Retry-After` (seen for per-user/per-ticket limits, VENDOR_API §5, community
# thread 4887103531674): how long to wait is not documented. One minute matches the account
# window; correct it here if Zendesk documents otherwise.
DEFAULT_RATE_LIMIT_BACKOFF = 60.0


class UpdateConflict(TransientVendorError):
    """409: the ticket changed since our `updated_stamp` (safe_update). Re-read and retry."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (Zendesk sends seconds, VENDOR_API §5)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP-date is not what Zendesk sends; fall back to the default
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _describe(response: requests.Response) -> str:
    """A short reason from the error body, never the request (it may hold message text)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # some endpoints nest {"title", "message"}
            return str(error.get("title") or error.get("message") or "")[:200]
        return str(error or body.get("description") or "")[:200]
    return ""


def error_for_response(response: requests.Response, what: str) -> VendorError:
    """The vendor error for a non-2xx response to `what` (e.g. "PUT tickets/{id}")."""
    status = response.status_code
    reason = _describe(response)
    message = f"zendesk {what}: HTTP {status} {reason}".rstrip()
    if status == 409:
        # No wait asked for: the adapter re-reads at once (CONFLICT_RETRIES times); a conflict
        # that outlasts those re-reads is retried by the `apply` job with exponential backoff,
        # not at once (each attempt is a read and a write against the per-ticket limit).
        return UpdateConflict(message, status=status, retry_after=None)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            retry_after = DEFAULT_RATE_LIMIT_BACKOFF
        return TransientVendorError(message, status=status, retry_after=retry_after)
    if status >= 500:
        # Exponential backoff in the job unless the server says when (503 + Retry-After).
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return TransientVendorError(message, status=status, retry_after=retry_after)
    # 401/403/404/422 (and any other 4xx) will not get better by retrying; the recorded 404
    # body is `{"error":"RecordNotFound","description":"Not found"}`.
    return PermanentVendorError(message, status=status)


def error_for_exception(exc: requests.RequestException, what: str) -> TransientVendorError:
    """Timeouts and connection failures: worth retrying with the job's backoff."""
    kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
    return TransientVendorError(f"zendesk {what}: {kind} ({type(exc).__name__})")
