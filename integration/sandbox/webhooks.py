"""Webhook deliveries as Zendesk sends them: envelope shapes, signature and headers.

Envelope (VENDOR_API §1.4 [V]): `{type, account_id, id, time, zendesk_event_version, subject,
detail, event}` with ids in `detail` as strings. Headers (§1.5 [S]): `User-Agent: Zendesk
Webhook`, `X-Zendesk-Webhook-Id`, `X-Zendesk-Webhook-Signature` (base64 HMAC-SHA256 over the
timestamp header + raw body, §1.6 [V]) and `X-Zendesk-Webhook-Signature-Timestamp` (ISO-8601, not
epoch seconds). Deliveries are POSTs of JSON; the status of each is kept in the delivery log.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from queue import Queue
from typing import Any

import requests

from integration.sandbox.clock import iso_precise
from integration.zendesk.auth import signature

# The ticket events' schema version as seen in public payload examples (VENDOR_API §1.4 [S]).
TICKET_EVENT_VERSION = "2022-11-06"
USER_EVENT_VERSION = "2022-06-20"  # the user event example in VENDOR_API §1.4 [V]
DELIVERY_TIMEOUT = 10.0  # Zendesk waits about 10 s for an answer (VENDOR_API §1.7 [S])

# Ticket `via.channel` values per sandbox channel. `native_messaging` for Zendesk messaging is
# [S] (public payloads); the others are Zendesk's channel names.
VIA_CHANNEL = {
    "email": "email",
    "web": "web",
    "chat": "chat",
    "messaging": "native_messaging",
    "api": "api",
}


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def ticket_detail(ticket: dict[str, Any], actor_id: Any) -> dict[str, Any]:
    """Ticket `detail` (VENDOR_API §1.4 list of fields [V]; upper-case enum values as in public
    examples [S], ids as strings [V])."""
    return {
        "actor_id": _s(actor_id),
        "assignee_id": _s(ticket.get("assignee_id")),
        "brand_id": _s(ticket.get("brand_id")),
        "created_at": ticket["created_at"],
        "custom_status": _s(ticket.get("custom_status_id")),
        "description": ticket.get("description") or "",
        "external_id": ticket.get("external_id"),
        "form_id": _s(ticket.get("ticket_form_id")),
        "group_id": _s(ticket.get("group_id")),
        "id": str(ticket["id"]),
        "is_public": bool(ticket.get("is_public", True)),
        "organization_id": _s(ticket.get("organization_id")),
        "priority": _upper(ticket.get("priority")),
        "requester_id": _s(ticket.get("requester_id")),
        "status": _upper(ticket.get("status")),
        "subject": ticket.get("subject") or "",
        "submitter_id": _s(ticket.get("submitter_id")),
        "tags": list(ticket.get("tags") or []),
        "type": _upper(ticket.get("type")),
        "updated_at": ticket["updated_at"],
        "via": {"channel": (ticket.get("via") or {}).get("channel")},
    }


def user_detail(user: dict[str, Any]) -> dict[str, Any]:
    """User `detail`: created_at, email, external_id, default_group_id, id, organization_id,
    role, updated_at (VENDOR_API §1.4 [V]); user events carry no actor."""
    return {
        "created_at": user["created_at"],
        "email": user.get("email"),
        "external_id": user.get("external_id"),
        "default_group_id": _s(user.get("default_group_id")),
        "id": str(user["id"]),
        "organization_id": _s(user.get("organization_id")),
        "role": user.get("role"),
        "updated_at": user["updated_at"],
    }


def envelope(
    account_id: int,
    event_type: str,
    subject: str,
    detail: dict[str, Any],
    event: dict[str, Any],
    now: float,
    version: str = TICKET_EVENT_VERSION,
) -> dict[str, Any]:
    return {
        "type": f"zen:event-type:{event_type}",
        "account_id": account_id,
        "id": str(uuid.uuid4()),
        "time": iso_precise(now),
        "zendesk_event_version": version,
        "subject": subject,
        "detail": detail,
        "event": event,
    }


def comment_event(comment: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    """`ticket.comment_added` event: `comment: {id, body, is_public, author: {id, is_staff,
    name}}` (VENDOR_API §1.4 [S: dust-tt/dust schema])."""
    return {
        "comment": {
            "id": str(comment["id"]),
            "body": comment["body"],
            "is_public": bool(comment["public"]),
            "author": {
                "id": str(author["id"]),
                "is_staff": author.get("role") in ("agent", "admin"),
                "name": author.get("name"),
            },
        }
    }


def tags_event(added: list[str], removed: list[str]) -> dict[str, Any]:
    """`ticket.tags_changed` / `user.tags_changed` event: `{added: {tags}, removed: {tags}}`
    [S: bb-io/Zendesk TagsChangedEvent.cs], as tests/fixtures/zendesk/SOURCES.md records."""
    return {"added": {"tags": list(added)}, "removed": {"tags": list(removed)}}


def messaging_event(
    message_id: str, body: str, actor: dict[str, Any], conversation_id: str
) -> dict[str, Any]:
    """`messaging_ticket.message_added` event: `{actor: {id, name, type}, conversation_id,
    message: {id, body}}`, actor type end_user | agent | trigger | system (VENDOR_API §1.4 [V])."""
    kind = "agent" if actor.get("role") in ("agent", "admin") else "end_user"
    return {
        "actor": {"id": str(actor["id"]), "name": actor.get("name"), "type": kind},
        "conversation_id": conversation_id,
        "message": {"id": message_id, "body": body},
    }


def custom_field_event(field: dict[str, Any], current: Any, previous: Any) -> dict[str, Any]:
    """`user.custom_field_changed` event: `{current, previous, custom_field: {id, title, type}}`
    [S: bb-io/Zendesk CustomFieldChangedEvent.cs; the EventBridge form has the same object, V],
    as tests/fixtures/zendesk/SOURCES.md records. The field's key is not in it."""
    return {
        "current": current,
        "previous": previous,
        "custom_field": {
            "id": str(field["id"]),
            "title": field.get("title"),
            "type": field.get("type"),
        },
    }


def signed_headers(secret: str, webhook_id: str, body: bytes, when: datetime) -> dict[str, str]:
    timestamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Content-Type": "application/json",
        "User-Agent": "Zendesk Webhook",
        "X-Zendesk-Webhook-Id": webhook_id,
        "X-Zendesk-Webhook-Signature": signature(secret, timestamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


class Deliverer:
    """POSTs envelopes to the configured webhook; synchronous, or in order from a thread."""

    def __init__(self, settings: Callable[[], tuple[str | None, str | None, str]]) -> None:
        self._settings = settings  # () -> (url, secret, webhook id), read at delivery time
        self._http = requests.Session()
        self._log_lock = threading.Lock()
        self.log: list[dict[str, Any]] = []
        self._queue: Queue[dict[str, Any] | None] = Queue()
        self._worker: threading.Thread | None = None

    def deliver(self, payload: dict[str, Any]) -> int | None:
        """Deliver now; the webhook's HTTP status (0: unreachable), None if none configured."""
        url, secret, webhook_id = self._settings()
        if not url:
            return None
        body = json.dumps(payload, separators=(",", ":")).encode()
        # The signature timestamp is the real time of sending (the receiver's replay window is
        # real time too), whatever the sandbox clock says.
        headers = signed_headers(secret or "", webhook_id, body, datetime.now(UTC))
        try:
            status = self._http.post(url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
            code = status.status_code
        except requests.RequestException:
            code = 0
        with self._log_lock:
            self.log.append({"type": payload["type"], "id": payload["id"], "status": code})
        return code

    def deliver_later(self, payload: dict[str, Any]) -> None:
        """Queue a delivery for the background thread (events caused by API writes)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(
                target=self._run, name="sandbox-deliveries", daemon=True
            )
            self._worker.start()
        self._queue.put(payload)

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                if payload is None:
                    return
                self.deliver(payload)
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until queued deliveries are sent (tests, state reads)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)

    def clear(self) -> None:
        with self._log_lock:
            self.log.clear()
