"""Views in the sandbox: the seeded views (e.g. "Restricted customers") and the tickets each
selects, at Zendesk's own paths. Read-only: creating views is `conduct setup`'s (later issue).

    GET /api/v2/views                   list (cursor or offset pagination, as the others)
    GET /api/v2/views/active            the active ones
    GET /api/v2/views/count             {"count": {"value", "refreshed_at"}}
    GET /api/v2/views/{id}              {"view": {...}}
    GET /api/v2/views/{id}/tickets      the tickets the view's conditions select
    GET /api/v2/views/{id}/count        {"view_count": {"view_id", "value", "pretty", "fresh"}}

Shapes: the recordings TestViews.test_getting_tickets_from_a_view (POST views → the view object
with `conditions: {all, any}` and `execution`; GET views/{id}/tickets → `tickets` with cursor
`meta` and `links`, newest first) and TestViews.test_count_views (views/{id}/count →
`view_count`; views/count → `count`) in shared/vendor-recordings/zendesk. Conditions: the
documented view conditions (VENDOR_API §4 [V]): `status` (is, is_not, less_than, greater_than),
`current_tags` (includes: any of the space-separated tags; not_includes: none of them),
`group_id`, `assignee_id`, `requester_id`, `organization_id`, `priority`, `type` (is, is_not).
A view condition on a requester's user fields is not modelled: it is not known to exist
(VENDOR_API §4 [U]); views select on the tags user tags copy onto tickets.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Response

from integration.sandbox.api import NOT_FOUND, _json, _page, _render, route, sandbox
from integration.sandbox.clock import iso

# Zendesk's status order, for less_than / greater_than (view conditions reference [V]).
STATUS_ORDER = ("new", "open", "pending", "hold", "solved", "closed")
COLUMNS = [  # recorded default `execution.columns`
    {"id": "subject", "title": "Subject", "filterable": False, "sortable": False},
    {"id": "requester", "title": "Requester", "filterable": True, "sortable": True},
    {"id": "created", "title": "Requested", "filterable": False, "sortable": True},
    {"id": "updated", "title": "Updated", "filterable": True, "sortable": True},
    {"id": "group", "title": "Group", "filterable": True, "sortable": True},
    {"id": "assignee", "title": "Assignee", "filterable": True, "sortable": True},
]


def _views() -> list[dict[str, Any]]:
    """The seed's `views`, as Zendesk renders a view (recorded shape)."""
    store = sandbox().store
    seed = json.loads(store.seed_path.read_text())
    created = store.clock.now()
    views = []
    for position, v in enumerate(seed.get("views", [])):
        views.append(
            {
                "id": v["id"],
                "title": v["title"],
                "active": v.get("active", True),
                "updated_at": iso(created),
                "created_at": iso(created),
                "default": False,
                "position": 10000 + position,
                "description": v.get("description"),
                "execution": {
                    "group_by": None,
                    "group_order": "desc",
                    "sort_by": None,
                    "sort_order": "desc",
                    "group": None,
                    "sort": None,
                    "columns": copy.deepcopy(COLUMNS),
                    "fields": copy.deepcopy(COLUMNS),
                    "custom_fields": [],
                },
                "conditions": {
                    "all": copy.deepcopy(v.get("conditions", {}).get("all", [])),
                    "any": copy.deepcopy(v.get("conditions", {}).get("any", [])),
                },
                "restriction": copy.deepcopy(v.get("restriction")),
                "raw_title": v["title"],
            }
        )
    return views


def _status_rank(value: Any) -> int:
    text = str(value or "").lower()
    return STATUS_ORDER.index(text) if text in STATUS_ORDER else -1


def matches(condition: dict[str, Any], ticket: dict[str, Any]) -> bool:
    """Whether one view condition holds for a ticket."""
    field, operator, value = condition["field"], condition["operator"], condition.get("value")
    if field == "current_tags":
        wanted = set(str(value or "").split())
        found = bool(wanted & set(ticket.get("tags") or []))
        return found if operator == "includes" else not found
    if field == "status":
        have, want = _status_rank(ticket.get("status")), _status_rank(value)
        return {
            "is": have == want,
            "is_not": have != want,
            "less_than": have < want,
            "greater_than": have > want,
        }.get(operator, False)
    actual = ticket.get(field)
    blank = value in (None, "")
    same = actual in (None, "") if blank else str(actual) == str(value)
    return same if operator == "is" else not same


def selects(view: dict[str, Any], ticket: dict[str, Any]) -> bool:
    conditions = view["conditions"]
    if not all(matches(c, ticket) for c in conditions["all"]):
        return False
    return not conditions["any"] or any(matches(c, ticket) for c in conditions["any"])


def _find(view_id: int) -> dict[str, Any] | None:
    return next((v for v in _views() if v["id"] == view_id), None)


@route("/views")
def list_views() -> Response:
    return _json(_page([_render("views", v) for v in _views()], "views"))


@route("/views/active")
def active_views() -> Response:
    return _json(_page([_render("views", v) for v in _views() if v["active"]], "views"))


@route("/views/count")
def count_views() -> Response:
    refreshed = iso(sandbox().clock.now()).replace("Z", "+00:00")
    return _json({"count": {"value": len(_views()), "refreshed_at": refreshed}})


@route("/views/<int:view_id>")
def show_view(view_id: int) -> Response:
    view = _find(view_id)
    if view is None:
        return _json(NOT_FOUND, 404)
    return _json({"view": _render("views", view)})


def _selected(view: dict[str, Any]) -> list[dict[str, Any]]:
    store = sandbox().store
    with store.lock:
        tickets = [t for t in store.tickets.values() if selects(view, t)]
        tickets.sort(key=lambda t: t["id"], reverse=True)  # newest first, as recorded
        return [_render("tickets", t) for t in tickets]


@route("/views/<int:view_id>/tickets")
def view_tickets(view_id: int) -> Response:
    view = _find(view_id)
    if view is None:
        return _json(NOT_FOUND, 404)
    return _json(_page(_selected(view), "tickets"))


@route("/views/<int:view_id>/count")
def view_count(view_id: int) -> Response:
    view = _find(view_id)
    if view is None:
        return _json(NOT_FOUND, 404)
    value = len(_selected(view))
    return _json(
        {
            "view_count": {
                "url": f"{_render('views', view)['url'].removesuffix('.json')}/count.json",
                "view_id": view_id,
                "value": value,
                "pretty": str(value),
                "fresh": True,
            }
        }
    )
