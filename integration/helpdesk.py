"""The `Helpdesk` protocol every vendor adapter implements, and the errors adapters raise.

Vendor-neutral on purpose: the Zendesk and Freshdesk adapters fit it unchanged. The `apply` job
decides what to do with an error by its class alone: `TransientVendorError` is re-enqueued after
`retry_after` (429, 5xx, timeouts), `PermanentVendorError` fails the job at once (401/403/404/422).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from integration.actions import Action


class VendorError(Exception):
    """A vendor call failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientVendorError(VendorError):
    """Worth retrying later: rate limited, vendor down, timed out."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        pending: Sequence[Action] | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after  # seconds the vendor asked us to wait, if it said
        # The actions not yet carried out (None: all of them). An adapter that already wrote
        # part of a batch says what is left, so a retry never writes a comment twice.
        self.pending = pending


class PermanentVendorError(VendorError):
    """Retrying will not help (bad credentials, no such ticket, invalid update)."""

    def __init__(
        self, message: str, *, status: int | None = None, pending: Sequence[Action] | None = None
    ) -> None:
        super().__init__(message, status=status)
        # As for TransientVendorError: the actions not carried out (None: all of them), so a
        # re-run from the failed registry does not repeat what was already written.
        self.pending = pending


@dataclass
class ApplyResult:
    """What one `apply` did: vendor calls made (by method and path template) and writes."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    tickets_updated: int = 0
    customers_updated: int = 0
    tickets_created: int = 0

    @property
    def writes(self) -> int:
        return self.tickets_updated + self.customers_updated + self.tickets_created


@runtime_checkable
class Helpdesk(Protocol):
    """What the worker needs from a helpdesk."""

    vendor: str

    def apply(self, actions: Sequence[Action]) -> ApplyResult:
        """Carry out `actions` with the fewest vendor calls (one update per ticket)."""
        ...

    def whoami(self) -> str:
        """The plugin's own user id in the helpdesk (learned once, then cached)."""
        ...

    def get_customer_fields(self, customer_id: str) -> dict[str, Any]:
        """The customer's user fields, by key."""
        ...

    def resolve_group(self, name: str) -> str | None:
        """A group's id by its name, or None when there is no such group."""
        ...

    def resolve_agent(self, email: str) -> str | None:
        """An agent's id by e-mail (e.g. a named officer), or None when there is none."""
        ...

    def agent_groups(self, agent_id: str) -> tuple[str, ...]:
        """The names of the groups an agent belongs to (who may decide what)."""
        ...

    def get_organization(self, organization_id: str) -> dict[str, Any]:
        """An organization: `id`, `name`, `fields` (by key) and `tags`."""
        ...

    def customer_field_key(self, field_id: str) -> str | None:
        """The key of a customer field by its id (some events name a field by id only)."""
        ...
