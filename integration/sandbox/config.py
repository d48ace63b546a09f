"""The sandbox's settings: where to deliver webhooks, rate limits, and the time scale.

Defaults are Zendesk's documented numbers (VENDOR_API §5): Update Ticket 100 requests a minute per
account [V], 30 updates per ticket in 10 minutes [S], Update User about 5 a minute per user [S];
the account-wide limit defaults to 700 a minute, what the recorded account reported
(`x-rate-limit: 700`). `time_scale` makes sandbox time run faster than real time, so a benchmark
goes through several rate-limit windows in a minute (10 → a minute's window lasts 6 s).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class SandboxConfig:
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_id: str = "01HSANDBOXWEBHOOK00000000"  # ULID-like, as the recorded webhook ids
    account_limit: int = 700  # requests per minute, any endpoint
    ticket_update_limit: int = 100  # PUT /tickets/{id} per minute per account
    per_ticket_limit: int = 30  # updates of one ticket ...
    per_ticket_window: float = 600.0  # ... per this many seconds
    user_update_limit: int = 5  # PUT /users/{id} of one user ...
    user_update_window: float = 60.0  # ... per this many seconds
    # [S] 429s from per-ticket / per-user limits were seen without Retry-After (VENDOR_API §5);
    # set False to reproduce that.
    retry_after_on_resource_limits: bool = True
    time_scale: float = 1.0
    # Deliver the events the API's own writes cause (the plugin's tags and notes coming back,
    # as Zendesk does), in the background, in order.
    deliver_api_events: bool = True
    api_token: str | None = None  # when set, API calls must use it

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = values.keys() - known.keys()
        if unknown:
            raise ValueError(f"unknown sandbox settings: {sorted(unknown)}")
        for name, value in values.items():
            current = getattr(self, name)
            if isinstance(current, bool) or name in ("retry_after_on_resource_limits",):
                value = bool(value)
            elif isinstance(current, int) and value is not None:
                value = int(value)
            elif isinstance(current, float) and value is not None:
                value = float(value)
            setattr(self, name, value)
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["webhook_secret"] = "***" if self.webhook_secret else None
        data["api_token"] = "***" if self.api_token else None
        return data
