"""The sandbox as one object: settings, clock, state, limits, deliveries, and the call log."""

from __future__ import annotations

import math
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from integration.sandbox.clock import SandboxClock, iso
from integration.sandbox.config import SandboxConfig
from integration.sandbox.limits import FixedWindows, Verdict
from integration.sandbox.store import SEED, Store, TicketChange, UserChange
from integration.sandbox.webhooks import (
    USER_EVENT_VERSION,
    Deliverer,
    comment_event,
    custom_field_event,
    envelope,
    messaging_event,
    tags_event,
    ticket_detail,
    user_detail,
)

MINUTE = 60.0


class Sandbox:
    def __init__(self, config: SandboxConfig, seed_path: Path = SEED) -> None:
        self.config = config
        self.clock = SandboxClock(config.time_scale)
        self.store = Store(self.clock, seed_path)
        self.limits = FixedWindows()
        self.deliverer = Deliverer(
            lambda: (self.config.webhook_url, self.config.webhook_secret, self.config.webhook_id)
        )
        self._log_lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []

    def reset(self) -> None:
        self.deliverer.flush()
        with self.store.lock:
            self.store.load()
            self.limits.reset()
        with self._log_lock:
            self.calls.clear()
        self.deliverer.clear()

    def configure(self, values: dict[str, Any]) -> None:
        self.config.update(values)
        if "time_scale" in values:
            self.clock.set_scale(self.config.time_scale)

    def log_call(self, method: str, path: str, status: int) -> None:
        """`t`: sandbox time (seconds since the epoch); `real`: wall-clock time of the call."""
        now = self.clock.now()
        entry = {
            "method": method,
            "path": path,
            "status": status,
            "at": iso(now),
            "t": now,
            "real": time.time(),
        }
        with self._log_lock:
            self.calls.append(entry)

    # -- limits ------------------------------------------------------------------------------
    def account(self, count: bool) -> Verdict:
        now, limit = self.clock.now(), self.config.account_limit
        if count:
            return self.limits.hit("account", limit, MINUTE, now)
        return self.limits.peek("account", limit, MINUTE, now)

    def ticket_updates(self) -> Verdict:
        return self.limits.hit(
            "tickets-update", self.config.ticket_update_limit, MINUTE, self.clock.now()
        )

    def per_ticket(self, ticket_id: int, user_id: int) -> Verdict:
        # 30 updates per 10 minutes per user per ticket (VENDOR_API §5 [S]).
        return self.limits.hit(
            f"ticket:{ticket_id}:{user_id}",
            self.config.per_ticket_limit,
            self.config.per_ticket_window,
            self.clock.now(),
        )

    def per_user(self, user_id: int) -> Verdict:
        return self.limits.hit(
            f"user:{user_id}",
            self.config.user_update_limit,
            self.config.user_update_window,
            self.clock.now(),
        )

    def seconds(self, sandbox_seconds: float) -> str:
        """A duration for a header, in the client's (real) seconds.

        Zendesk sends whole seconds; with a time scale the sandbox sends hundredths, since a
        scaled window may last only a few real seconds.
        """
        real = max(0.0, self.clock.real_seconds(sandbox_seconds))
        if self.clock.scale == 1:
            return str(math.ceil(real))
        return f"{math.ceil(real * 100) / 100:.2f}"

    # -- webhook events ----------------------------------------------------------------------
    def _send(self, payloads: list[dict[str, Any]], sync: bool) -> list[int]:
        if sync:
            statuses = [self.deliverer.deliver(p) for p in payloads]
            return [s for s in statuses if s is not None]
        if self.config.deliver_api_events and self.config.webhook_url:
            for payload in payloads:
                self.deliverer.deliver_later(payload)
        return []

    def ticket_events(self, change: TicketChange, *, sync: bool) -> list[int]:
        """The events one ticket write causes, in the order Zendesk's audit lists them."""
        store, now = self.store, self.clock.now()
        with store.lock:
            ticket = store.ticket(change.ticket_id)
            detail = ticket_detail(ticket, change.actor_id)
            subject = f"zen:ticket:{ticket['id']}"
            payloads: list[dict[str, Any]] = []
            if change.created:
                payloads.append(
                    envelope(store.account_id, "ticket.created", subject, detail, {}, now)
                )
            comment = change.comment
            if comment is not None:
                author = store.user(comment["author_id"])
                conversation = store.conversations.get(ticket["id"])
                if conversation is not None and comment["public"]:
                    # Messaging: the message event, whose detail is the ticket id alone
                    # (VENDOR_API §1.4 [V]). [U] whether comment_added also fires for it.
                    event = messaging_event(
                        uuid.uuid4().hex[:24], comment["body"], author, conversation
                    )
                    payloads.append(
                        envelope(
                            store.account_id,
                            "messaging_ticket.message_added",
                            subject,
                            {"id": str(ticket["id"])},
                            event,
                            now,
                        )
                    )
                else:
                    payloads.append(
                        envelope(
                            store.account_id,
                            "ticket.comment_added",
                            subject,
                            detail,
                            comment_event(comment, author),
                            now,
                        )
                    )
            if change.tags_added or change.tags_removed:
                event = tags_event(change.tags_added, change.tags_removed)
                payloads.append(
                    envelope(store.account_id, "ticket.tags_changed", subject, detail, event, now)
                )
        return self._send(payloads, sync)

    def user_events(self, change: UserChange, *, sync: bool) -> list[int]:
        store, now = self.store, self.clock.now()
        with store.lock:
            user = store.user(change.user_id)
            detail = user_detail(user)
            subject = f"zen:user:{user['id']}"
            fields = {f["key"]: f for f in store.user_fields}
            payloads = []
            for key, (previous, current) in change.fields.items():
                field = fields.get(key)
                if field is None:
                    # [U] A key that names no user field (kept by the store, also [U]) has no
                    # field id to send, so no `user.custom_field_changed` is made up for it.
                    continue
                payloads.append(
                    envelope(
                        store.account_id,
                        "user.custom_field_changed",
                        subject,
                        detail,
                        custom_field_event(field, current, previous),
                        now,
                        USER_EVENT_VERSION,
                    )
                )
            if change.tags_added or change.tags_removed:
                payloads.append(
                    envelope(
                        store.account_id,
                        "user.tags_changed",
                        subject,
                        detail,
                        tags_event(change.tags_added, change.tags_removed),
                        now,
                        USER_EVENT_VERSION,
                    )
                )
        return self._send(payloads, sync)
