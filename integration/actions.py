"""The `Action` types: what the policy asks the helpdesk to do, in vendor-neutral words.

Adapters batch them per ticket into the fewest vendor calls (DESIGN.md). Every action is a
frozen dataclass of JSON primitives so a batch travels through RQ's JSON serializer as
`[action_to_dict(a) ...]` and comes back with `action_from_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

TicketStatus = Literal["open", "pending", "hold", "solved"]
TicketPriority = Literal["low", "normal", "high", "urgent"]


@dataclass(frozen=True, slots=True)
class AddTags:
    ticket_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveTags:
    ticket_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comment:
    """A public reply (`public=True`, the customer reads it) or an internal note."""

    ticket_id: str
    body: str
    public: bool = False


@dataclass(frozen=True, slots=True)
class Assign:
    """Route a ticket: group and/or agent, as vendor ids (the worker resolves names)."""

    ticket_id: str
    group_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetStatus:
    ticket_id: str
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class SetPriority:
    ticket_id: str
    priority: TicketPriority


@dataclass(frozen=True, slots=True)
class ApplyMacro:
    """Apply a helpdesk macro's changes to a ticket, merged into the same single update."""

    ticket_id: str
    macro_id: str


@dataclass(frozen=True, slots=True)
class UpdateCustomer:
    """Write the customer's conduct mirror: user fields by key, user tags added/removed."""

    customer_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateTicket:
    """An outbound message as a new ticket (e.g. a notice, or to an organisation's manager)."""

    requester_id: str | None
    subject: str
    body: str
    requester_email: str | None = None
    tags: tuple[str, ...] = ()


Action = (
    AddTags
    | RemoveTags
    | Comment
    | Assign
    | SetStatus
    | SetPriority
    | ApplyMacro
    | UpdateCustomer
    | CreateTicket
)

ACTION_TYPES: dict[str, type[Action]] = {
    cls.__name__: cls
    for cls in (
        AddTags,
        RemoveTags,
        Comment,
        Assign,
        SetStatus,
        SetPriority,
        ApplyMacro,
        UpdateCustomer,
        CreateTicket,
    )
}

_TUPLE_FIELDS = {"tags", "tags_add", "tags_remove"}


def action_to_dict(action: Action) -> dict[str, Any]:
    data = asdict(action)
    for name in _TUPLE_FIELDS & data.keys():
        data[name] = list(data[name])
    data["type"] = type(action).__name__
    return data


def action_from_dict(data: dict[str, Any]) -> Action:
    values = dict(data)
    kind = values.pop("type")
    try:
        cls = ACTION_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown action type {kind!r}") from None
    known = {f.name for f in fields(cls)}
    unexpected = values.keys() - known
    if unexpected:
        raise ValueError(f"{kind}: unexpected fields {sorted(unexpected)}")
    for name in _TUPLE_FIELDS & values.keys():
        values[name] = tuple(values[name])
    return cls(**values)


def ticket_of(action: Action) -> str | None:
    """The ticket an action writes to (None for customer updates and new tickets)."""
    return getattr(action, "ticket_id", None)
