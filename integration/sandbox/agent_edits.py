"""A sandbox control for what any agent can do in the agent workspace besides macros: edit a
ticket's tags (and custom fields) by hand and submit. Under `/_sandbox/` like the others.

    POST /_sandbox/tickets/<id>/edit   {agent_id, add_tags: [...], remove_tags: [...],
                                        custom_fields: [{id, value}]}

In Zendesk any agent may type any tag into a ticket's tags field, whatever macros are restricted
to (tags page, VENDOR_API §2 [V]); this is how a decision tag can reach the plugin from someone
who is not a manager, which the plugin must refuse (issue 6). The update is made as the agent and
its `ticket.tags_changed` event (`detail.actor_id` = the agent) is delivered synchronously; the
answer carries the webhook statuses (`deliveries`), as the other controls do.
"""

from __future__ import annotations

import copy

from flask import Blueprint, Flask, Response

from integration.sandbox.api import _json, sandbox
from integration.sandbox.controls import _body, _error
from integration.sandbox.store import Invalid, NotFound

edits = Blueprint("sandbox_agent_edits", __name__, url_prefix="/_sandbox")


@edits.post("/tickets/<int:ticket_id>/edit")
def edit_ticket(ticket_id: int) -> Response:
    box = sandbox()
    data = _body()
    store = box.store
    with store.lock:
        try:
            ticket = store.ticket(ticket_id)
            agent = store.user(int(data["agent_id"]))
        except (NotFound, KeyError, TypeError, ValueError):
            return _error("no such ticket or agent", 404)
        if not store.is_agent(agent):
            return _error("only agents edit tickets in the workspace", 403)
        update = {
            "additional_tags": [str(t) for t in data.get("add_tags") or []],
            "remove_tags": [str(t) for t in data.get("remove_tags") or []],
        }
        if data.get("custom_fields"):
            update["custom_fields"] = list(data["custom_fields"])
        try:
            change, _ = store.change_ticket(ticket, update, agent["id"])
        except Invalid as exc:
            return _json({"error": "RecordInvalid", "details": exc.details}, 422)
        rendered = copy.deepcopy(ticket)
    deliveries = box.ticket_events(change, sync=True)
    return _json({"ticket": rendered, "deliveries": deliveries})


def register(app: Flask) -> None:
    app.register_blueprint(edits)
