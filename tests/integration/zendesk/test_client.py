"""The exact HTTP the Zendesk adapter sends for each batch kind, and how it fails (`responses`)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import redis
import requests
import responses
from prometheus_client import REGISTRY
from responses import matchers

from config.settings import load_settings
from integration.actions import (
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
from integration.helpdesk import PermanentVendorError, TransientVendorError
from integration.zendesk.client import CONFLICT_RETRIES, ZendeskHelpdesk
from integration.zendesk.errors import DEFAULT_RATE_LIMIT_BACKOFF

API = "https://acme.zendesk.com/api/v2"
STAMP = "2023-09-18T23:26:01Z"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> Any:
    return load_settings(
        ZENDESK_SUBDOMAIN="acme",
        ZENDESK_EMAIL="bot@example.com",
        ZENDESK_API_TOKEN="tok",
        ZENDESK_WEBHOOK_SECRET="s",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def helpdesk(settings: Any, redis_conn: redis.Redis, clock: Clock) -> ZendeskHelpdesk:
    return ZendeskHelpdesk(settings, redis_conn, clock=clock)


@pytest.fixture
def http() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def ticket(tid: int = 42, updated_at: str = STAMP, **extra: Any) -> dict[str, Any]:
    return {"ticket": {"id": tid, "updated_at": updated_at, "tags": [], **extra}}


def sent(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.request.body)
    return body


def counter(status: str) -> float:
    value = REGISTRY.get_sample_value(
        "conduct_vendor_calls_total", {"vendor": "zendesk", "status": status}
    )
    return value or 0.0


# -- one update per ticket ----------------------------------------------------------------------
def test_tags_and_a_note_are_one_put_without_a_read(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    result = helpdesk.apply(
        [
            AddTags("42", ("conduct_flagged", "conduct_insult")),
            RemoveTags("42", ("conduct_not_assessed",)),
            Comment("42", "Flagged: insult", public=False),
            SetPriority("42", "high"),
        ]
    )
    assert len(http.calls) == 1
    assert sent(http.calls[0]) == {
        "ticket": {
            "priority": "high",
            "additional_tags": ["conduct_flagged", "conduct_insult"],
            "remove_tags": ["conduct_not_assessed"],
            "comment": {"public": False, "body": "Flagged: insult"},
        }
    }
    assert "tags" not in sent(http.calls[0])["ticket"]  # never the replacing list
    auth = http.calls[0].request.headers["Authorization"]
    assert auth == "Basic " + base64.b64encode(b"bot@example.com/token:tok").decode()
    assert result.tickets_updated == 1
    assert result.calls == [("PUT", "/api/v2/tickets/{id}", 200)]


def test_a_tag_added_then_removed_in_one_batch_ends_removed(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    helpdesk.apply([AddTags("42", ("a", "b")), RemoveTags("42", ("a",))])
    assert sent(http.calls[0]) == {"ticket": {"additional_tags": ["b"], "remove_tags": ["a"]}}


def test_a_second_comment_is_a_second_update(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/tickets/42", json=ticket())
    result = helpdesk.apply(
        [
            Comment("42", "evidence", public=False),
            AddTags("42", ("conduct_flagged",)),
            Comment("42", "please keep it civil", public=True),
        ]
    )
    assert [sent(c) for c in http.calls] == [
        {
            "ticket": {
                "additional_tags": ["conduct_flagged"],
                "comment": {"public": False, "body": "evidence"},
            }
        },
        {"ticket": {"comment": {"public": True, "body": "please keep it civil"}}},
    ]
    assert result.tickets_updated == 2


def test_routing_and_status_use_safe_update_with_a_fresh_stamp(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.get(f"{API}/tickets/42", json=ticket(updated_at="2024-05-01T10:00:00Z"))
    http.put(f"{API}/tickets/42", json=ticket())
    helpdesk.apply(
        [
            Assign("42", group_id="360100000003", agent_id="77"),
            SetStatus("42", "open"),
            AddTags("42", ("conduct_refer_complaints",)),
        ]
    )
    assert [c.request.method for c in http.calls] == ["GET", "PUT"]
    assert sent(http.calls[1]) == {
        "ticket": {
            "group_id": 360100000003,
            "assignee_id": 77,
            "status": "open",
            "additional_tags": ["conduct_refer_complaints"],
            "safe_update": True,
            "updated_stamp": "2024-05-01T10:00:00Z",
        }
    }


def test_a_409_rereads_and_retries_with_the_new_stamp(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(f"{API}/tickets/42", json=ticket(updated_at="2024-05-01T10:00:00Z"))
    http.put(f"{API}/tickets/42", status=409, json={"error": "UpdateConflict"})
    http.get(f"{API}/tickets/42", json=ticket(updated_at="2024-05-01T10:00:07Z"))
    http.put(f"{API}/tickets/42", json=ticket())
    result = helpdesk.apply([SetStatus("42", "pending")])
    stamps = [sent(c)["ticket"]["updated_stamp"] for c in http.calls if c.request.method == "PUT"]
    assert stamps == ["2024-05-01T10:00:00Z", "2024-05-01T10:00:07Z"]
    assert result.tickets_updated == 1


def test_a_409_that_persists_is_transient_and_keeps_the_action(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    for _ in range(CONFLICT_RETRIES + 1):
        http.get(f"{API}/tickets/42", json=ticket())
        http.put(f"{API}/tickets/42", status=409, json={"error": "UpdateConflict"})
    action = SetStatus("42", "pending")
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([action])
    assert caught.value.status == 409
    assert caught.value.pending == [action]
    assert caught.value.retry_after is None  # so the `apply` job backs off, not retries at once


# -- macros ------------------------------------------------------------------------------------
MACRO_CHANGES = {
    "result": {
        "ticket": {
            "tags": ["conduct_warning_sent"],
            "remove_tags": ["conduct_pending"],
            "comment": {
                "body": "Please keep it civil.",
                "public": True,
                "scoped_body": [["channel:all", "Please keep it civil."]],
            },
        }
    }
}


def test_a_macro_is_merged_into_the_single_update_and_its_changes_are_cached(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.get(f"{API}/macros/9/apply", json=MACRO_CHANGES)
    http.put(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/tickets/43", json=ticket(43))
    helpdesk.apply([AddTags("42", ("conduct_flagged",)), ApplyMacro("42", "9")])
    helpdesk.apply([ApplyMacro("43", "9")])  # the changes come from the cache
    assert [c.request.method for c in http.calls] == ["GET", "PUT", "PUT"]
    assert sent(http.calls[1]) == {
        "ticket": {
            "additional_tags": ["conduct_flagged", "conduct_warning_sent"],
            "remove_tags": ["conduct_pending"],
            "comment": {"public": True, "body": "Please keep it civil."},
        }
    }
    assert "requester_id" not in sent(http.calls[2])["ticket"]  # never the whole ticket


def test_a_macro_comment_after_a_note_goes_in_a_second_update(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.get(f"{API}/macros/9/apply", json=MACRO_CHANGES)
    http.put(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/tickets/42", status=429, headers={"Retry-After": "3"})
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([Comment("42", "note"), ApplyMacro("42", "9")])
    first = sent(http.calls[1])["ticket"]
    assert first["comment"] == {"public": False, "body": "note"}
    assert first["additional_tags"] == ["conduct_warning_sent"]
    assert sent(http.calls[2]) == {
        "ticket": {"comment": {"public": True, "body": "Please keep it civil."}}
    }
    # Only the macro's comment is left to do, as a plain public comment.
    assert caught.value.pending == [Comment("42", "Please keep it civil.", public=True)]


def test_a_macro_changing_the_group_is_a_safe_update(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(f"{API}/macros/9/apply", json={"result": {"ticket": {"group_id": 5, "tags": ["x"]}}})
    http.get(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/tickets/42", json=ticket())
    helpdesk.apply([ApplyMacro("42", "9")])
    assert sent(http.calls[2]) == {
        "ticket": {
            "group_id": 5,
            "additional_tags": ["x"],
            "safe_update": True,
            "updated_stamp": STAMP,
        }
    }


# -- the customer mirror and new tickets -------------------------------------------------------
def test_customer_fields_alone_are_one_put_without_a_read(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.put(f"{API}/users/7", json={"user": {"id": 7}})
    result = helpdesk.apply(
        [
            UpdateCustomer("7", {"conduct_stage": "warned"}),
            UpdateCustomer("7", {"conduct_stage_since": "2026-01-02"}),
        ]
    )
    assert len(http.calls) == 1
    assert sent(http.calls[0]) == {
        "user": {"user_fields": {"conduct_stage": "warned", "conduct_stage_since": "2026-01-02"}}
    }
    assert result.customers_updated == 1


def test_customer_tags_are_read_and_written_as_the_union_in_the_same_put(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.get(
        f"{API}/users/7",
        json={"user": {"id": 7, "tags": ["vip", "conduct_stage_clean"], "user_fields": {}}},
    )
    http.put(f"{API}/users/7", json={"user": {"id": 7}})
    helpdesk.apply(
        [
            UpdateCustomer(
                "7",
                {"conduct_stage": "warned"},
                tags_add=("conduct_stage_warned",),
                tags_remove=("conduct_stage_clean",),
            )
        ]
    )
    assert sent(http.calls[1]) == {
        "user": {
            "user_fields": {"conduct_stage": "warned"},
            "tags": ["vip", "conduct_stage_warned"],
        }
    }


def test_a_customer_already_as_wanted_is_not_written(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(
        f"{API}/users/7",
        json={"user": {"id": 7, "tags": ["conduct_stage_warned"], "user_fields": {"s": "w"}}},
    )
    result = helpdesk.apply([UpdateCustomer("7", {"s": "w"}, tags_add=("conduct_stage_warned",))])
    assert [c.request.method for c in http.calls] == ["GET"]
    assert result.customers_updated == 0


def test_create_ticket_posts_once_with_an_idempotency_key(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.post(f"{API}/tickets", status=201, json=ticket(99))
    action = CreateTicket(None, "Conduct notice", "Dear manager", requester_email="m@example.org")
    result = helpdesk.apply([action])
    assert sent(http.calls[0]) == {
        "ticket": {
            "subject": "Conduct notice",
            "comment": {"body": "Dear manager", "public": True},
            "requester": {"email": "m@example.org"},
        }
    }
    key = http.calls[0].request.headers["Idempotency-Key"]
    assert key.startswith("conduct-") and len(key) > 20
    assert result.tickets_created == 1


def test_a_mixed_batch_costs_one_call_per_target(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/users/7", json={"user": {"id": 7}})
    http.post(f"{API}/tickets", status=201, json=ticket(99))
    result = helpdesk.apply(
        [
            AddTags("42", ("conduct_flagged",)),
            UpdateCustomer("7", {"conduct_stage": "warned"}),
            Comment("42", "note"),
            CreateTicket("7", "Notice", "Text"),
        ]
    )
    assert [(m, p) for m, p, _ in result.calls] == [
        ("PUT", "/api/v2/tickets/{id}"),
        ("PUT", "/api/v2/users/{id}"),
        ("POST", "/api/v2/tickets"),
    ]
    assert result.writes == 3


# -- failures ----------------------------------------------------------------------------------
def test_429_with_retry_after_raises_at_once_without_sleeping(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.put(f"{API}/tickets/42", status=429, headers={"Retry-After": "17"})
    actions = [AddTags("42", ("conduct_flagged",))]
    started = time.monotonic()
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply(actions)
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 17.0
    assert caught.value.status == 429
    assert caught.value.pending == actions


def test_429_without_retry_after_uses_the_default_backoff(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.put(f"{API}/tickets/42", status=429, body="Too Many Requests")
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("42", ("x",))])
    assert caught.value.retry_after == DEFAULT_RATE_LIMIT_BACKOFF


def test_500_is_transient_with_the_jobs_backoff(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", status=500, json={"error": "InternalServerError"})
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("42", ("x",))])
    assert caught.value.status == 500
    assert caught.value.retry_after is None  # the job backs off exponentially


def test_503_with_retry_after_says_when(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", status=503, headers={"Retry-After": "5"})
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("42", ("x",))])
    assert caught.value.retry_after == 5.0


def test_a_timeout_is_transient_and_counted(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", body=requests.ReadTimeout("slow"))
    before = counter("timeout")
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("42", ("x",))])
    assert "timed out" in str(caught.value)
    assert counter("timeout") == before + 1


def test_every_call_has_a_timeout(settings: Any, redis_conn: redis.Redis) -> None:
    seen: list[Any] = []

    class Spy(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            seen.append(kwargs.get("timeout"))
            raise requests.ConnectionError("offline")

    helpdesk = ZendeskHelpdesk(settings, redis_conn, session=Spy())
    with pytest.raises(TransientVendorError):
        helpdesk.whoami()
    assert seen and all(t is not None for t in seen)


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_permanent_statuses(helpdesk: ZendeskHelpdesk, http: Any, status: int) -> None:
    http.put(f"{API}/tickets/42", status=status, json={"error": "RecordNotFound"})
    with pytest.raises(PermanentVendorError) as caught:
        helpdesk.apply([AddTags("42", ("x",))])
    assert caught.value.status == status


def test_a_failure_after_a_write_leaves_only_the_rest_pending(
    helpdesk: ZendeskHelpdesk, http: Any
) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    http.put(f"{API}/users/7", status=429, headers={"Retry-After": "60"})
    customer = UpdateCustomer("7", {"conduct_stage": "warned"})
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("42", ("conduct_flagged",)), Comment("42", "note"), customer])
    assert caught.value.pending == [customer]


def test_calls_are_counted_by_status(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.put(f"{API}/tickets/42", json=ticket())
    before = counter("200")
    helpdesk.apply([AddTags("42", ("x",))])
    assert counter("200") == before + 1


# -- the shared budget ---------------------------------------------------------------------------
def test_slows_down_before_the_endpoint_budget_is_spent(
    helpdesk: ZendeskHelpdesk, http: Any, clock: Clock
) -> None:
    http.put(
        f"{API}/tickets/42",
        json=ticket(),
        headers={
            "x-rate-limit": "700",
            "x-rate-limit-remaining": "650",
            "rate-limit-reset": "40",
            "zendesk-rate-limit-tickets-update": "total=100; remaining=2; resets=30",
        },
    )
    helpdesk.apply([AddTags("42", ("x",))])
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags("43", ("x",))])  # no HTTP: `responses` would fail on it
    assert caught.value.retry_after == pytest.approx(30.0)
    assert caught.value.status is None
    assert len(http.calls) == 1
    # Reads do not draw on the ticket-update budget.
    http.get(f"{API}/users/me", json={"user": {"id": 5}})
    assert helpdesk.whoami() == "5"
    # Once the window has reset, writes go again.
    clock.now += 31
    http.put(f"{API}/tickets/43", json=ticket(43))
    helpdesk.apply([AddTags("43", ("x",))])


def test_the_account_budget_holds_back_every_call(
    helpdesk: ZendeskHelpdesk, http: Any, clock: Clock
) -> None:
    http.get(
        f"{API}/users/me",
        json={"user": {"id": 5}},
        headers={"x-rate-limit": "200", "x-rate-limit-remaining": "3", "ratelimit-reset": "12"},
    )
    helpdesk.whoami()
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.get_customer_fields("7")
    assert caught.value.retry_after == pytest.approx(12.0)


def test_the_budget_is_shared_by_every_worker_through_redis(
    settings: Any, redis_url: str, http: Any, clock: Clock
) -> None:
    first = ZendeskHelpdesk(settings, redis.Redis.from_url(redis_url), clock=clock)
    second = ZendeskHelpdesk(settings, redis.Redis.from_url(redis_url), clock=clock)
    http.put(
        f"{API}/tickets/42",
        json=ticket(),
        headers={"zendesk-rate-limit-tickets-update": "total=100; remaining=5; resets=50"},
    )
    first.apply([AddTags("42", ("x",))])
    # The second worker learnt nothing itself, yet takes from the same budget: 5 left, 2 kept
    # in reserve, so three more writes may go before it waits.
    for tid in ("1", "2", "3"):
        http.put(f"{API}/tickets/{tid}", json=ticket(int(tid)))
        second.apply([AddTags(tid, ("x",))])
    with pytest.raises(TransientVendorError):
        second.apply([AddTags("4", ("x",))])


# -- lookups -------------------------------------------------------------------------------------
def test_whoami_is_learnt_once(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(f"{API}/users/me", json={"user": {"id": 6130907993114}})
    assert helpdesk.whoami() == "6130907993114"
    assert helpdesk.whoami() == "6130907993114"
    assert len(http.calls) == 1


def test_groups_follow_cursor_pages(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(
        f"{API}/groups",
        match=[matchers.query_param_matcher({"page[size]": "100"})],
        json={
            "groups": [{"id": 1, "name": "Support"}],
            "meta": {"has_more": True, "after_cursor": "abc"},
        },
    )
    http.get(
        f"{API}/groups",
        match=[matchers.query_param_matcher({"page[size]": "100", "page[after]": "abc"})],
        json={"groups": [{"id": 2, "name": "Senior Management"}], "meta": {"has_more": False}},
    )
    assert helpdesk.resolve_group("senior management") == "2"
    assert helpdesk.resolve_group("Nobody") is None
    assert len(http.calls) == 2


def test_agent_lookups(helpdesk: ZendeskHelpdesk, http: Any) -> None:
    http.get(
        f"{API}/users/search",
        match=[matchers.query_param_matcher({"query": "sue@example.com"})],
        json={
            "users": [
                {"id": 3, "email": "sue@example.com.au", "role": "agent"},
                {"id": 4, "email": "Sue@example.com", "role": "agent"},
            ]
        },
    )
    http.get(f"{API}/users/4/group_memberships", json={"group_memberships": [{"group_id": 2}]})
    http.get(f"{API}/groups", json={"groups": [{"id": 2, "name": "Supervisors"}]})
    assert helpdesk.resolve_agent("Sue@Example.com") == "4"
    assert helpdesk.agent_groups("4") == ("Supervisors",)
