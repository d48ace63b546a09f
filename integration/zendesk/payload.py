"""One function turns a Zendesk delivery into an `Event`: `parse_delivery(body, received_at)`.

Two kinds of delivery reach `POST /webhooks/zendesk` (VENDOR_API.md §1.1):
- event-subscribed envelopes `{"type": "zen:event-type:…", "id", "time", "subject", "detail",
  "event"}` (§1.4), dispatched on `type` through `DISPATCH`;
- the body of the recommended trigger (docs/zendesk-webhooks.md), which carries
  `"type": TRIGGER_TYPE` so it goes through the same table.

A type in `IGNORED` is known and deliberately not acted on; any other type not in `DISPATCH` is
`unknown` (the web tier answers 204 and logs a warning). A handler may also decline a delivery
the payload itself shows to be staff or system (a comment whose author `is_staff`, a messaging
message whose actor is not the end user, a user event about an agent): that is `ignored` too.
`PayloadError` means the body is not the shape Zendesk documents (the web tier answers 400).

Where the vendor's shape is only secondary-sourced ([S]/[U] in tests/fixtures/zendesk/SOURCES.md)
the reading lives in one small function below, named in its docstring, so it is corrected in one
place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from integration.events import ActorRole, Channel, Event
from integration.text import plain_text

EVENT_PREFIX = "zen:event-type:"
# The recommended trigger's body names itself with this type (docs/zendesk-webhooks.md).
TRIGGER_TYPE = "conduct-guard:trigger.comment_added"
# Zendesk's reply delimiter in e-mail notifications: the customer writes above it [S].
REPLY_MARKERS = ("##- Please type your reply above this line -##",)
# Actor ids Zendesk uses for changes made by the system (triggers, automations) [S].
SYSTEM_ACTOR_IDS = frozenset({"-1", "0"})

Outcome = Literal["event", "ignored", "unknown"]


class PayloadError(ValueError):
    """The body is not a delivery of the documented shape; the message names the field."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery is: an `Event` to assess, or known-but-ignored, or unknown."""

    event_type: str
    outcome: Outcome
    delivery_id: str | None = None  # dedupe key: the envelope id; trigger: ticket and comment ids
    event: Event | None = None
    reason: str | None = None  # why it is ignored: "ignore-list", "staff-author", …


class _Ignore(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- reading fields --------------------------------------------------------------------------
# `dict` first: parsed JSON is always a dict, and `isinstance(x, Mapping)` alone goes through
# the ABC machinery (~0.3 µs a call, about a dozen calls per delivery in the web tier).
_MAPPING = (dict, Mapping)


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, _MAPPING):
        raise PayloadError(f"{key} must be an object")
    return value


def _id(value: Any) -> str | None:
    """Zendesk ids arrive as strings in envelopes and as numbers elsewhere; "" and 0 are none."""
    if type(value) is str:  # the common case, decided without the ABC checks below
        text = value.strip()
    elif value is None or isinstance(value, bool | list | dict | Mapping):
        return None
    else:
        text = str(value).strip()
    return text if text and text != "0" else None


def _required_id(data: Mapping[str, Any], key: str) -> str:
    value = _id(data.get(key))
    if value is None:
        raise PayloadError(f"{key} is missing")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Any, fallback: datetime | None = None) -> datetime:
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if fallback is None:
        raise PayloadError("time is missing or not ISO-8601")
    return fallback


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(tag) for tag in value if isinstance(tag, str | int) and str(tag))


def _clean(body: str) -> str:
    return plain_text(body, reply_markers=REPLY_MARKERS)


# Zendesk `via.channel` values → our channels. Only "web", "web_service" and "email" were seen
# in the vendor's examples [V]; the rest are the documented names of other channels [U].
_CHANNELS: dict[str, Channel] = {
    "email": "email",
    "mail": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "web",
    "help_center": "web",
    "api": "api",
    "web_service": "api",
    "chat": "chat",
    "chat_transcript": "chat",
    "native_messaging": "messaging",
    "messaging": "messaging",
    "sunshine_conversations_api": "messaging",
    "whatsapp": "messaging",
    "sms": "messaging",
    "voice": "phone",
    "phone": "phone",
}


def _channel(raw: Any) -> Channel:
    key = _text(raw).strip().lower().replace(" ", "_")
    if key in _CHANNELS:
        return _CHANNELS[key]
    for fragment, channel in (("mail", "email"), ("messag", "messaging"), ("chat", "chat")):
        if fragment in key:
            return channel  # type: ignore[return-value]
    return "web" if "web" in key else "other"


# -- envelope handlers -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Envelope:
    event_id: str
    occurred_at: datetime
    detail: Mapping[str, Any]
    event: Mapping[str, Any]
    subject: str


def _envelope(body: Mapping[str, Any]) -> _Envelope:
    event_id = _id(body.get("id"))
    if event_id is None:
        raise PayloadError("id is missing")
    event = body.get("event")
    if event is None:
        event = {}
    if not isinstance(event, _MAPPING):
        raise PayloadError("event must be an object")
    return _Envelope(
        event_id=event_id,
        occurred_at=_time(body.get("time")),
        detail=_obj(body, "detail"),
        event=event,
        subject=_text(body.get("subject")),
    )


def _ticket_id(env: _Envelope) -> str:
    """Ticket events: `detail.id`, else the id in `subject` (`zen:ticket:<id>`)."""
    found = _id(env.detail.get("id"))
    if found is None and env.subject.startswith("zen:ticket:"):
        found = _id(env.subject.removeprefix("zen:ticket:"))
    if found is None:
        raise PayloadError("detail.id (the ticket id) is missing")
    return found


def _ticket_actor_role(actor_id: str | None) -> ActorRole:
    return "system" if actor_id is None or actor_id in SYSTEM_ACTOR_IDS else "agent"


def _comment_added(env: _Envelope) -> Event:
    """`ticket.comment_added`: `event.comment = {id, body, is_public, author: {id, is_staff,
    name}}` [S: dust-tt/dust schema]; `detail` is the ticket [V]."""
    comment = _obj(env.event, "comment")
    author = comment.get("author")
    author = author if isinstance(author, _MAPPING) else {}
    if author.get("is_staff") is True:
        raise _Ignore("staff-author")
    author_id = _id(author.get("id"))
    via = env.detail.get("via")
    return Event(
        vendor="zendesk",
        event_id=env.event_id,
        kind="message",
        occurred_at=env.occurred_at,
        ticket_id=_ticket_id(env),
        customer_id=author_id or _id(env.detail.get("requester_id")),
        organization_id=_id(env.detail.get("organization_id")),
        channel=_channel(via.get("channel") if isinstance(via, _MAPPING) else None),
        actor_id=author_id,
        actor_role="customer",
        message_id=_required_id(comment, "id"),
        subject=_text(env.detail.get("subject")) or None,
        text=_clean(_text(comment.get("body"))),
    )


def _ticket_created(env: _Envelope) -> Event:
    """`ticket.created`: `event` is empty, the first message is `detail.description` [S]. The
    actor is the customer when they are the requester; otherwise an agent opened it for them."""
    requester = _id(env.detail.get("requester_id"))
    actor = _id(env.detail.get("actor_id")) or _id(env.detail.get("submitter_id"))
    via = env.detail.get("via")
    return Event(
        vendor="zendesk",
        event_id=env.event_id,
        kind="ticket_created",
        occurred_at=env.occurred_at,
        ticket_id=_ticket_id(env),
        customer_id=requester,
        organization_id=_id(env.detail.get("organization_id")),
        channel=_channel(via.get("channel") if isinstance(via, _MAPPING) else None),
        actor_id=actor,
        actor_role="customer" if actor is not None and actor == requester else "agent",
        subject=_text(env.detail.get("subject")) or None,
        text=_clean(_text(env.detail.get("description"))),
        tags_added=_tags(env.detail.get("tags")),
    )


def _tag_changes(event: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`event = {"added": {"tags": […]}, "removed": {"tags": […]}}` for ticket and user tag
    changes [S: bb-io/Zendesk Webhooks/Payload/TagsChangedEvent.cs]. Correct it here."""
    added = event.get("added")
    removed = event.get("removed")
    return (
        _tags(added.get("tags")) if isinstance(added, _MAPPING) else (),
        _tags(removed.get("tags")) if isinstance(removed, _MAPPING) else (),
    )


def _ticket_tags_changed(env: _Envelope) -> Event:
    """`ticket.tags_changed`: macros and managers' decisions arrive this way; the worker tells
    the plugin's own changes apart by `actor_id` [V detail.actor_id]."""
    added, removed = _tag_changes(env.event)
    actor = _id(env.detail.get("actor_id"))
    return Event(
        vendor="zendesk",
        event_id=env.event_id,
        kind="tags_changed",
        occurred_at=env.occurred_at,
        ticket_id=_ticket_id(env),
        customer_id=_id(env.detail.get("requester_id")),
        organization_id=_id(env.detail.get("organization_id")),
        actor_id=actor,
        actor_role=_ticket_actor_role(actor),
        tags_added=added,
        tags_removed=removed,
    )


def _messaging_message(env: _Envelope) -> Event:
    """`messaging_ticket.message_added`: `event = {actor: {id, name, type}, conversation_id,
    message: {id, body}}`, actor type `end_user|agent|trigger|system` [V VENDOR_API §1.4].
    That `actor.id` of an end user is their Zendesk user id is [U]."""
    actor = _obj(env.event, "actor")
    if actor.get("type") != "end_user":
        raise _Ignore(f"actor-{_text(actor.get('type')) or 'unknown'}")
    message = _obj(env.event, "message")
    actor_id = _id(actor.get("id"))
    return Event(
        vendor="zendesk",
        event_id=env.event_id,
        kind="message",
        occurred_at=env.occurred_at,
        ticket_id=_ticket_id(env),
        customer_id=actor_id,
        channel="messaging",
        actor_id=actor_id,
        actor_role="customer",
        message_id=_required_id(message, "id"),
        text=plain_text(_text(message.get("body")), html=False),
    )


def _user_id(env: _Envelope) -> str:
    """User events: `detail.id`, else `subject` `zen:user:<id>` [V]. Agents' changes are not
    the customer mirror, so a user event about staff is ignored."""
    role = _text(env.detail.get("role"))
    if role and role != "end-user":
        raise _Ignore("staff-user")
    found = _id(env.detail.get("id"))
    if found is None and env.subject.startswith("zen:user:"):
        found = _id(env.subject.removeprefix("zen:user:"))
    if found is None:
        raise PayloadError("detail.id (the user id) is missing")
    return found


def _user_event(env: _Envelope, **values: Any) -> Event:
    """User events carry no actor [V]: a person edited the customer, or the plugin's own mirror
    write came back; the worker tells them apart by the values it last wrote."""
    base: dict[str, Any] = {
        "vendor": "zendesk",
        "event_id": env.event_id,
        "kind": "customer_changed",
        "occurred_at": env.occurred_at,
        "customer_id": _user_id(env),
        "organization_id": _id(env.detail.get("organization_id")),
        "actor_role": "agent",
    }
    return Event(**{**base, **values})


def _user_custom_field_changed(env: _Envelope) -> Event:
    """`user.custom_field_changed`: `event = {current, previous, custom_field: {id, title,
    type}}` [S: bb-io/Zendesk CustomFieldChangedEvent.cs; the EventBridge form has the same
    `custom_field` object, V]. The field's key is not in the payload: the worker maps the id."""
    field = _obj(env.event, "custom_field")
    return _user_event(
        env,
        fields={
            "custom_field": {
                "id": _required_id(field, "id"),
                "title": _text(field.get("title")),
                "type": _text(field.get("type")),
            },
            "previous": _field_value(env.event, "previous"),
            "current": _field_value(env.event, "current"),
        },
    )


_SCALARS = (str, int, float, bool, type(None))


def _field_value(event: Mapping[str, Any], key: str) -> Any:
    """A user field's value: a scalar, or a list of scalars for a multi-select [S: Zendesk's
    user field types]. Anything nested is refused here, where it is a 400, rather than when
    the job is written."""
    value = event.get(key)
    if isinstance(value, _SCALARS) or (
        type(value) is list and all(isinstance(item, _SCALARS) for item in value)
    ):
        return value
    raise PayloadError(f"{key} must be a value or a list of values")


def _user_tags_changed(env: _Envelope) -> Event:
    added, removed = _tag_changes(env.event)
    return _user_event(env, tags_added=added, tags_removed=removed)


def _user_deleted(env: _Envelope) -> Event:
    """`user.deleted` [S: public subscription lists; the official table's row is not confirmed]."""
    return _user_event(env, kind="customer_deleted")


def _user_active_changed(env: _Envelope) -> Event:
    """`user.active_changed` with `current: false` is a soft deletion [V official example and
    EventBridge page]; becoming active again is ignored."""
    if env.event.get("current") is not False:
        raise _Ignore("user-activated")
    return _user_event(env, kind="customer_deleted")


def _user_merged(env: _Envelope) -> Event:
    """`user.merged`: `event = {user: {id}}` [S: bb-io/Zendesk UserEvent.cs]. Which of the two
    users survives is [U]: the worker must check which one still exists before moving a record."""
    other = _obj(env.event, "user")
    return _user_event(
        env, kind="customer_merged", fields={"merged_user_id": _required_id(other, "id")}
    )


# -- the recommended trigger's body ----------------------------------------------------------
def _trigger_comment(body: Mapping[str, Any], received_at: datetime) -> tuple[str, Event]:
    """The trigger body in docs/zendesk-webhooks.md: ids always, the comment text when Zendesk
    renders it. The trigger's conditions restrict it to public comments by end users."""
    ticket_id = _required_id(body, "ticket_id")
    comment_id = _required_id(body, "comment_id")
    author_id = _id(body.get("author_id"))
    delivery_id = f"trigger:{ticket_id}:{comment_id}"
    event = Event(
        vendor="zendesk",
        event_id=delivery_id,
        kind="message",
        occurred_at=_time(body.get("updated_at"), fallback=received_at),
        ticket_id=ticket_id,
        customer_id=author_id or _id(body.get("requester_id")),
        organization_id=_id(body.get("organization_id")),
        channel=_channel(body.get("channel")),
        actor_id=author_id,
        actor_role="customer",
        message_id=comment_id,
        subject=_text(body.get("subject")) or None,
        text=_clean(_text(body.get("body"))),
    )
    return delivery_id, event


# -- the table -------------------------------------------------------------------------------
DISPATCH: dict[str, Callable[[_Envelope], Event]] = {
    f"{EVENT_PREFIX}ticket.comment_added": _comment_added,
    f"{EVENT_PREFIX}ticket.created": _ticket_created,
    f"{EVENT_PREFIX}ticket.tags_changed": _ticket_tags_changed,
    f"{EVENT_PREFIX}messaging_ticket.message_added": _messaging_message,
    f"{EVENT_PREFIX}user.custom_field_changed": _user_custom_field_changed,
    f"{EVENT_PREFIX}user.tags_changed": _user_tags_changed,
    f"{EVENT_PREFIX}user.deleted": _user_deleted,
    f"{EVENT_PREFIX}user.active_changed": _user_active_changed,
    f"{EVENT_PREFIX}user.merged": _user_merged,
}
# Every type we map, the trigger body included (a fixture must exist for each).
MAPPED_TYPES: tuple[str, ...] = (*DISPATCH, TRIGGER_TYPE)

# Known types a webhook may be subscribed to (or that share a webhook with ours) that carry
# nothing for the conduct policy: answered 200, never queued.
IGNORED: frozenset[str] = frozenset(
    f"{EVENT_PREFIX}{name}"
    for name in (
        "ticket.agent_assignment_changed",
        "ticket.attachment_linked_to_comment",
        "ticket.attachment_redacted_from_comment",
        "ticket.brand_changed",
        "ticket.comment_made_private",
        "ticket.comment_redacted",
        "ticket.custom_field_changed",
        "ticket.custom_status_changed",
        "ticket.description_changed",
        "ticket.email_ccs_changed",
        "ticket.external_id_changed",
        "ticket.followers_changed",
        "ticket.form_changed",
        "ticket.group_assignment_changed",
        "ticket.organization_changed",
        "ticket.priority_changed",
        "ticket.problem_link_changed",
        "ticket.requester_changed",
        "ticket.status_changed",
        "ticket.subject_changed",
        "ticket.submitter_changed",
        "ticket.task_due_at_changed",
        "ticket.type_changed",
        "user.alias_changed",
        "user.created",
        "user.custom_role_changed",
        "user.default_group_changed",
        "user.details_changed",
        "user.external_id_changed",
        "user.group_membership_created",
        "user.group_membership_deleted",
        "user.identity_changed",
        "user.identity_created",
        "user.identity_deleted",
        "user.last_login_changed",
        "user.name_changed",
        "user.notes_changed",
        "user.only_private_comments_changed",
        "user.organization_membership_created",
        "user.organization_membership_deleted",
        "user.password_changed",
        "user.photo_changed",
        "user.role_changed",
        "user.time_zone_changed",
    )
)


def parse_delivery(body: Any, *, received_at: datetime) -> Delivery:
    """The one function from a parsed JSON body to what the web tier does with it.

    Raises `PayloadError` when the body is not an object with a string `type`, or when a mapped
    type lacks a field it needs.
    """
    if not isinstance(body, _MAPPING):
        raise PayloadError("the body must be a JSON object")
    event_type = body.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError("type is missing")
    if event_type in IGNORED:
        return Delivery(
            event_type, "ignored", delivery_id=_id(body.get("id")), reason="ignore-list"
        )
    if event_type == TRIGGER_TYPE:
        delivery_id, event = _trigger_comment(body, received_at)
        return Delivery(event_type, "event", delivery_id=delivery_id, event=event)
    handler = DISPATCH.get(event_type)
    if handler is None:
        return Delivery(event_type, "unknown", delivery_id=_id(body.get("id")))
    envelope = _envelope(body)
    try:
        event = handler(envelope)
    except _Ignore as ignored:
        return Delivery(event_type, "ignored", delivery_id=envelope.event_id, reason=ignored.reason)
    return Delivery(event_type, "event", delivery_id=envelope.event_id, event=event)
