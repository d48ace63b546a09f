"""The sandbox's own controls, under `/_sandbox/` only (DESIGN.md: no test reaches into memory).

    POST /_sandbox/reset                          back to the seed (config kept)
    GET|POST /_sandbox/clock                      {"now": iso} | {"advance_seconds": n}
    GET  /_sandbox/state                          tickets, users, groups, macros, calls, deliveries
    POST /_sandbox/config                         webhook url/secret, limits, time scale, ...
    POST /_sandbox/tickets                        a customer opens a ticket
    POST /_sandbox/tickets/<id>/comments          a customer or agent writes on a ticket
    POST /_sandbox/tickets/<id>/macros/<m>/apply  an agent applies a macro in the workspace
    PUT  /_sandbox/users/<id>                     a person edits a user's fields / tags

Writes through the controls deliver their webhook events synchronously and answer with the
webhook's statuses (`deliveries`), so tests are deterministic.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Flask, Response, request

from integration.sandbox.api import _json, sandbox
from integration.sandbox.clock import iso, parse_iso
from integration.sandbox.macros import as_update
from integration.sandbox.store import Invalid, NotFound, TicketChange

controls = Blueprint("sandbox_controls", __name__, url_prefix="/_sandbox")
CHANNELS = ("email", "web", "chat", "messaging")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _error(message: str, status: int = 400) -> Response:
    return _json({"error": message}, status)


@controls.post("/reset")
def reset() -> Response:
    sandbox().reset()
    return _json({"ok": True})


@controls.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    box = sandbox()
    data = _body()
    if "now" in data:
        box.clock.set(parse_iso(str(data["now"])))
    if "advance_seconds" in data:
        box.clock.advance(float(data["advance_seconds"]))
    return _json({"now": iso(box.clock.now()), "time_scale": box.clock.scale})


@controls.post("/config")
def configure() -> Response:
    box = sandbox()
    try:
        box.configure(_body())
    except (ValueError, TypeError) as exc:
        return _error(str(exc))
    return _json({"config": box.config.public()})


@controls.get("/state")
def state() -> Response:
    box = sandbox()
    box.deliverer.flush()  # let the API writes' events finish first
    store = box.store
    with store.lock:
        tickets = []
        for ticket in store.tickets.values():
            comments = [
                {
                    "id": c["id"],
                    "author_id": c["author_id"],
                    "body": c["body"],
                    "public": c["public"],
                    "created_at": c["created_at"],
                }
                for c in store.comments.get(ticket["id"], [])
            ]
            tickets.append({**copy.deepcopy(ticket), "comments": comments})
        users = [
            {
                "id": u["id"],
                "name": u["name"],
                "email": u["email"],
                "role": u["role"],
                "organization_id": u["organization_id"],
                "tags": list(u["tags"]),
                "user_fields": dict(u["user_fields"]),
                "group_ids": store.group_ids_of(u["id"]),
            }
            for u in store.users.values()
        ]
        data = {
            "now": iso(box.clock.now()),
            "config": box.config.public(),
            "api_user_id": (store.user_by_email(store.api_user_email) or {}).get("id"),
            "tickets": tickets,
            "users": users,
            "groups": [{"id": g["id"], "name": g["name"]} for g in store.groups.values()],
            "macros": [copy.deepcopy(m) for m in store.macros.values()],
            "organizations": [copy.deepcopy(o) for o in store.organizations.values()],
            "user_fields": [{"id": f["id"], "key": f["key"]} for f in store.user_fields],
        }
    with box._log_lock:
        data["calls"] = [dict(c) for c in box.calls]
    data["deliveries"] = [dict(d) for d in box.deliverer.log]
    return _json(data)


@controls.post("/tickets")
def open_ticket() -> Response:
    """A customer opens a ticket: {requester_id | requester: {name, email}, subject, body,
    channel: email|web|chat|messaging}. Delivers `ticket.created` and the first message."""
    box = sandbox()
    data = _body()
    channel = data.get("channel", "email")
    if channel not in CHANNELS:
        return _error(f"channel must be one of {', '.join(CHANNELS)}")
    if not data.get("body"):
        return _error("body is required")
    store = box.store
    with store.lock:
        try:
            if data.get("requester_id"):
                requester = store.user(data["requester_id"])
            elif isinstance(data.get("requester"), dict) and data["requester"].get("email"):
                requester = store.end_user(
                    data["requester"].get("name"), data["requester"]["email"]
                )
            else:
                return _error("requester_id or requester.email is required")
        except NotFound:
            return _error("no such requester", 404)
        ticket, comment = store.create_ticket(
            requester, data.get("subject") or str(data["body"])[:60], str(data["body"]), channel
        )
        change = TicketChange(ticket["id"], requester["id"], comment=comment, created=True)
        rendered = copy.deepcopy(ticket)
    deliveries = box.ticket_events(change, sync=True)
    return _json({"ticket": rendered, "comment_id": comment["id"], "deliveries": deliveries}, 201)


@controls.post("/tickets/<int:ticket_id>/comments")
def add_comment(ticket_id: int) -> Response:
    """{author_id, body, public (default true)}: a customer's reply or an agent's comment."""
    box = sandbox()
    data = _body()
    if not data.get("body"):
        return _error("body is required")
    store = box.store
    with store.lock:
        try:
            ticket = store.ticket(ticket_id)
            author = store.user(data.get("author_id") or ticket["requester_id"])
        except NotFound:
            return _error("no such ticket or author", 404)
        channel = (ticket.get("via") or {}).get("channel", "web")
        public = bool(data.get("public", True))
        comment = store.new_comment(
            ticket, author["id"], str(data["body"]), public, channel=channel
        )
        store._touch(ticket)
        change = TicketChange(ticket_id, author["id"], comment=comment)
        rendered = copy.deepcopy(comment)
    deliveries = box.ticket_events(change, sync=True)
    return _json({"comment": rendered, "deliveries": deliveries}, 201)


@controls.post("/tickets/<int:ticket_id>/macros/<int:macro_id>/apply")
def apply_macro(ticket_id: int, macro_id: int) -> Response:
    """{agent_id}: the agent applies the macro in the agent workspace and submits; the ticket
    changes as the agent, `ticket.tags_changed` carries `detail.actor_id` = the agent."""
    box = sandbox()
    data = _body()
    store = box.store
    with store.lock:
        try:
            ticket = store.ticket(ticket_id)
            agent = store.user(int(data["agent_id"]))
        except (NotFound, KeyError, TypeError, ValueError):
            return _error("no such ticket or agent", 404)
        macro = store.macros.get(macro_id)
        if macro is None:
            return _error("no such macro", 404)
        if not store.is_agent(agent):
            return _error("only agents apply macros", 403)
        restriction = macro.get("restriction") or {}
        if restriction.get("type") == "Group":
            allowed = set(restriction.get("ids") or [restriction.get("id")])
            if not allowed & set(store.group_ids_of(agent["id"])):
                return _error("this macro is not available to the agent", 403)
        # The workspace's update counts against the Update Ticket limit (VENDOR_API §5 [V]).
        verdict = box.ticket_updates()
        if not verdict.allowed:
            return _json(
                {"error": "rate limited", "retry_after": box.seconds(verdict.reset_in)}, 429
            )
        update = as_update(macro, agent, store.user(ticket["requester_id"]))
        try:
            change, _ = store.change_ticket(ticket, update, agent["id"])
        except Invalid as exc:
            return _json({"error": "RecordInvalid", "details": exc.details}, 422)
        rendered = copy.deepcopy(ticket)
    deliveries = box.ticket_events(change, sync=True)
    return _json({"ticket": rendered, "deliveries": deliveries})


@controls.put("/users/<int:user_id>")
def edit_user(user_id: int) -> Response:
    """{user_fields: {...}, tags: [...]}: a person edits the user in Zendesk."""
    box = sandbox()
    data = _body()
    store = box.store
    with store.lock:
        try:
            user = store.user(user_id)
        except NotFound:
            return _error("no such user", 404)
        change = store.change_user(user, data)
        rendered = copy.deepcopy(user)
    deliveries = box.user_events(change, sync=True)
    return _json({"user": rendered, "deliveries": deliveries})


def register(app: Flask) -> None:
    app.register_blueprint(controls)
