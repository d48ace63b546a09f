"""A macro's changes, as `GET /api/v2/macros/{id}/apply` ("Show Changes to Ticket") returns them.

VENDOR_API §3: that endpoint returns `{"result": {"ticket": {...}}}` holding only the fields the
macro changes, with any comment as `comment: {body | html_body, public, scoped_body}`. We merge
those changes into our own single ticket update; we never PUT back a whole ticket (zenpy's
`show_macro_effect` + `update` does, VENDOR_API §7/§11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Ticket fields a macro may change that we carry over (macro actions reference, VENDOR_API §3).
# Anything else in the result (subject, read-only values) is left alone.
CARRIED_FIELDS = ("status", "priority", "type", "group_id", "assignee_id")

# [U] How "Show Changes to Ticket" reports tag actions is not documented in what we have: a
# `current_tags` (add) action may come back as `tags`, `current_tags` or `additional_tags`, and
# `remove_tags` as `remove_tags`. Every add form is applied as *additional* tags (never as a
# replacement list, even `tags`/`set_tags`), so a stale list can never overwrite the ticket's
# tags. Correct the names here if Zendesk documents otherwise.
TAG_ADD_KEYS = ("tags", "current_tags", "additional_tags", "set_tags")
TAG_REMOVE_KEYS = ("remove_tags",)


@dataclass(frozen=True)
class MacroComment:
    body: str | None
    html_body: str | None
    public: bool


@dataclass(frozen=True)
class MacroChanges:
    fields: dict[str, Any] = field(default_factory=dict)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()
    comment: MacroComment | None = None


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):  # macro action values are space-separated strings
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _custom_fields(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    raw = ticket.get("custom_fields") or ticket.get("fields") or []
    if isinstance(raw, dict):  # the docs' example shows a single {"id", "value"} object
        raw = [raw]
    return [{"id": f["id"], "value": f.get("value")} for f in raw if isinstance(f, dict)]


def parse_macro_changes(payload: dict[str, Any]) -> MacroChanges:
    """`MacroChanges` from the body of `GET /api/v2/macros/{id}/apply`."""
    ticket = (payload.get("result") or {}).get("ticket") or {}
    adds = [t for key in TAG_ADD_KEYS for t in _tags(ticket.get(key))]
    removes = [t for key in TAG_REMOVE_KEYS for t in _tags(ticket.get(key))]
    comment = None
    raw_comment = ticket.get("comment")
    if isinstance(raw_comment, dict) and (raw_comment.get("body") or raw_comment.get("html_body")):
        public = raw_comment.get("public", True)
        comment = MacroComment(
            body=raw_comment.get("body"),
            html_body=raw_comment.get("html_body"),
            public=public if isinstance(public, bool) else str(public).lower() == "true",
        )
    return MacroChanges(
        fields={k: ticket[k] for k in CARRIED_FIELDS if ticket.get(k) not in (None, "")},
        custom_fields=_custom_fields(ticket),
        tags_add=tuple(dict.fromkeys(adds)),
        tags_remove=tuple(dict.fromkeys(removes)),
        comment=comment,
    )
