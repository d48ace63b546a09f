"""`ZendeskHelpdesk`: the `Helpdesk` protocol over the Zendesk Support API.

HTTP goes through one `requests.Session`, not zenpy, on purpose (VENDOR_API §7, §11): zenpy sleeps
in the calling thread on 429 (a worker must re-enqueue instead), retries 5xx inside the call
through its urllib3 adapter, PUTs a whole (stale) ticket back after a macro, caches tickets and
users by default, and can only be pointed at another host (the sandbox, `ZENDESK_API_URL`) through
process-wide environment variables. zenpy's own test recordings are what our replay tests and the
sandbox's shapes are checked against.

Every call: a budget check first (`ratelimit.RateBudget`, may raise `TransientVendorError` without
calling), a timeout, one count in `conduct_vendor_calls_total`, the rate-limit headers learned,
and a failure mapped once (`errors.py`). What one `apply` costs is in `updates.py` and the
report: one PUT per ticket (+1 GET when assignee/group/status change), one more PUT per extra
comment, one PUT per customer (+1 GET when tags change), one POST per new ticket, and one cached
GET per macro.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from config.metrics import VENDOR_CALLS
from config.settings import Settings
from integration.actions import Action, ApplyMacro, CreateTicket
from integration.helpdesk import (
    ApplyResult,
    PermanentVendorError,
    TransientVendorError,
    VendorError,
)
from integration.zendesk.cache import Cache
from integration.zendesk.errors import UpdateConflict, error_for_exception, error_for_response
from integration.zendesk.macros import MacroChanges, parse_macro_changes
from integration.zendesk.ratelimit import MemoryBudgetStore, RateBudget, RedisBudgetStore
from integration.zendesk.updates import CustomerUpdate, TicketUpdate, plan, vendor_id

log = logging.getLogger(__name__)

VENDOR = "zendesk"
USER_AGENT = "ConductGuard/0.1 (+https://github.com/conduct-guard)"
DEFAULT_TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
CONFLICT_RETRIES = 3  # re-reads after a 409 before the batch is re-enqueued
PAGE_SIZE = 100  # cursor pagination maximum (VENDOR_API §2)

ME_TTL = 24 * 3600.0
DIRECTORY_TTL = 600.0  # groups, agents, memberships
MACRO_TTL = 300.0

# [U] Zendesk accepts an `Idempotency-Key` header on ticket creation and answers a repeated key
# with the ticket it already created (keys kept for about 2 hours); not in VENDOR_API. Sent so a
# retried `POST /tickets` after a timeout does not open a second ticket where it is honoured.
IDEMPOTENCY_HEADER = "Idempotency-Key"

Unit = TicketUpdate | CustomerUpdate | CreateTicket


def _actions_of(unit: Unit) -> list[Action]:
    return [unit] if isinstance(unit, CreateTicket) else list(unit.actions)


class ZendeskHelpdesk:
    """Writes batches of actions with the fewest calls; answers the worker's lookups."""

    vendor = VENDOR

    def __init__(
        self,
        settings: Settings,
        redis: Any | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (settings.zendesk_email and settings.zendesk_api_token):
            raise ValueError("ZENDESK_EMAIL and ZENDESK_API_TOKEN are needed to call Zendesk")
        base = settings.zendesk_base_url.rstrip("/")
        self._api = f"{base}/api/v2"
        namespace = urlsplit(base).netloc
        self._session = session or requests.Session()
        # API token auth: `{email}/token:{token}` (VENDOR_API §2).
        self._session.auth = (f"{settings.zendesk_email}/token", settings.zendesk_api_token)
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._timeout = timeout
        store = RedisBudgetStore(redis, namespace) if redis is not None else MemoryBudgetStore()
        self._budget = RateBudget(store, clock)
        self._cache = Cache(redis, namespace, clock)

    # -- one call ----------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        route: str,
        result: ApplyResult | None = None,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        what = f"{method} {route}"
        self._budget.reserve(what)
        url = f"{self._api}/{route.format(id=id)}"
        try:
            response = self._session.request(
                method, url, json=body, params=params, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            status = "timeout" if isinstance(exc, requests.Timeout) else "error"
            VENDOR_CALLS.labels(VENDOR, status).inc()
            if result is not None:
                result.calls.append((method, f"/api/v2/{route}", 0))
            log.warning("zendesk.call-failed", extra={"route": what, "error": status})
            raise error_for_exception(exc, what) from exc
        VENDOR_CALLS.labels(VENDOR, str(response.status_code)).inc()
        self._budget.observe(what, response.headers)
        if result is not None:
            result.calls.append((method, f"/api/v2/{route}", response.status_code))
        if not response.ok:
            log.warning("zendesk.call", extra={"route": what, "status": response.status_code})
            raise error_for_response(response, what)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:  # an HTML page from a proxy in front of Zendesk: try again later
            raise TransientVendorError(
                f"zendesk {what}: not JSON", status=response.status_code
            ) from None
        return data if isinstance(data, dict) else {}

    def _pages(self, route: str, key: str, id: str | None = None) -> list[dict[str, Any]]:
        """Every record of a cursor-paginated list (`page[size]`, `meta.after_cursor`)."""
        records: list[dict[str, Any]] = []
        params: dict[str, Any] = {"page[size]": PAGE_SIZE}
        while True:
            data = self._call("GET", route, params=params, id=id)
            records.extend(data.get(key) or [])
            meta = data.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                return records
            params = {"page[size]": PAGE_SIZE, "page[after]": meta["after_cursor"]}

    # -- Helpdesk: lookups -------------------------------------------------------------------
    def whoami(self) -> str:
        """The plugin's own user id (`GET /api/v2/users/me`), learned once and cached."""

        def load() -> str:
            return str(self._call("GET", "users/me")["user"]["id"])

        return str(self._cache.get_or_load("me", ME_TTL, load))

    def get_customer_fields(self, customer_id: str) -> dict[str, Any]:
        """The customer's user fields by key, read fresh."""
        user = self._call("GET", "users/{id}", id=customer_id)["user"]
        return dict(user.get("user_fields") or {})

    def customer_field_key(self, field_id: str) -> str | None:
        """The key of a user field by its id (user events name fields by id only)."""

        def load() -> dict[str, str]:
            return {str(f["id"]): f["key"] for f in self._pages("user_fields", "user_fields")}

        keys: dict[str, str] = self._cache.get_or_load("user_fields", DIRECTORY_TTL, load)
        return keys.get(str(field_id))

    def _groups(self) -> dict[str, str]:
        def load() -> dict[str, str]:
            return {str(g["id"]): g["name"] for g in self._pages("groups", "groups")}

        groups: dict[str, str] = self._cache.get_or_load("groups", DIRECTORY_TTL, load)
        return groups

    def resolve_group(self, name: str) -> str | None:
        wanted = name.casefold()
        return next((gid for gid, g in self._groups().items() if g.casefold() == wanted), None)

    def resolve_agent(self, email: str) -> str | None:
        """An agent's (or admin's) id by e-mail, or None."""
        wanted = email.strip().casefold()

        def load() -> str | None:
            users = self._call("GET", "users/search", params={"query": wanted}).get("users") or []
            for user in users:
                if (user.get("email") or "").casefold() == wanted and user.get("role") in (
                    "agent",
                    "admin",
                ):
                    return str(user["id"])
            return None

        key = "agent:" + hashlib.sha256(wanted.encode()).hexdigest()[:24]  # no e-mail in keys
        agent: str | None = self._cache.get_or_load(key, DIRECTORY_TTL, load)
        return agent

    def agent_groups(self, agent_id: str) -> tuple[str, ...]:
        """Names of the groups an agent belongs to."""

        def load() -> list[str]:
            memberships = self._pages(
                "users/{id}/group_memberships", "group_memberships", id=agent_id
            )
            return [str(m["group_id"]) for m in memberships]

        group_ids: list[str] = self._cache.get_or_load(
            f"memberships:{agent_id}", DIRECTORY_TTL, load
        )
        groups = self._groups()
        return tuple(groups[g] for g in group_ids if g in groups)

    def get_organization(self, organization_id: str) -> dict[str, Any]:
        """An organization's name, fields (by key) and tags."""
        org = self._call("GET", "organizations/{id}", id=organization_id)["organization"]
        return {
            "id": str(org["id"]),
            "name": org.get("name"),
            "fields": dict(org.get("organization_fields") or {}),
            "tags": list(org.get("tags") or []),
        }

    def _macro(self, macro_id: str, result: ApplyResult) -> MacroChanges:
        def load() -> dict[str, Any]:
            return self._call("GET", "macros/{id}/apply", result, id=macro_id)

        return parse_macro_changes(self._cache.get_or_load(f"macro:{macro_id}", MACRO_TTL, load))

    # -- Helpdesk: writes --------------------------------------------------------------------
    def apply(self, actions: Sequence[Action]) -> ApplyResult:
        """Carry out `actions`: one update per ticket, one per customer, one POST per new ticket.

        On a failure the error says which actions are still to do (`pending`): the updates
        already made are not repeated when the job retries.
        """
        result = ApplyResult()
        macro_ids = dict.fromkeys(a.macro_id for a in actions if isinstance(a, ApplyMacro))
        macros = {m: self._macro(m, result) for m in macro_ids}
        me = None
        if any(c.fields.get("assignee_id") == "current_user" for c in macros.values()):
            me = self.whoami()
        planned = plan(actions, macros, me)
        units: list[Unit] = [*planned.tickets, *planned.customers, *planned.creates]
        for index, unit in enumerate(units):
            try:
                if isinstance(unit, TicketUpdate):
                    self._update_ticket(unit, result)
                elif isinstance(unit, CustomerUpdate):
                    self._update_customer(unit, result)
                else:
                    self._create_ticket(unit, result)
            except VendorError as exc:
                pending = [a for u in units[index:] for a in _actions_of(u)]
                if isinstance(exc, TransientVendorError):
                    raise TransientVendorError(
                        str(exc), status=exc.status, retry_after=exc.retry_after, pending=pending
                    ) from exc
                raise PermanentVendorError(str(exc), status=exc.status, pending=pending) from exc
        # `conduct_actions_written_total` is counted by the `apply` job once the batch is done
        # (ticket_actions/jobs.py); counting here too would count every action twice.
        return result

    def _update_ticket(self, update: TicketUpdate, result: ApplyResult) -> None:
        body = dict(update.body)
        for attempt in range(CONFLICT_RETRIES + 1):
            if update.guarded:
                # Assignee, group or status: only over the ticket as it is now (VENDOR_API §2).
                ticket = self._call("GET", "tickets/{id}", result, id=update.ticket_id)["ticket"]
                body.update(safe_update=True, updated_stamp=ticket["updated_at"])
            try:
                self._call(
                    "PUT", "tickets/{id}", result, body={"ticket": body}, id=update.ticket_id
                )
            except UpdateConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                log.info("zendesk.update-conflict", extra={"ticket_id": update.ticket_id})
                continue
            result.tickets_updated += 1
            return

    def _update_customer(self, update: CustomerUpdate, result: ApplyResult) -> None:
        """One `PUT /api/v2/users/{id}` with user fields by key and, when they change, tags.

        `tags` on a user replaces the whole list (VENDOR_API §4). The user tag endpoints would add
        and remove without replacing but cost up to three writes, against a per-user update limit
        of a few a minute (§5); so when tags change we read the user fresh and write the union /
        difference in the same single PUT. The window in which a person's concurrent tag edit
        could be lost is one round trip; their edit still arrives as a `customer_changed` event.
        """
        user_body: dict[str, Any] = {}
        if update.fields:
            user_body["user_fields"] = dict(update.fields)
        if update.tags_add or update.tags_remove:
            user = self._call("GET", "users/{id}", result, id=update.customer_id)["user"]
            current = [str(t) for t in user.get("tags") or []]
            wanted = [t for t in current if t not in update.tags_remove]
            wanted += [t for t in update.tags_add if t not in wanted]
            if set(wanted) != set(current):
                user_body["tags"] = wanted
            fields_now = user.get("user_fields") or {}
            if all(fields_now.get(k) == v for k, v in update.fields.items()):
                user_body.pop("user_fields", None)  # already as wanted: nothing to write
        if not user_body:
            return
        self._call("PUT", "users/{id}", result, body={"user": user_body}, id=update.customer_id)
        result.customers_updated += 1

    def _create_ticket(self, action: CreateTicket, result: ApplyResult) -> None:
        ticket: dict[str, Any] = {
            "subject": action.subject,
            "comment": {"body": action.body, "public": True},
        }
        if action.requester_id:
            ticket["requester_id"] = vendor_id(action.requester_id)
        elif action.requester_email:
            ticket["requester"] = {"email": action.requester_email}
        if action.tags:
            ticket["tags"] = list(action.tags)  # a new ticket has no tags to overwrite
        digest = hashlib.sha256(
            repr(
                (action.requester_id, action.requester_email, action.subject, action.body)
            ).encode()
        ).hexdigest()
        self._call(
            "POST",
            "tickets",
            result,
            body={"ticket": ticket},
            headers={IDEMPOTENCY_HEADER: f"conduct-{digest[:32]}"},
        )
        result.tickets_created += 1
