"""`Context`: the facts the `assess` job gathers so the policy can stay pure.

- the customer's contact count in the contact-rate window (this message included),
- the acting agent's groups (for decisions, issue 6; empty until an adapter can say),
- the configured groups resolved to helpdesk ids (`None` when the helpdesk has no such group,
  with the reason in `group_errors`). Names are resolved when first needed and cached in Redis
  for `GROUP_CACHE_SECONDS`; a missing group never stops the worker: the policy writes the
  failure into its note, the error is logged and `/healthz` reports the policy as degraded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import redis

from ticket_actions.health import clear_policy_degraded, mark_policy_degraded
from ticket_actions.restriction_facts import RestrictionFacts

if TYPE_CHECKING:
    from integration.helpdesk import Helpdesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    contact_count: int = 0
    agent_groups: frozenset[str] = frozenset()
    groups: Mapping[str, str | None] = field(default_factory=dict)  # group name → id
    group_errors: Mapping[str, str] = field(default_factory=dict)  # group name → why not
    # Issue 6: officers, ticket fields, the organisation's contact (ticket_actions/decisions.py).
    restrictions: RestrictionFacts = field(default_factory=RestrictionFacts)

    def group_id(self, name: str) -> str | None:
        return self.groups.get(name)


def resolve_groups(
    connection: redis.Redis, helpdesk: Helpdesk, names: Iterable[str]
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Group names → ids (the adapter caches its directory); errors say why a group has none.

    A missing group is logged and raises the policy-degraded flag `/healthz` reports; once
    every group resolves again the flag is cleared.
    """
    ids: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    vendor = helpdesk.vendor
    for name in sorted(set(names)):
        try:
            found = helpdesk.resolve_group(name)
            error = None if found else f"the {vendor} account has no group named {name!r}"
        except Exception as exc:  # a vendor error must not stop the worker
            found, error = None, f"looking the group up failed ({type(exc).__name__})"
        ids[name] = found
        if error:
            errors[name] = error
    if errors:
        for name, error in errors.items():
            log.error("policy.group-missing", extra={"vendor": vendor, "group": name, "why": error})
        mark_policy_degraded(
            connection, "; ".join(f"group {n!r}: {e}" for n, e in sorted(errors.items()))
        )
    elif ids:
        clear_policy_degraded(connection)
    return ids, errors


def acting_agent_groups(helpdesk: Helpdesk, agent_id: str | None) -> frozenset[str]:
    """The names of the acting agent's groups (empty when unknown or the lookup failed)."""
    if not agent_id:
        return frozenset()
    try:
        return frozenset(helpdesk.agent_groups(agent_id))
    except Exception as exc:  # decisions are refused without it; the worker goes on
        log.warning("context.agent-groups-failed", extra={"why": type(exc).__name__})
        return frozenset()
