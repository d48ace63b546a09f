"""Actions → the fewest Zendesk writes (pure: no I/O, so every batch kind is easy to test).

Per ticket, one `PUT /api/v2/tickets/{id}` carries `additional_tags` / `remove_tags` (never the
whole `tags` list, which replaces, VENDOR_API §2), at most one comment, and assignee, group,
status and priority; every further comment in the batch is one more update, because a ticket
update holds a single `comment` object. An update that changes assignee, group or status is
*guarded*: it is sent with `safe_update` + `updated_stamp` from a fresh read (the client does
that). Customer updates are merged per customer; new tickets are one `POST` each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integration.actions import (
    Action,
    AddTags,
    ApplyMacro,
    Assign,
    Comment,
    CreateTicket,
    RemoveTags,
    SetPriority,
    SetStatus,
    UpdateCustomer,
)
from integration.zendesk.macros import MacroChanges

GUARDED_FIELDS = frozenset({"assignee_id", "group_id", "status"})

# [U] `additional_tags` / `remove_tags` in a single-ticket PUT: widely used in public code, but
# Zendesk's text documents them for Update Many Tickets (VENDOR_API §2, §12). Should a single
# PUT ever ignore them, the fallback is `PUT /api/v2/tickets/{id}/tags` (add [V]) and
# `DELETE` (remove [V]), at the cost of extra writes. The names live here only.
ADD_TAGS_KEY = "additional_tags"
REMOVE_TAGS_KEY = "remove_tags"


def vendor_id(value: str | int) -> int | str:
    """Zendesk ids are integers; the project carries them as strings."""
    text = str(value)
    return int(text) if text.isdigit() else text


@dataclass
class TicketUpdate:
    ticket_id: str
    body: dict[str, Any]  # the object sent as {"ticket": body}
    actions: list[Action]  # what this update carries out (what is left if it fails)

    @property
    def guarded(self) -> bool:
        return bool(GUARDED_FIELDS & self.body.keys())


@dataclass
class CustomerUpdate:
    customer_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@dataclass
class Plan:
    tickets: list[TicketUpdate] = field(default_factory=list)
    customers: list[CustomerUpdate] = field(default_factory=list)
    creates: list[CreateTicket] = field(default_factory=list)


def _move(tags: Sequence[str], into: list[str], out_of: list[str]) -> None:
    for tag in tags:
        if tag in out_of:
            out_of.remove(tag)
        if tag not in into:
            into.append(tag)


def _comment(body: str | None, html_body: str | None, public: bool) -> dict[str, Any]:
    comment: dict[str, Any] = {"public": public}
    if html_body and not body:
        comment["html_body"] = html_body
    else:
        comment["body"] = body or ""
    return comment


def plan_ticket(
    ticket_id: str,
    actions: Sequence[Action],
    macros: Mapping[str, MacroChanges],
    me: str | None = None,
) -> list[TicketUpdate]:
    """The updates for one ticket, in order; `macros` holds each ApplyMacro's changes."""
    fields: dict[str, Any] = {}
    custom: dict[Any, Any] = {}
    add: list[str] = []
    remove: list[str] = []
    # (comment body, the action to retry if its update fails, carried by a macro?)
    comments: list[tuple[dict[str, Any], Action, bool]] = []
    carried: list[Action] = []  # the actions the first update carries, comments aside
    for action in actions:
        if isinstance(action, AddTags):
            _move(action.tags, add, remove)
        elif isinstance(action, RemoveTags):
            _move(action.tags, remove, add)
        elif isinstance(action, Comment):
            comments.append((_comment(action.body, None, action.public), action, False))
            continue
        elif isinstance(action, Assign):
            if action.group_id:
                fields["group_id"] = vendor_id(action.group_id)
            if action.agent_id:
                fields["assignee_id"] = vendor_id(action.agent_id)
        elif isinstance(action, SetStatus):
            fields["status"] = action.status
        elif isinstance(action, SetPriority):
            fields["priority"] = action.priority
        elif isinstance(action, ApplyMacro):
            changes = macros[action.macro_id]
            for key, value in changes.fields.items():
                if key == "assignee_id" and value == "current_user":
                    if me is None:
                        continue
                    value = me  # the macro assigns to whoever applies it: the plugin's user
                fields[key] = vendor_id(value) if key.endswith("_id") else value
            for item in changes.custom_fields:
                custom[item["id"]] = item["value"]
            _move(changes.tags_add, add, remove)
            _move(changes.tags_remove, remove, add)
            if changes.comment is not None:
                c = changes.comment
                spilled = Comment(ticket_id, c.body or c.html_body or "", c.public)
                comments.append((_comment(c.body, c.html_body, c.public), spilled, True))
        else:
            raise TypeError(f"{type(action).__name__} is not a ticket action")
        carried.append(action)

    first: dict[str, Any] = dict(fields)
    if custom:
        first["custom_fields"] = [{"id": k, "value": v} for k, v in custom.items()]
    if add:
        first[ADD_TAGS_KEY] = add
    if remove:
        first[REMOVE_TAGS_KEY] = remove
    updates: list[TicketUpdate] = []
    rest = comments
    if comments:
        body, source, from_macro = comments[0]
        first["comment"] = body
        if not from_macro:  # a macro's comment is carried by the ApplyMacro action itself
            carried.append(source)
        rest = comments[1:]
    if first:
        updates.append(TicketUpdate(ticket_id, first, carried))
    # A later comment spilled from a macro is retried as a plain Comment (its macro is done).
    for body, source, _ in rest:
        updates.append(TicketUpdate(ticket_id, {"comment": body}, [source]))
    return updates


def plan(
    actions: Sequence[Action], macros: Mapping[str, MacroChanges], me: str | None = None
) -> Plan:
    """Group a batch by target, keeping each target's actions in order."""
    by_ticket: dict[str, list[Action]] = {}
    customers: dict[str, CustomerUpdate] = {}
    result = Plan()
    for action in actions:
        if isinstance(action, UpdateCustomer):
            update = customers.setdefault(action.customer_id, CustomerUpdate(action.customer_id))
            update.fields.update(action.fields)
            _move(action.tags_add, update.tags_add, update.tags_remove)
            _move(action.tags_remove, update.tags_remove, update.tags_add)
            update.actions.append(action)
        elif isinstance(action, CreateTicket):
            result.creates.append(action)
        else:
            by_ticket.setdefault(action.ticket_id, []).append(action)
    for ticket_id, ticket_actions in by_ticket.items():
        result.tickets.extend(plan_ticket(ticket_id, ticket_actions, macros, me))
    result.customers = list(customers.values())
    return result
