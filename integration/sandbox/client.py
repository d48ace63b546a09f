"""`SandboxClient`: the sandbox helpdesk's own controls (`/_sandbox/...`), as a person at the
helpdesk would use them (a customer writes, an agent applies a macro or edits tags, an admin edits
a user), and its state read back over HTTP (never the sandbox's memory).

One client for `conduct demo`, the end-to-end scenario tests and anyone trying the sandbox by
hand. Each control answers with what the sandbox did, including the HTTP statuses of the
webhook deliveries it made (`deliveries`); with `strict=True` a control fails unless every
delivery was accepted (200, 202 or 204), as the scenario tests want.
"""

from __future__ import annotations

from typing import Any

import requests

ACCEPTED = (200, 202, 204)
# API token auth as the adapter sends it, for the seeded API user (seed.json); the sandbox
# checks the token only when it was started with one.
API_AUTH = ("conduct-guard@example.com/token", "sandbox-token")


class SandboxError(RuntimeError):
    """A control the sandbox refused (`status`: its HTTP status), or (strict) a delivery the
    web tier did not accept (`status` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SandboxClient:
    def __init__(self, base_url: str, *, strict: bool = False, timeout: float = 30) -> None:
        self.base = base_url.rstrip("/")
        self.strict = strict
        self.timeout = timeout
        self.http = requests.Session()

    # -- controls --------------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.request(
            method, f"{self.base}/_sandbox{path}", json=body, timeout=self.timeout
        )
        if response.status_code not in (200, 201):
            raise SandboxError(
                f"{method} /_sandbox{path}: {response.status_code} {response.text}",
                response.status_code,
            )
        answer: dict[str, Any] = response.json()
        refused = [s for s in answer.get("deliveries", []) if s not in ACCEPTED]
        if self.strict and refused:
            raise SandboxError(f"{method} /_sandbox{path}: deliveries answered {refused}")
        return answer

    def open_ticket(
        self,
        body: str,
        *,
        requester_id: int | None = None,
        requester: dict[str, str] | None = None,
        subject: str | None = None,
        channel: str = "email",
    ) -> dict[str, Any]:
        """A customer opens a ticket: a seeded user by id, or a new one by name and e-mail."""
        payload: dict[str, Any] = {"body": body, "channel": channel}
        if requester_id is not None:
            payload["requester_id"] = requester_id
        if requester is not None:
            payload["requester"] = requester
        if subject is not None:
            payload["subject"] = subject
        return self.control("POST", "/tickets", payload)

    def comment(self, ticket_id: Any, author_id: Any, body: str) -> dict[str, Any]:
        return self.control(
            "POST", f"/tickets/{ticket_id}/comments", {"body": body, "author_id": author_id}
        )

    def macro_id(self, title: str) -> int:
        return int(next(m["id"] for m in self.state()["macros"] if m["title"] == title))

    def apply_macro(self, ticket_id: Any, macro_id: Any, agent_id: Any) -> dict[str, Any]:
        return self.control(
            "POST", f"/tickets/{ticket_id}/macros/{macro_id}/apply", {"agent_id": agent_id}
        )

    def add_tags(self, ticket_id: Any, agent_id: Any, *tags: str) -> dict[str, Any]:
        return self.control(
            "POST", f"/tickets/{ticket_id}/edit", {"agent_id": agent_id, "add_tags": list(tags)}
        )

    def set_user(self, user_id: Any, **changes: Any) -> dict[str, Any]:
        return self.control("PUT", f"/users/{user_id}", changes)

    # -- reading the helpdesk --------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything the sandbox holds, and the vendor calls made so far. Reading it also
        flushes the sandbox's background webhook deliveries."""
        response = self.http.get(f"{self.base}/_sandbox/state", timeout=self.timeout)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        found: dict[str, Any] = next(t for t in self.state()["tickets"] if t["id"] == ticket_id)
        return found

    def tickets(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.state()["tickets"]
        return found

    def user(self, user_id: int) -> dict[str, Any]:
        found: dict[str, Any] = next(u for u in self.state()["users"] if u["id"] == user_id)
        return found

    def group(self, name: str) -> int:
        return int(next(g["id"] for g in self.state()["groups"] if g["name"] == name))

    def comments_by_plugin(self, ticket_id: int, *, public: bool) -> list[str]:
        """Bodies of the comments the plugin (the API user) wrote on a ticket."""
        state = self.state()
        api_user = state["api_user_id"]
        ticket = next(t for t in state["tickets"] if t["id"] == ticket_id)
        return [c["body"] for c in ticket["comments"]
                if c["public"] is public and c["author_id"] == api_user]  # fmt: skip

    def view_ticket_ids(self, view_id: int, page_size: int = 2) -> list[int]:
        """A view's tickets through the helpdesk API (as an agent's view lists them), every
        cursor page."""
        url: str | None = f"{self.base}/api/v2/views/{view_id}/tickets.json"
        params: dict[str, Any] | None = {"page[size]": page_size}
        found: list[int] = []
        while url:
            response = self.http.get(url, params=params, auth=API_AUTH, timeout=self.timeout)
            response.raise_for_status()
            page = response.json()
            found += [t["id"] for t in page["tickets"]]
            url = page["links"]["next"] if page["meta"]["has_more"] else None
            params = None
        return found
