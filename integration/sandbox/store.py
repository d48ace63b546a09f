"""The sandbox helpdesk's state: tickets, comments, users, groups, macros, organizations.

Objects are kept in the shapes of the recorded Zendesk responses (shared/vendor-recordings/zendesk:
`TestTicketCreateUpdateDelete.*` for tickets and audits, `TestUserCreateUpdateDelete.*` for users,
`TestGroupCreateUpdateDelete.*` / `TestGroupMemberships.*`, `TestMacrosCreateUpdateDelete.*`,
`TestOrganizationCreateUpdateDelete.*`, `UserFieldsCreateUpdateDelete.*`); only `url` is added
when rendered, from the host that asked. One lock guards everything: the sandbox is small.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integration.sandbox.clock import SandboxClock, iso, parse_iso
from integration.sandbox.webhooks import VIA_CHANNEL

SEED = Path(__file__).with_name("seed.json")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("problem", "incident", "question", "task")


class Invalid(Exception):
    """422 RecordInvalid, with Zendesk's `details` (field → [{description}])."""

    def __init__(self, field_name: str, description: str) -> None:
        super().__init__(description)
        self.details = {field_name: [{"description": description, "error": "InvalidValue"}]}


class NotFound(Exception):
    pass


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()


def _check_shapes(changes: dict[str, Any]) -> None:
    """[U] Zendesk's answer to an id that is not a number, or a malformed `custom_fields` or
    comment, is not recorded; the sandbox answers 422 RecordInvalid rather than fail."""
    for key, name in (("group_id", "group"), ("assignee_id", "assignee")):
        value = changes.get(key)
        if value and not _is_id(value):
            raise Invalid(name, f"{name.capitalize()}: is invalid")
    fields = changes.get("custom_fields")
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(f, dict) and "id" in f for f in fields)
    ):
        raise Invalid("custom_fields", "Custom fields: is invalid")
    comment = changes.get("comment")
    if isinstance(comment, dict) and comment.get("author_id") and not _is_id(comment["author_id"]):
        raise Invalid("author", "Author: is invalid")


@dataclass
class TicketChange:
    """What one write did, for the webhook events it causes."""

    ticket_id: int
    actor_id: int
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    comment: dict[str, Any] | None = None
    created: bool = False


@dataclass
class UserChange:
    user_id: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (previous, current)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)


def _normalise_tag(tag: str) -> str:
    # Zendesk stores tags lower-case with spaces as underscores (tags page, VENDOR_API §2).
    return str(tag).strip().lower().replace(" ", "_")


class Store:
    def __init__(self, clock: SandboxClock, seed_path: Path = SEED) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.seed_path = seed_path
        self.load()

    # -- seed --------------------------------------------------------------------------------
    def load(self) -> None:
        seed = json.loads(self.seed_path.read_text())
        with self.lock:
            created = iso(self.clock.now())
            self.account_id: int = seed["account_id"]
            self.brand_id: int = seed["brand_id"]
            self.form_id: int = seed["ticket_form_id"]
            self.custom_status: int = seed["custom_status_open"]
            self.api_user_email: str = seed["api_user_email"]
            self._ids = itertools.count(361000000001)
            self._ticket_ids = itertools.count(seed["first_ticket_id"])
            self.groups: dict[int, dict[str, Any]] = {}
            for g in seed["groups"]:
                self.groups[g["id"]] = {
                    "id": g["id"],
                    "is_public": True,
                    "name": g["name"],
                    "description": g.get("description", ""),
                    "default": g.get("default", False),
                    "deleted": False,
                    "created_at": created,
                    "updated_at": created,
                }
            by_group_name = {g["name"]: gid for gid, g in self.groups.items()}
            self.organizations: dict[int, dict[str, Any]] = {}
            for o in seed["organizations"]:
                self.organizations[o["id"]] = {
                    "id": o["id"],
                    "name": o["name"],
                    "shared_tickets": False,
                    "shared_comments": False,
                    "external_id": None,
                    "created_at": created,
                    "updated_at": created,
                    "domain_names": [],
                    "details": None,
                    "notes": None,
                    "group_id": None,
                    "tags": list(o.get("tags", [])),
                    "organization_fields": dict(o.get("organization_fields", {})),
                }
            by_org_name = {o["name"]: oid for oid, o in self.organizations.items()}
            self.user_fields = [
                self._field(f, i, created) for i, f in enumerate(seed["user_fields"])
            ]
            self.organization_fields = [
                self._field(f, i, created) for i, f in enumerate(seed["organization_fields"])
            ]
            self.users: dict[int, dict[str, Any]] = {}
            self.memberships: list[dict[str, Any]] = []
            for u in seed["users"]:
                groups = [by_group_name[n] for n in u.get("groups", [])]
                user = self._new_user(
                    u["name"], u.get("email"), u.get("role", "end-user"), created, uid=u["id"]
                )
                user["organization_id"] = by_org_name.get(u.get("organization", ""))
                user["default_group_id"] = groups[0] if groups else None
                self.users[user["id"]] = user
                for position, gid in enumerate(groups):
                    self.memberships.append(
                        {
                            "id": next(self._ids),
                            "user_id": user["id"],
                            "group_id": gid,
                            "default": position == 0,
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
            self.macros: dict[int, dict[str, Any]] = {}
            for position, m in enumerate(seed["macros"]):
                self.macros[m["id"]] = {
                    "id": m["id"],
                    "title": m["title"],
                    "active": True,
                    "updated_at": created,
                    "created_at": created,
                    "default": False,
                    "position": 10000 + position,
                    "description": m.get("description"),
                    "actions": copy.deepcopy(m["actions"]),
                    "restriction": copy.deepcopy(m.get("restriction")),
                    "raw_title": m["title"],
                }
            self.tickets: dict[int, dict[str, Any]] = {}
            self.comments: dict[int, list[dict[str, Any]]] = {}
            self.conversations: dict[int, str] = {}  # ticket id -> messaging conversation id
            self.idempotency: dict[str, tuple[float, int]] = {}

    def _field(self, f: dict[str, Any], position: int, created: str) -> dict[str, Any]:
        return {
            "id": f["id"],
            "type": f.get("type", "text"),
            "key": f["key"],
            "title": f["title"],
            "description": f.get("description", ""),
            "raw_title": f["title"],
            "raw_description": f.get("description", ""),
            "position": position,
            "active": True,
            "system": False,
            "regexp_for_validation": None,
            "created_at": created,
            "updated_at": created,
        }

    def _new_user(
        self, name: str, email: str | None, role: str, created: str, uid: int | None = None
    ) -> dict[str, Any]:
        """A user in the recorded shape (`TestUserCreateUpdateDelete` create response)."""
        return {
            "id": uid if uid is not None else next(self._ids),
            "name": name,
            "email": email,
            "created_at": created,
            "updated_at": created,
            "time_zone": "Europe/London",
            "iana_time_zone": "Europe/London",
            "phone": None,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": "en-US",
            "organization_id": None,
            "role": role,
            "verified": role != "end-user",
            "external_id": None,
            "tags": [],
            "alias": None,
            "active": True,
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": False,
            "signature": None,
            "details": None,
            "notes": None,
            "role_type": None,
            "custom_role_id": None,
            "moderator": role == "admin",
            "ticket_restriction": "requested" if role == "end-user" else None,
            "only_private_comments": False,
            "restricted_agent": role == "end-user",
            "suspended": False,
            "default_group_id": None,
            "report_csv": role == "admin",
            # Every defined user field is present, null when unset.
            "user_fields": {f["key"]: None for f in self.user_fields},
        }

    # -- lookups -----------------------------------------------------------------------------
    def user(self, uid: int) -> dict[str, Any]:
        try:
            return self.users[int(uid)]
        except (KeyError, ValueError):
            raise NotFound from None

    def ticket(self, tid: int) -> dict[str, Any]:
        try:
            return self.tickets[int(tid)]
        except (KeyError, ValueError):
            raise NotFound from None

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.casefold()
        return next(
            (u for u in self.users.values() if (u.get("email") or "").casefold() == wanted), None
        )

    def is_agent(self, user: dict[str, Any]) -> bool:
        return user.get("role") in ("agent", "admin")

    def group_ids_of(self, uid: int) -> list[int]:
        return [m["group_id"] for m in self.memberships if m["user_id"] == uid]

    def end_user(self, name: str | None, email: str) -> dict[str, Any]:
        """The user with this e-mail, created as an end user if new (as inbound e-mail does)."""
        found = self.user_by_email(email)
        if found is not None:
            return found
        user = self._new_user(name or email.split("@")[0], email, "end-user", iso(self.clock.now()))
        self.users[user["id"]] = user
        return user

    # -- tickets -----------------------------------------------------------------------------
    def _touch(self, ticket: dict[str, Any]) -> None:
        # `updated_at` strictly increases with each change, so `safe_update` always notices one
        # (Zendesk's stamps have one-second resolution; the sandbox may run many updates a second).
        now = self.clock.now()
        previous = parse_iso(ticket["updated_at"])
        ticket["updated_at"] = iso(max(now, previous + 1))

    def new_comment(
        self,
        ticket: dict[str, Any],
        author_id: int,
        body: str | None,
        public: bool,
        html_body: str | None = None,
        channel: str = "api",
    ) -> dict[str, Any]:
        """A comment in the recorded audit-event shape (`type: Comment`)."""
        text = body if body is not None else _strip_html(html_body or "")
        comment = {
            "id": next(self._ids),
            "type": "Comment",
            "author_id": author_id,
            "body": text,
            "html_body": html_body
            or f'<div class="zd-comment" dir="auto"><p dir="auto">{_escape(text)}</p></div>',
            "plain_body": text,
            "public": public,
            "attachments": [],
            "audit_id": next(self._ids),
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(self.clock.now()),
            "metadata": {"system": {}, "custom": {}},
        }
        self.comments.setdefault(ticket["id"], []).append(comment)
        customer = not self.is_agent(self.user(author_id))
        if public and customer and ticket["status"] in ("pending", "solved"):
            ticket["status"] = "open"  # a customer's reply reopens the ticket
        return comment

    def create_ticket(
        self,
        requester: dict[str, Any],
        subject: str,
        body: str,
        channel: str,
        submitter_id: int | None = None,
        tags: list[str] | None = None,
        public: bool = True,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        created = iso(self.clock.now())
        via = VIA_CHANNEL.get(channel, channel)
        ticket = {
            "id": next(self._ticket_ids),
            "external_id": None,
            "via": {"channel": via, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": created,
            "updated_at": created,
            "type": None,
            "subject": subject,
            "raw_subject": subject,
            "description": body,
            "priority": None,
            "status": "new",
            "recipient": None,
            "requester_id": requester["id"],
            "submitter_id": submitter_id or requester["id"],
            "assignee_id": None,
            "organization_id": requester.get("organization_id"),
            "group_id": None,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": public,
            "due_at": None,
            # User tags are copied onto the user's new tickets (VENDOR_API §4 [V]).
            "tags": list(dict.fromkeys([*requester.get("tags", []), *(tags or [])])),
            "custom_fields": [],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "custom_status_id": self.custom_status,
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": self.form_id,
            "brand_id": self.brand_id,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": channel == "messaging",
        }
        self.tickets[ticket["id"]] = ticket
        comment = self.new_comment(
            ticket, submitter_id or requester["id"], body, public, channel=via
        )
        if channel == "messaging":
            self.conversations[ticket["id"]] = uuid.uuid4().hex[:24]
        return ticket, comment

    def change_ticket(
        self, ticket: dict[str, Any], changes: dict[str, Any], actor_id: int
    ) -> tuple[TicketChange, list[dict[str, Any]]]:
        """Apply a ticket update body (`PUT /api/v2/tickets/{id}` semantics, VENDOR_API §2).

        Returns what changed and the audit events (recorded audit shape).
        """
        if ticket["status"] == "closed":
            raise Invalid("status", "Status: closed prevents ticket update")
        change = TicketChange(ticket["id"], actor_id)
        events: list[dict[str, Any]] = []
        updated = dict(ticket)
        self._validate(updated, changes)
        before = list(ticket["tags"])
        tags = list(before)
        if "tags" in changes:  # `tags` replaces the whole list [V]
            tags = list(dict.fromkeys(_normalise_tag(t) for t in changes["tags"] or []))
        for tag in changes.get("additional_tags") or []:
            tag = _normalise_tag(tag)
            if tag not in tags:
                tags.append(tag)
        remove = {_normalise_tag(t) for t in changes.get("remove_tags") or []}
        tags = [t for t in tags if t not in remove]
        change.tags_added = [t for t in tags if t not in before]
        change.tags_removed = [t for t in before if t not in tags]
        if tags != before:
            events.append(_change_event(self, "tags", tags, before))
        updated["tags"] = tags
        for key in ("status", "priority", "type", "group_id", "assignee_id", "subject"):
            if key in changes and changes[key] != ticket.get(key):
                events.append(_change_event(self, key, changes[key], ticket.get(key)))
                updated[key] = changes[key]
        if "assignee_id" in changes and changes["assignee_id"] and "group_id" not in changes:
            agent_groups = self.group_ids_of(int(changes["assignee_id"]))
            if updated.get("group_id") not in agent_groups and agent_groups:
                updated["group_id"] = self.user(changes["assignee_id"])["default_group_id"]
        touched = updated.get("assignee_id") or changes.get("comment")
        if updated["status"] == "new" and touched and "status" not in changes:
            updated["status"] = "open"
        for item in changes.get("custom_fields") or []:
            fields = {f["id"]: f for f in updated["custom_fields"]}
            fields[item["id"]] = {"id": item["id"], "value": item.get("value")}
            updated["custom_fields"] = list(fields.values())
        ticket.update(updated)
        comment = changes.get("comment")
        if isinstance(comment, dict) and (comment.get("body") or comment.get("html_body")):
            public = comment.get("public", True)
            public = public if isinstance(public, bool) else str(public).lower() == "true"
            author = int(comment.get("author_id") or actor_id)
            made = self.new_comment(
                ticket, author, comment.get("body"), public, comment.get("html_body")
            )
            change.comment = made
            events.insert(0, {k: made[k] for k in _COMMENT_EVENT_KEYS})
        self._touch(ticket)
        return change, events

    def _validate(self, ticket: dict[str, Any], changes: dict[str, Any]) -> None:
        """422 on values Zendesk rejects (statuses/priorities per VENDOR_API §2 and §3)."""
        _check_shapes(changes)
        if "status" in changes and changes["status"] not in STATUSES:
            raise Invalid("status", f"Status: {changes['status']} is not valid")
        if "priority" in changes and changes["priority"] not in (*PRIORITIES, None, ""):
            raise Invalid("priority", f"Priority: {changes['priority']} is not valid")
        if "type" in changes and changes["type"] not in (*TYPES, None, ""):
            raise Invalid("type", f"Type: {changes['type']} is not valid")
        if changes.get("group_id") and int(changes["group_id"]) not in self.groups:
            raise Invalid("group", "Group: is invalid")
        assignee = changes.get("assignee_id")
        if assignee:
            user = self.users.get(int(assignee))
            if user is None or not self.is_agent(user):
                raise Invalid("assignee", "Assignee: is invalid")
            group = changes.get("group_id") or None
            # [U] An assignee outside the ticket's (new) group is rejected (VENDOR_API §4).
            if group and int(group) not in self.group_ids_of(int(assignee)):
                raise Invalid("assignee", "Assignee: is not a member of the group")

    # -- users -------------------------------------------------------------------------------
    def change_user(self, user: dict[str, Any], changes: dict[str, Any]) -> UserChange:
        """`PUT /api/v2/users/{id}`: `user_fields` merged by key, `tags` replacing (§4)."""
        change = UserChange(user["id"])
        fields_in = changes.get("user_fields")
        if isinstance(fields_in, dict):
            # [U] Keys that name no user field: Zendesk's answer is not recorded; kept here.
            for key, value in fields_in.items():
                previous = user["user_fields"].get(key)
                if previous != value:
                    change.fields[key] = (previous, value)
                user["user_fields"][key] = value
        if "tags" in changes:
            before = list(user["tags"])
            after = list(dict.fromkeys(_normalise_tag(t) for t in changes["tags"] or []))
            change.tags_added = [t for t in after if t not in before]
            change.tags_removed = [t for t in before if t not in after]
            user["tags"] = after
        for key in ("name", "notes", "details", "suspended"):
            if key in changes:
                user[key] = changes[key]
        user["updated_at"] = iso(self.clock.now())
        return change


_COMMENT_EVENT_KEYS = (
    "id",
    "type",
    "author_id",
    "body",
    "html_body",
    "plain_body",
    "public",
    "attachments",
    "audit_id",
)


def _change_event(store: Store, field_name: str, value: Any, previous: Any) -> dict[str, Any]:
    """An audit `Change` event (recorded: `{"id", "type": "Change", "value", "field_name",
    "previous_value"}`); ids and tag lists are rendered as Zendesk does, as strings / lists."""
    render = (lambda v: v) if field_name == "tags" else (lambda v: None if v is None else str(v))
    return {
        "id": next(store._ids),
        "type": "Change",
        "value": render(value),
        "field_name": field_name,
        "previous_value": render(previous),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_html(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()
