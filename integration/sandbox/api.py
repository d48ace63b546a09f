"""The Zendesk API paths the project uses, at Zendesk's own paths (`/api/v2/...`, `.json`
optional as zenpy and the recordings use it).

Each handler cites where its behaviour comes from: a recording (`<file>` in
shared/vendor-recordings/zendesk, copied in part to tests/fixtures/zendesk/recorded) or a
VENDOR_API.md section with its confidence mark.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from integration.sandbox.clock import parse_iso
from integration.sandbox.core import Sandbox
from integration.sandbox.limits import Verdict
from integration.sandbox.macros import show_changes
from integration.sandbox.store import Invalid, NotFound, TicketChange

api = Blueprint("sandbox_api", __name__, url_prefix="/api/v2")

# Response bodies as Zendesk words them.
NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}  # recorded 404 body
UNAUTHORIZED = {"error": "Couldn't authenticate you"}  # [S] Zendesk's 401 body
RATE_LIMITED = {  # [U] body of an account/endpoint 429; clients go by status and Retry-After
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}
CONFLICT = {  # [U] body of a safe_update collision (VENDOR_API §2: 409 [V])
    "error": "UpdateConflict",
    "description": "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again.",
}
IDEMPOTENCY_TTL = 2 * 3600.0  # [U] how long a ticket-create Idempotency-Key is remembered


def sandbox() -> Sandbox:
    box: Sandbox = current_app.extensions["sandbox"]
    return box


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(
        json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json; charset=utf-8",  # recorded Content-Type
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _invalid(exc: Invalid) -> Response:
    # [S] 422 body shape: {"error": "RecordInvalid", "description": ..., "details": {...}}
    body = {"error": "RecordInvalid", "description": "Record validation errors"}
    return _json({**body, "details": exc.details}, 422)


def route(
    rule: str, **options: Any
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register `rule` and `rule.json`: zenpy calls the `.json` form, others the bare one."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        api.add_url_rule(rule, view_func=view, **options)
        api.add_url_rule(
            f"{rule}.json", endpoint=f"{view.__name__}_json", view_func=view, **options
        )
        return view

    return register


def _url(kind: str, oid: Any) -> str:
    return f"{request.host_url}api/v2/{kind}/{oid}.json"


def _render(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"url": _url(kind, obj["id"]), **copy.deepcopy(obj)}


# -- authentication and the account limit -----------------------------------------------------
@api.before_request
def _authenticate_and_count() -> Response | None:
    box = sandbox()
    auth = request.authorization
    # API token auth: Basic `{email}/token:{token}` (VENDOR_API §2 [V]).
    if auth is None or not (auth.username or "").endswith("/token"):
        return _json(UNAUTHORIZED, 401)
    if box.config.api_token and auth.password != box.config.api_token:
        return _json(UNAUTHORIZED, 401)
    user = box.store.user_by_email((auth.username or "").removesuffix("/token"))
    if user is None or user["role"] not in ("agent", "admin"):
        return _json(UNAUTHORIZED, 401)
    g.user = user
    verdict = box.account(count=True)
    g.account = verdict
    if not verdict.allowed:
        # 429 + Retry-After (seconds) (VENDOR_API §5 [V]).
        return _json(RATE_LIMITED, 429, {"Retry-After": box.seconds(verdict.reset_in)})
    return None


@api.after_request
def _headers_and_log(response: Response) -> Response:
    box = sandbox()
    verdict: Verdict | None = g.get("account")
    if verdict is not None:
        reset = box.seconds(verdict.reset_in)
        # Recorded: writes and single reads answer `rate-limit` / `rate-limit-remaining` /
        # `rate-limit-reset`, lists `ratelimit-limit` / `ratelimit-remaining` /
        # `ratelimit-reset`; both with `x-rate-limit` / `x-rate-limit-remaining` (e.g.
        # TestTicketCreateUpdateDelete, TestGroupMemberships.test_values).
        limit_name, prefix = (
            ("ratelimit-limit", "ratelimit")
            if g.get("list_endpoint")
            else ("rate-limit", "rate-limit")
        )
        response.headers["x-rate-limit"] = str(verdict.limit)
        response.headers["x-rate-limit-remaining"] = str(verdict.remaining)
        response.headers[limit_name] = str(verdict.limit)
        response.headers[f"{prefix}-remaining"] = str(verdict.remaining)
        response.headers[f"{prefix}-reset"] = reset
    endpoint: Verdict | None = g.get("tickets_update")
    if endpoint is not None:
        # Recorded on PUT tickets/{id}: `zendesk-rate-limit-tickets-update: total=20;
        # remaining=19; resets=59`; the numbers are the sandbox's configured ones.
        response.headers["zendesk-rate-limit-tickets-update"] = (
            f"total={endpoint.limit}; remaining={endpoint.remaining}; "
            f"resets={box.seconds(endpoint.reset_in)}"
        )
    response.headers["x-zendesk-api-version"] = "v2"
    box.log_call(request.method, request.path, response.status_code)
    return response


def _limited(verdict: Verdict, resource: bool) -> Response:
    box = sandbox()
    headers = {"Retry-After": box.seconds(verdict.reset_in)}
    if resource and not box.config.retry_after_on_resource_limits:
        # [S] per-user / per-ticket 429s seen with a text body and no Retry-After (VENDOR_API §5).
        return Response("Too Many Requests", 429, content_type="text/plain")
    return _json(RATE_LIMITED, 429, headers)


# -- pagination (recorded: `meta.has_more`, `meta.after_cursor`, `links.next`) -------------------
def _cursor(index: int) -> str:
    return base64.b64encode(json.dumps({"o": "id", "v": index}).encode()).decode()


class BadPage(ValueError):
    """A `page[size]` or `page[after]` the sandbox cannot read."""


@api.errorhandler(BadPage)
def _bad_page(exc: BadPage) -> Response:
    # [U] Zendesk's body for a malformed cursor or page size is not recorded; a 400 it is.
    return _json({"error": "InvalidPaginationParameter", "description": str(exc)}, 400)


def _page(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    g.list_endpoint = True
    size_arg = request.args.get("page[size]")
    base = request.base_url
    if size_arg is None:  # offset pagination: {key, next_page, previous_page, count}
        return {key: items, "next_page": None, "previous_page": None, "count": len(items)}
    after = request.args.get("page[after]")
    try:
        size = max(1, min(100, int(size_arg)))
        start = json.loads(base64.b64decode(after, validate=True))["v"] if after else 0
        if type(start) is not int or start < 0:
            raise ValueError(start)
    except (ValueError, TypeError, KeyError) as exc:  # binascii.Error is a ValueError
        raise BadPage("page[size] must be a number and page[after] a cursor it gave") from exc
    page = items[start : start + size]
    has_more = start + size < len(items)
    after_cursor, before_cursor = _cursor(start + len(page)), _cursor(start)
    return {
        key: page,
        "meta": {
            "has_more": has_more,
            "after_cursor": after_cursor,
            "before_cursor": before_cursor,
        },
        "links": {
            "prev": f"{base}?page%5Bbefore%5D={before_cursor}&page%5Bsize%5D={size}",
            "next": f"{base}?page%5Bafter%5D={after_cursor}&page%5Bsize%5D={size}",
        },
    }


# -- users ------------------------------------------------------------------------------------
@route("/users/me")
def users_me() -> Response:
    # `GET /api/v2/users/me` (zenpy `users.me` [V]): the authenticated user.
    return _json({"user": _render("users", g.user)})


@route("/users/<int:user_id>", methods=["GET"])
def show_user(user_id: int) -> Response:
    # Recorded: TestTicketCreateUpdateDelete.test_full_objects_create (GET users/{id}).
    store = sandbox().store
    with store.lock:
        try:
            return _json({"user": _render("users", store.user(user_id))})
        except NotFound:
            return _json(NOT_FOUND, 404)


@route("/users/<int:user_id>", methods=["PUT"])
def update_user(user_id: int) -> Response:
    # Recorded: TestUserCreateUpdateDelete.test_single_object_update (PUT users/{id} → {"user"});
    # `user_fields` by key and `tags` replacing (VENDOR_API §4 [V]).
    box = sandbox()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("user"), dict):
        return _json({"error": "InvalidEndpoint", "description": "Expected a user"}, 400)
    with box.store.lock:
        try:
            user = box.store.user(user_id)
        except NotFound:
            return _json(NOT_FOUND, 404)
        verdict = box.per_user(user_id)  # Update User ~5/min per user (VENDOR_API §5 [S])
        if not verdict.allowed:
            return _limited(verdict, resource=True)
        change = box.store.change_user(user, body["user"])
        rendered = _render("users", user)
    box.user_events(change, sync=False)
    return _json({"user": rendered})


@route("/users/search")
def search_users() -> Response:
    # `GET /api/v2/users/search?query=` (zenpy `users.search` [V]; matching on name and e-mail
    # as the docs describe the query [S]).
    store = sandbox().store
    query = (request.args.get("query") or "").strip().casefold()
    with store.lock:
        found = [
            _render("users", u)
            for u in store.users.values()
            if query
            and (query in (u.get("email") or "").casefold() or query in u["name"].casefold())
        ]
    return _json(_page(found, "users"))


@route("/users/<int:user_id>/group_memberships")
def user_memberships(user_id: int) -> Response:
    # zenpy `users.group_memberships` → users/{id}/group_memberships.json [V]; membership shape
    # recorded in TestGroupMemberships.test_values.
    store = sandbox().store
    with store.lock:
        items = [
            _render("group_memberships", m) for m in store.memberships if m["user_id"] == user_id
        ]
    return _json(_page(items, "group_memberships"))


@route("/group_memberships")
def memberships() -> Response:
    store = sandbox().store
    with store.lock:
        items = [_render("group_memberships", m) for m in store.memberships]
    return _json(_page(items, "group_memberships"))


# -- groups, fields, organizations -------------------------------------------------------------
@route("/groups")
def groups() -> Response:
    # Recorded: TestGroupCreateUpdateDelete.test_pagination (cursor pages of `groups`).
    store = sandbox().store
    with store.lock:
        items = [_render("groups", grp) for grp in store.groups.values()]
    return _json(_page(items, "groups"))


@route("/groups/<int:group_id>")
def show_group(group_id: int) -> Response:
    store = sandbox().store
    with store.lock:
        found = store.groups.get(group_id)
        return _json({"group": _render("groups", found)}) if found else _json(NOT_FOUND, 404)


@route("/user_fields")
def user_fields() -> Response:
    # Shape recorded: UserFieldsCreateUpdateDelete.test_single_object_creation.
    store = sandbox().store
    with store.lock:
        items = [_render("user_fields", f) for f in store.user_fields]
    return _json(_page(items, "user_fields"))


@route("/organization_fields")
def organization_fields() -> Response:
    store = sandbox().store
    with store.lock:
        items = [_render("organization_fields", f) for f in store.organization_fields]
    return _json(_page(items, "organization_fields"))


@route("/organizations/<int:org_id>")
def show_organization(org_id: int) -> Response:
    # Recorded: GET organizations/{id} in TestTicketCreateUpdateDelete.test_full_objects_create.
    store = sandbox().store
    with store.lock:
        found = store.organizations.get(org_id)
        if not found:
            return _json(NOT_FOUND, 404)
        return _json({"organization": _render("organizations", found)})


@route("/organizations")
def list_organizations() -> Response:
    store = sandbox().store
    with store.lock:
        items = [_render("organizations", o) for o in store.organizations.values()]
    return _json(_page(items, "organizations"))


# -- macros -----------------------------------------------------------------------------------
@route("/macros")
def list_macros() -> Response:
    # Recorded: TestMacrosCreateUpdateDelete.test_pagination (`macros` with `actions`).
    store = sandbox().store
    with store.lock:
        items = [_render("macros", m) for m in store.macros.values()]
    return _json(_page(items, "macros"))


@route("/macros/active")
def active_macros() -> Response:
    return list_macros()


@route("/macros/<int:macro_id>")
def show_macro(macro_id: int) -> Response:
    store = sandbox().store
    with store.lock:
        found = store.macros.get(macro_id)
        return _json({"macro": _render("macros", found)}) if found else _json(NOT_FOUND, 404)


@route("/macros/<int:macro_id>/apply")
def macro_changes(macro_id: int) -> Response:
    # "Show Changes to Ticket": only what the macro changes (VENDOR_API §3 [V]).
    store = sandbox().store
    with store.lock:
        found = store.macros.get(macro_id)
        if not found:
            return _json(NOT_FOUND, 404)
        return _json(show_changes(found, g.user["id"]))


@route("/tickets/<int:ticket_id>/macros/<int:macro_id>/apply")
def ticket_after_macro(ticket_id: int, macro_id: int) -> Response:
    # "Show Ticket After Changes": the full ticket as it would be, nothing saved (§3 [V]).
    store = sandbox().store
    with store.lock:
        macro = store.macros.get(macro_id)
        if macro is None or ticket_id not in store.tickets:
            return _json(NOT_FOUND, 404)
        ticket = _render("tickets", store.ticket(ticket_id))
        changes = show_changes(macro, g.user["id"])["result"]["ticket"]
    tags = list(ticket["tags"])
    for tag in changes.pop("tags", []):
        if tag not in tags:
            tags.append(tag)
    removed = set(changes.pop("remove_tags", []))
    ticket["tags"] = [t for t in tags if t not in removed]
    ticket.update(changes)
    return _json({"result": {"ticket": ticket}})


# -- tickets ----------------------------------------------------------------------------------
@route("/tickets/<int:ticket_id>", methods=["GET"])
def show_ticket(ticket_id: int) -> Response:
    # Recorded: TestIncrementalObjectUpdate.test_clean_dirty-setup (GET tickets/1.json).
    store = sandbox().store
    with store.lock:
        try:
            return _json({"ticket": _render("tickets", store.ticket(ticket_id))})
        except NotFound:
            return _json(NOT_FOUND, 404)


@route("/tickets/<int:ticket_id>/comments")
def ticket_comments(ticket_id: int) -> Response:
    # `GET /api/v2/tickets/{id}/comments` (VENDOR_API §2 [V]); `sort=-created_at` reverses.
    store = sandbox().store
    with store.lock:
        if ticket_id not in store.tickets:
            return _json(NOT_FOUND, 404)
        items = copy.deepcopy(store.comments.get(ticket_id, []))
    if request.args.get("sort") == "-created_at":
        items.reverse()
    return _json(_page(items, "comments"))


def _audit(box: Sandbox, ticket: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The audit returned with a write (recorded shape: id, ticket_id, created_at, author_id,
    metadata, events, via)."""
    return {
        "id": next(box.store._ids),
        "ticket_id": ticket["id"],
        "created_at": ticket["updated_at"],
        "author_id": g.user["id"],
        "metadata": {"system": {"client": request.user_agent.string}, "custom": {}},
        "events": events,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    }


@route("/tickets/<int:ticket_id>", methods=["PUT"])
def update_ticket(ticket_id: int) -> Response:
    # Recorded: TestTicketCreateUpdateDelete.test_single_object_update (PUT → {"ticket",
    # "audit"}, `zendesk-rate-limit-tickets-update` header, `x-zendesk-api-warn` for `ticket.id`).
    box = sandbox()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
        return _json({"error": "InvalidEndpoint", "description": "Expected a ticket"}, 400)
    changes = body["ticket"]
    with box.store.lock:
        try:
            ticket = box.store.ticket(ticket_id)
        except NotFound:
            return _json(NOT_FOUND, 404)  # recorded 404 for PUT of a missing ticket
        g.tickets_update = box.ticket_updates()  # 100/min per account (VENDOR_API §5 [V])
        if not g.tickets_update.allowed:
            return _limited(g.tickets_update, resource=False)
        per_ticket = box.per_ticket(ticket_id, g.user["id"])
        if not per_ticket.allowed:
            return _limited(per_ticket, resource=True)
        if str(changes.get("safe_update")).lower() == "true":
            # safe_update + updated_stamp → 409 when the ticket changed since (§2 [V]).
            stamp = changes.get("updated_stamp")
            if not stamp:
                return _invalid(Invalid("updated_stamp", "updated_stamp is required"))
            try:
                stale = parse_iso(str(stamp)) != parse_iso(ticket["updated_at"])
            except ValueError:  # [U] Zendesk's answer to a stamp that is not a time
                return _invalid(Invalid("updated_stamp", "updated_stamp is not a valid time"))
            if stale:
                return _json(CONFLICT, 409)
        fields = {
            k: v for k, v in changes.items() if k not in ("safe_update", "updated_stamp", "id")
        }
        try:
            change, events = box.store.change_ticket(ticket, fields, g.user["id"])
        except Invalid as exc:
            return _invalid(exc)
        data = {"ticket": _render("tickets", ticket), "audit": _audit(box, ticket, events)}
    box.ticket_events(change, sync=False)
    headers = {}
    if "id" in changes:
        headers["x-zendesk-api-warn"] = (
            '{:allowed_parameters=>{:controller=>"tickets", :action=>"update", '
            ':unpermitted_keys=>["ticket.id"], :invalid_values=>[]}}'
        )
    return _json(data, 200, headers)


@route("/tickets", methods=["POST"])
def create_ticket() -> Response:
    # Recorded: TestTicketCreateUpdateDelete.test_single_object_update-update-single (POST
    # tickets.json → 201, `location`, {"ticket", "audit"}).
    box = sandbox()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
        return _json({"error": "InvalidEndpoint", "description": "Expected a ticket"}, 400)
    data = body["ticket"]
    key = request.headers.get("Idempotency-Key")
    store = box.store
    with store.lock:
        now = box.clock.now()
        if key and key in store.idempotency and store.idempotency[key][0] > now:
            ticket = store.ticket(store.idempotency[key][1])
            return _json({"ticket": _render("tickets", ticket)}, 201)
        if data.get("requester_id"):
            try:
                requester = store.user(data["requester_id"])
            except NotFound:
                return _invalid(Invalid("requester", "Requester: is invalid"))
        elif isinstance(data.get("requester"), dict) and data["requester"].get("email"):
            requester = store.end_user(data["requester"].get("name"), data["requester"]["email"])
        else:
            requester = g.user
        comment = data.get("comment") or {}
        text = comment.get("body") or data.get("description") or ""
        if not text and not comment.get("html_body"):
            return _invalid(Invalid("description", "Description: cannot be blank"))
        ticket, first = store.create_ticket(
            requester,
            data.get("subject") or text[:60],
            text,
            "api",
            submitter_id=g.user["id"],
            tags=data.get("tags"),
            public=comment.get("public", True),
        )
        extra = {k: data[k] for k in ("status", "priority", "group_id", "assignee_id") if k in data}
        if extra:
            try:
                store.change_ticket(ticket, extra, g.user["id"])
            except Invalid as exc:
                del store.tickets[ticket["id"]]
                return _invalid(exc)
        if key:
            store.idempotency[key] = (now + IDEMPOTENCY_TTL, ticket["id"])
        change = TicketChange(ticket["id"], g.user["id"], comment=first, created=True)
        rendered = _render("tickets", ticket)
        audit_events = [{k: first[k] for k in ("id", "type", "author_id", "body", "public")}]
        audit = _audit(box, ticket, audit_events)
    box.ticket_events(change, sync=False)
    return _json(
        {"ticket": rendered, "audit": audit}, 201, {"Location": _url("tickets", ticket["id"])}
    )


def register(app: Flask) -> None:
    from integration.sandbox import views  # noqa: F401  (issue 6: its routes join `api`)

    app.register_blueprint(api)
