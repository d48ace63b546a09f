"""The helpdesk adapter for a vendor: the one place the worker learns which class to build."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from integration.helpdesk import Helpdesk


def helpdesk_for(vendor: str, settings: Settings, redis: Any | None = None) -> Helpdesk:
    """Build the adapter for `vendor` ("zendesk" | "freshdesk") from settings and Redis."""
    if vendor == "zendesk":
        from integration.zendesk.client import ZendeskHelpdesk

        return ZendeskHelpdesk(settings, redis)
    if vendor == "freshdesk":
        raise NotImplementedError(
            "the Freshdesk adapter is not built yet (a later issue); unset FRESHDESK_* or "
            "route Freshdesk events elsewhere"
        )
    raise ValueError(f"unknown helpdesk vendor {vendor!r}")
