"""Macros in the sandbox: what "Show Changes to Ticket" answers, and applying one as an agent.

Macro actions use Zendesk's action format (VENDOR_API §3, actions reference [V]): `status`,
`priority`, `type`, `group_id`, `assignee_id` (an id or `current_user`), `set_tags` (replace),
`current_tags` (add), `remove_tags`, `comment_value`, `comment_value_html`,
`comment_mode_is_public` ("true"/"false"), `subject`.
"""

from __future__ import annotations

import re
from typing import Any

# [U] How "Show Changes to Ticket" (`GET /api/v2/macros/{id}/apply`) spells tag actions is not
# documented in what we have; the sandbox answers added tags as `tags` (a list, the Ticket
# field clients deserialise it into) and removed ones as `remove_tags`. The adapter reads every
# add form as additional tags (integration/zendesk/macros.py), so it works either way.
SHOW_CHANGES_TAGS_KEY = "tags"


def _id(value: Any) -> Any:
    text = str(value)
    return int(text) if text.isdigit() else value


def show_changes(macro: dict[str, Any], current_user_id: int) -> dict[str, Any]:
    """`{"result": {"ticket": {...}}}` holding only what the macro changes (VENDOR_API §3)."""
    ticket: dict[str, Any] = {}
    comment: dict[str, Any] = {}
    for action in macro["actions"]:
        name, value = action["field"], action["value"]
        if name in ("status", "priority", "type", "subject"):
            ticket[name] = value
        elif name == "group_id":
            ticket["group_id"] = _id(value)
        elif name == "assignee_id":
            ticket["assignee_id"] = current_user_id if value == "current_user" else _id(value)
        elif name in ("current_tags", "set_tags"):
            ticket.setdefault(SHOW_CHANGES_TAGS_KEY, []).extend(str(value).split())
        elif name == "remove_tags":
            ticket.setdefault("remove_tags", []).extend(str(value).split())
        elif name == "comment_value":
            comment["body"] = value
        elif name == "comment_value_html":
            comment["html_body"] = value
        elif name == "comment_mode_is_public":
            comment["public"] = str(value).lower() == "true"
    if comment:
        comment.setdefault("public", True)
        text = comment.get("body") or comment.get("html_body", "")
        comment["scoped_body"] = [
            ["channel:all", text]
        ]  # VENDOR_API §3: {body, public, scoped_body}
        ticket["comment"] = comment
    return {"result": {"ticket": ticket}}


def render_placeholders(text: str, requester: dict[str, Any], agent: dict[str, Any]) -> str:
    """The few placeholders the conduct macros use, rendered as the agent workspace does."""
    values = {
        "ticket.requester.first_name": (requester.get("name") or "").split(" ")[0],
        "ticket.requester.name": requester.get("name") or "",
        "current_user.name": agent.get("name") or "",
        "current_user.first_name": (agent.get("name") or "").split(" ")[0],
    }
    return re.sub(r"\{\{\s*([a-z_.]+)\s*\}\}", lambda m: values.get(m[1], m[0]), text)


def as_update(
    macro: dict[str, Any], agent: dict[str, Any], requester: dict[str, Any]
) -> dict[str, Any]:
    """The ticket update the agent workspace submits when an agent applies `macro`."""
    changes = show_changes(macro, agent["id"])["result"]["ticket"]
    update: dict[str, Any] = {}
    for action in macro["actions"]:
        if action["field"] == "set_tags":
            update["tags"] = str(action["value"]).split()
        elif action["field"] == "current_tags":
            update.setdefault("additional_tags", []).extend(str(action["value"]).split())
    if changes.get("remove_tags"):
        update["remove_tags"] = changes["remove_tags"]
    for key in ("status", "priority", "type", "subject", "group_id", "assignee_id"):
        if key in changes:
            update[key] = changes[key]
    if "comment" in changes:
        c = changes["comment"]
        update["comment"] = {
            "body": render_placeholders(c["body"], requester, agent) if c.get("body") else None,
            "html_body": c.get("html_body"),
            "public": c["public"],
            "author_id": agent["id"],
        }
    return update
