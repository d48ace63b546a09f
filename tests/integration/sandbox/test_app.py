"""The sandbox helpdesk: Zendesk's paths in the recorded shapes, rate limits, 409, and signed
deliveries that the real verifier and parser accept. Driven only through HTTP (`/api/v2/...` and
`/_sandbox/...`), never through its memory."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from integration.sandbox.app import create_sandbox_app
from integration.zendesk.auth import Authenticity, verify
from integration.zendesk.macros import parse_macro_changes
from integration.zendesk.payload import parse_delivery

HOOK = "https://hooks.example.test/webhooks/zendesk"
SECRET = "sandbox-secret"
API_USER = "conduct-guard@example.com"
WARNING, REFER_COMPLAINTS = 360600000001, 360600000003
SAM, SUE = 360500000002, 360500000004
ALEX = 360500000101


@pytest.fixture
def client() -> FlaskClient:
    app = create_sandbox_app({"webhook_url": HOOK, "webhook_secret": SECRET})
    return app.test_client()


@pytest.fixture
def hook() -> Iterator[list[Any]]:
    """The webhook receiver: every delivery the sandbox makes, answered 202."""
    received: list[Any] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        received.append(request)
        return 202, {}, ""

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", HOOK, callback=answer)
        yield received


def auth(email: str = API_USER) -> dict[str, str]:
    token = base64.b64encode(f"{email}/token:anything".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def api(client: FlaskClient, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    return client.open(f"/api/v2/{path}", method=method, json=body, headers=auth(), **kw)


def state(client: FlaskClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/_sandbox/state").get_json()
    return data


def open_ticket(client: FlaskClient, body: str = "Where is my refund?", **extra: Any) -> Any:
    data = {"requester_id": ALEX, "subject": "Refund", "body": body, "channel": "email", **extra}
    response = client.post("/_sandbox/tickets", json=data)
    assert response.status_code == 201
    return response.get_json()


# -- shapes ------------------------------------------------------------------------------------
def keys_of(recordings: Any, name: str, index: int, key: str) -> set[str]:
    return set(recordings.load(name)[index].json()[key])


def test_objects_have_the_recorded_keys(
    client: FlaskClient, hook: list[Any], recordings: Any
) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    ticket = api(client, "GET", f"tickets/{tid}.json").get_json()["ticket"]
    assert set(ticket) == keys_of(
        recordings, "TestIncrementalObjectUpdate.test_clean_dirty-setup.json", 0, "ticket"
    )
    user = api(client, "GET", f"users/{ALEX}").get_json()["user"]
    assert set(user) == keys_of(
        recordings,
        "TestUserCreateUpdateDelete.test_single_object_update-update-single.json",
        1,
        "user",
    )
    group = api(client, "GET", "groups").get_json()["groups"][0]
    recorded_groups = recordings.load("TestGroupCreateUpdateDelete.test_pagination.json")
    assert set(group) == set(recorded_groups[5].json()["groups"][0])
    membership = api(client, "GET", "group_memberships").get_json()["group_memberships"][0]
    recorded = recordings.load("TestGroupMemberships.test_values.json")[0].json()
    assert set(membership) == set(recorded["group_memberships"][0])
    macro = api(client, "GET", f"macros/{WARNING}").get_json()["macro"]
    assert set(macro) == keys_of(
        recordings,
        "TestMacrosCreateUpdateDelete.test_single_object_creation-create-single.json",
        0,
        "macro",
    )
    field = api(client, "GET", "user_fields").get_json()["user_fields"][0]
    assert set(field) == keys_of(
        recordings,
        "UserFieldsCreateUpdateDelete.test_single_object_creation-create-single.json",
        0,
        "user_field",
    )
    org = api(client, "GET", "organizations/360200000001").get_json()["organization"]
    assert set(org) == keys_of(
        recordings,
        "TestOrganizationCreateUpdateDelete.test_single_object_update-update-single.json",
        1,
        "organization",
    )


def test_a_ticket_update_answers_ticket_and_audit_as_recorded(
    client: FlaskClient, hook: list[Any], recordings: Any
) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    answer = api(client, "PUT", f"tickets/{tid}", {"ticket": {"additional_tags": ["x"]}})
    recorded = recordings.load(
        "TestTicketCreateUpdateDelete.test_single_object_update-update-single.json"
    )[1]
    assert set(answer.get_json()) == set(recorded.json()) == {"ticket", "audit"}
    assert set(answer.get_json()["audit"]) == set(recorded.json()["audit"])
    assert rate_header_names(answer.headers) == rate_header_names(recorded.headers)
    header = answer.headers["zendesk-rate-limit-tickets-update"]
    assert re.fullmatch(r"total=100; remaining=99; resets=\d+", header)
    assert re.fullmatch(
        r"total=\d+; remaining=\d+; resets=\d+",
        recorded.headers["zendesk-rate-limit-tickets-update"],
    )


def rate_header_names(headers: Any) -> set[str]:
    return {name.lower() for name, _ in headers.items() if "rate" in name.lower()}


def test_a_list_answers_the_recorded_rate_limit_headers(
    client: FlaskClient, recordings: Any
) -> None:
    answer = api(client, "GET", "group_memberships?page[size]=100")
    assert answer.status_code == 200
    recorded = recordings.load("TestGroupMemberships.test_values.json")[0]
    assert rate_header_names(answer.headers) == rate_header_names(recorded.headers)
    assert "ratelimit-limit" in rate_header_names(answer.headers)


@pytest.mark.parametrize(
    "query", ["page[size]=ten", "page[size]=2&page[after]=%%%", "page[size]=2&page[after]=e30="]
)
def test_a_malformed_page_parameter_is_400_not_500(client: FlaskClient, query: str) -> None:
    answer = api(client, "GET", f"group_memberships?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "InvalidPaginationParameter"


def test_missing_records_answer_the_recorded_404(client: FlaskClient, recordings: Any) -> None:
    name = (
        "TestTicketCreateUpdateDelete.test_single_update_raises_recordnotfoundexception"
        "-recordnotfound-update.json"
    )
    answer = api(client, "PUT", "tickets/987654", {"ticket": {"additional_tags": ["x"]}})
    assert answer.status_code == 404
    assert answer.get_json() == recordings.load(name)[0].json()


def test_api_calls_need_token_auth(client: FlaskClient) -> None:
    assert client.get("/api/v2/users/me").status_code == 401
    assert client.get("/api/v2/users/me", headers=auth("stranger@example.com")).status_code == 401
    me = client.get("/api/v2/users/me.json", headers=auth()).get_json()["user"]
    assert me["email"] == API_USER and me["role"] == "admin"


# -- ticket writes -------------------------------------------------------------------------------
def test_tags_are_added_and_removed_without_replacing(client: FlaskClient, hook: list[Any]) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    api(client, "PUT", f"tickets/{tid}", {"ticket": {"tags": ["keep", "old"]}})
    answer = api(
        client,
        "PUT",
        f"tickets/{tid}",
        {
            "ticket": {
                "additional_tags": ["Conduct_Flagged"],
                "remove_tags": ["old"],
                "comment": {"body": "Evidence: ...", "public": False},
            }
        },
    )
    assert answer.get_json()["ticket"]["tags"] == ["keep", "conduct_flagged"]
    comments = api(client, "GET", f"tickets/{tid}/comments").get_json()["comments"]
    assert [(c["body"], c["public"]) for c in comments] == [
        ("Where is my refund?", True),
        ("Evidence: ...", False),
    ]


def test_safe_update_with_a_stale_stamp_is_409(client: FlaskClient, hook: list[Any]) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    stamp = api(client, "GET", f"tickets/{tid}").get_json()["ticket"]["updated_at"]
    client.post(f"/_sandbox/tickets/{tid}/comments", json={"body": "any news?"})
    stale = {"ticket": {"status": "pending", "safe_update": True, "updated_stamp": stamp}}
    assert api(client, "PUT", f"tickets/{tid}", stale).status_code == 409
    fresh = api(client, "GET", f"tickets/{tid}").get_json()["ticket"]["updated_at"]
    stale["ticket"]["updated_stamp"] = fresh
    answer = api(client, "PUT", f"tickets/{tid}", stale)
    assert answer.status_code == 200 and answer.get_json()["ticket"]["status"] == "pending"


def test_invalid_values_are_422(client: FlaskClient, hook: list[Any]) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    bad = api(client, "PUT", f"tickets/{tid}", {"ticket": {"group_id": 1}})
    assert bad.status_code == 422 and bad.get_json()["error"] == "RecordInvalid"
    outsider = {"ticket": {"group_id": 360100000003, "assignee_id": SAM}}
    assert api(client, "PUT", f"tickets/{tid}", outsider).status_code == 422


@pytest.mark.parametrize(
    "ticket",
    [
        {"status": "open", "safe_update": True, "updated_stamp": "yesterday"},
        {"group_id": "sales"},
        {"assignee_id": {"id": 1}},
        {"custom_fields": ["x"]},
        {"custom_fields": {"id": 1}},
        {"comment": {"body": "hi", "author_id": "me"}},
    ],
)
def test_malformed_values_are_422_not_500(
    client: FlaskClient, hook: list[Any], ticket: dict[str, Any]
) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    before = api(client, "GET", f"tickets/{tid}").get_json()["ticket"]
    answer = api(client, "PUT", f"tickets/{tid}", {"ticket": ticket})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "RecordInvalid"
    assert api(client, "GET", f"tickets/{tid}").get_json()["ticket"] == before


def test_user_fields_by_key_and_tags_replace(client: FlaskClient, hook: list[Any]) -> None:
    body = {"user": {"user_fields": {"conduct_stage": "warned"}, "tags": ["conduct_stage_warned"]}}
    user = api(client, "PUT", f"users/{ALEX}", body).get_json()["user"]
    assert user["user_fields"]["conduct_stage"] == "warned"
    assert user["user_fields"]["conduct_restriction"] is None
    assert user["tags"] == ["conduct_stage_warned"]


def test_macro_changes_are_only_what_the_macro_changes(client: FlaskClient) -> None:
    answer = api(client, "GET", f"macros/{WARNING}/apply").get_json()
    ticket = answer["result"]["ticket"]
    assert set(ticket) == {"tags", "comment"}
    assert ticket["comment"]["public"] is True
    changes = parse_macro_changes(answer)
    assert changes.tags_add == ("conduct_warning_sent",)
    assert changes.comment is not None and "not acceptable" in (changes.comment.body or "")


# -- rate limits -------------------------------------------------------------------------------
def configure(client: FlaskClient, **values: Any) -> None:
    assert client.post("/_sandbox/config", json=values).status_code == 200


def test_the_ticket_update_limit_answers_429_until_the_window_resets(
    client: FlaskClient, hook: list[Any]
) -> None:
    configure(client, ticket_update_limit=3)
    tids = [open_ticket(client)["ticket"]["id"] for _ in range(4)]
    update = {"ticket": {"additional_tags": ["x"]}}
    assert [api(client, "PUT", f"tickets/{t}", update).status_code for t in tids] == [
        200,
        200,
        200,
        429,
    ]
    limited = api(client, "PUT", f"tickets/{tids[3]}", update)
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["zendesk-rate-limit-tickets-update"].startswith("total=3; remaining=0")
    client.post("/_sandbox/clock", json={"advance_seconds": 61})
    assert api(client, "PUT", f"tickets/{tids[3]}", update).status_code == 200


def test_the_per_ticket_limit_and_a_429_without_retry_after(
    client: FlaskClient, hook: list[Any]
) -> None:
    configure(client, per_ticket_limit=2, retry_after_on_resource_limits=False)
    one, two = (open_ticket(client)["ticket"]["id"] for _ in range(2))
    update = {"ticket": {"additional_tags": ["x"]}}
    codes = [api(client, "PUT", f"tickets/{one}", update).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = api(client, "PUT", f"tickets/{one}", update)
    assert "Retry-After" not in limited.headers
    assert api(client, "PUT", f"tickets/{two}", update).status_code == 200


def test_the_account_limit_covers_every_call(client: FlaskClient) -> None:
    configure(client, account_limit=2)
    codes = [api(client, "GET", "users/me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_time_scale_shortens_windows_in_real_seconds(client: FlaskClient) -> None:
    configure(client, time_scale=10, account_limit=1)
    api(client, "GET", "users/me")
    limited = api(client, "GET", "users/me")
    assert limited.status_code == 429
    assert 0 < float(limited.headers["Retry-After"]) <= 6.0  # a minute at 10×


# -- deliveries ----------------------------------------------------------------------------------
def check_signed(request: Any) -> dict[str, Any]:
    headers = request.headers
    assert headers["User-Agent"] == "Zendesk Webhook"
    assert headers["X-Zendesk-Webhook-Id"]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers["X-Zendesk-Webhook-Signature-Timestamp"]
    )
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    assert verify(headers, body, [SECRET], replay_window=300) is Authenticity.VALID
    assert verify(headers, body, ["another"], replay_window=300) is Authenticity.BAD_SIGNATURE
    payload: dict[str, Any] = json.loads(body)
    return payload


def test_a_customer_message_is_delivered_signed_and_parses(
    client: FlaskClient, hook: list[Any]
) -> None:
    opened = open_ticket(client, "You are all useless idiots")
    assert opened["deliveries"] == [202, 202]
    payloads = [check_signed(r) for r in hook]
    assert [p["type"] for p in payloads] == [
        "zen:event-type:ticket.created",
        "zen:event-type:ticket.comment_added",
    ]
    delivery = parse_delivery(payloads[1], received_at=datetime.now(UTC))
    event = delivery.event
    assert event is not None and event.kind == "message"
    assert event.actor_role == "customer" and event.customer_id == str(ALEX)
    assert event.ticket_id == str(opened["ticket"]["id"]) and event.channel == "email"
    assert event.text == "You are all useless idiots"
    reply = client.post(
        f"/_sandbox/tickets/{opened['ticket']['id']}/comments", json={"body": "still waiting"}
    )
    assert reply.get_json()["deliveries"] == [202]


def test_a_messaging_message_is_delivered_as_a_messaging_event(
    client: FlaskClient, hook: list[Any]
) -> None:
    opened = open_ticket(client, "answer me now", channel="messaging")
    types = [check_signed(r)["type"] for r in hook]
    assert types == [
        "zen:event-type:ticket.created",
        "zen:event-type:messaging_ticket.message_added",
    ]
    client.post(f"/_sandbox/tickets/{opened['ticket']['id']}/comments", json={"body": "hello??"})
    event = parse_delivery(check_signed(hook[-1]), received_at=datetime.now(UTC)).event
    assert event is not None and event.channel == "messaging" and event.text == "hello??"
    assert event.actor_role == "customer"


def test_an_agent_applying_a_macro_delivers_tags_changed_as_that_agent(
    client: FlaskClient, hook: list[Any]
) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    hook.clear()
    applied = client.post(f"/_sandbox/tickets/{tid}/macros/{WARNING}/apply", json={"agent_id": SAM})
    assert applied.status_code == 200
    payloads = [check_signed(r) for r in hook]
    by_type = {p["type"].rsplit(":", 1)[1]: p for p in payloads}
    assert set(by_type) == {"ticket.comment_added", "ticket.tags_changed"}
    assert by_type["ticket.tags_changed"]["detail"]["actor_id"] == str(SAM)
    event = parse_delivery(by_type["ticket.tags_changed"], received_at=datetime.now(UTC)).event
    assert event is not None and event.tags_added == ("conduct_warning_sent",)
    comment = by_type["ticket.comment_added"]["event"]["comment"]
    assert comment["author"]["is_staff"] is True and comment["is_public"] is True
    assert "Hello Alex," in comment["body"]  # placeholders rendered as the workspace does
    ticket = next(t for t in state(client)["tickets"] if t["id"] == tid)
    assert "conduct_warning_sent" in ticket["tags"]


def test_restricted_macros_are_only_for_their_groups(client: FlaskClient, hook: list[Any]) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    path = f"/_sandbox/tickets/{tid}/macros/{REFER_COMPLAINTS}/apply"
    assert client.post(path, json={"agent_id": SAM}).status_code == 403
    assert client.post(path, json={"agent_id": SUE}).status_code == 200
    ticket = next(t for t in state(client)["tickets"] if t["id"] == tid)
    assert ticket["group_id"] == 360100000003


def test_a_person_editing_the_customer_delivers_user_events(
    client: FlaskClient, hook: list[Any]
) -> None:
    edited = client.put(
        f"/_sandbox/users/{ALEX}",
        json={"user_fields": {"conduct_stage": "clean"}, "tags": ["conduct_stage_clean"]},
    )
    assert edited.get_json()["deliveries"] == [202, 202]
    events = [parse_delivery(check_signed(r), received_at=datetime.now(UTC)).event for r in hook]
    assert all(e is not None and e.kind == "customer_changed" for e in events)
    assert events[0] is not None and events[0].fields["current"] == "clean"
    assert events[1] is not None and events[1].tags_added == ("conduct_stage_clean",)


def test_a_key_that_names_no_user_field_makes_no_user_event(
    client: FlaskClient, hook: list[Any]
) -> None:
    edited = client.put(
        f"/_sandbox/users/{ALEX}",
        json={"user_fields": {"no_such_field": "x", "conduct_stage": "clean"}},
    )
    assert edited.get_json()["deliveries"] == [202]
    [event] = [parse_delivery(check_signed(r), received_at=datetime.now(UTC)).event for r in hook]
    assert event is not None and event.fields["current"] == "clean"


def test_the_apis_own_writes_come_back_as_events_from_the_api_user(
    client: FlaskClient, hook: list[Any]
) -> None:
    tid = open_ticket(client)["ticket"]["id"]
    hook.clear()
    api(client, "PUT", f"tickets/{tid}", {"ticket": {"additional_tags": ["conduct_flagged"]}})
    data = state(client)  # waits for background deliveries
    assert data["deliveries"][-1]["type"] == "zen:event-type:ticket.tags_changed"
    payload = check_signed(hook[-1])
    assert payload["detail"]["actor_id"] == str(data["api_user_id"])


# -- controls -----------------------------------------------------------------------------------
def test_state_logs_calls_and_reset_restores_the_seed(client: FlaskClient, hook: list[Any]) -> None:
    open_ticket(client)
    api(client, "GET", "users/me")
    data = state(client)
    assert data["calls"][-1]["method"] == "GET"
    assert data["calls"][-1]["path"] == "/api/v2/users/me"
    assert data["calls"][-1]["status"] == 200
    assert len(data["tickets"]) == 1
    assert {g["name"] for g in data["groups"]} == {
        "Support",
        "Supervisors",
        "Complaint Management",
        "Senior Management",
    }
    client.post("/_sandbox/reset")
    after = state(client)
    assert after["tickets"] == [] and after["calls"] == []


def test_the_clock_can_be_set_and_advanced(client: FlaskClient) -> None:
    set_to = client.post("/_sandbox/clock", json={"now": "2030-01-01T00:00:00Z"}).get_json()
    assert set_to["now"].startswith("2030-01-01T00:00:0")
    moved = client.post("/_sandbox/clock", json={"advance_seconds": 3600}).get_json()
    assert moved["now"].startswith("2030-01-01T01:00:0")


def test_unknown_settings_are_refused(client: FlaskClient) -> None:
    answer = client.post("/_sandbox/config", json={"ticket_updates": 5})
    assert answer.status_code == 400 and "unknown" in answer.get_json()["error"]
