"""The adapter against real Zendesk answers (zenpy's recordings, MIT; see the fixtures README)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
import responses

from config.settings import load_settings
from integration.actions import AddTags, SetStatus, UpdateCustomer
from integration.helpdesk import PermanentVendorError
from integration.zendesk import client as client_module
from integration.zendesk.client import ZendeskHelpdesk
from integration.zendesk.ratelimit import Budget, parse_budgets

HOST = "https://acme.zendesk.com"


@pytest.fixture
def helpdesk(redis_conn: redis.Redis) -> ZendeskHelpdesk:
    settings = load_settings(
        ZENDESK_SUBDOMAIN="acme",
        ZENDESK_EMAIL="bot@example.com",
        ZENDESK_API_TOKEN="tok",
        ZENDESK_WEBHOOK_SECRET="s",
    )
    return ZendeskHelpdesk(settings, redis_conn)


@pytest.fixture
def http() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_recorded_rate_limit_headers_are_understood(recordings: Any) -> None:
    load = recordings.load
    update = load("TestTicketCreateUpdateDelete.test_single_object_update-update-single.json")[1]
    assert update.method == "PUT"
    assert parse_budgets(update.headers) == {
        "account": Budget(total=700, remaining=696, resets_in=59.0),
        "tickets-update": Budget(total=20, remaining=19, resets_in=59.0),
    }
    listing = load("TestGroupMemberships.test_values.json")[0]  # lists say `ratelimit-reset`
    assert parse_budgets(listing.headers)["account"] == Budget(700, 669, 41.0)


def test_a_recorded_ticket_update_answer_completes_the_write(
    helpdesk: ZendeskHelpdesk, http: Any, recordings: Any
) -> None:
    replay = recordings.Replay(
        recordings.load("TestTicketCreateUpdateDelete.test_single_object_update-update-single.json")
    )
    replay.install(http, HOST)
    result = helpdesk.apply([AddTags("4016", ("conduct_flagged",))])
    assert [(i.method, i.path) for i in replay.served] == [("PUT", "/api/v2/tickets/4016")]
    assert result.tickets_updated == 1
    assert result.calls == [("PUT", "/api/v2/tickets/{id}", 200)]


def test_the_recorded_404_is_permanent(
    helpdesk: ZendeskHelpdesk, http: Any, recordings: Any
) -> None:
    name = (
        "TestTicketCreateUpdateDelete.test_single_update_raises_recordnotfoundexception"
        "-recordnotfound-update.json"
    )
    recordings.Replay(recordings.load(name)).install(http, HOST)
    with pytest.raises(PermanentVendorError) as caught:
        helpdesk.apply([AddTags("9223372036854775807", ("x",))])
    assert caught.value.status == 404
    assert "RecordNotFound" in str(caught.value)


def test_safe_update_takes_the_stamp_from_the_recorded_ticket(
    helpdesk: ZendeskHelpdesk, http: Any, recordings: Any
) -> None:
    recorded = recordings.load("TestIncrementalObjectUpdate.test_clean_dirty-setup.json")
    recordings.Replay([i for i in recorded if i.method == "GET"]).install(http, HOST)
    http.put(f"{HOST}/api/v2/tickets/1", json={"ticket": {"id": 1}})
    helpdesk.apply([SetStatus("1", "pending")])
    put = json.loads(http.calls[-1].request.body)
    assert put["ticket"]["updated_stamp"] == "2023-09-09T23:52:05Z"  # the recorded updated_at
    assert put["ticket"]["safe_update"] is True


def test_a_recorded_user_update_answer_completes_the_mirror_write(
    helpdesk: ZendeskHelpdesk, http: Any, recordings: Any
) -> None:
    recorded = recordings.load(
        "TestUserCreateUpdateDelete.test_single_object_update-update-single.json"
    )
    recordings.Replay([i for i in recorded if i.method == "PUT"]).install(http, HOST)
    result = helpdesk.apply([UpdateCustomer("6164069236122", {"conduct_stage": "warned"})])
    assert result.customers_updated == 1


def test_groups_follow_the_recorded_cursor_chain(
    helpdesk: ZendeskHelpdesk, http: Any, recordings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = recordings.load("TestGroupCreateUpdateDelete.test_pagination.json")
    chain = [i for i in recorded if i.method == "GET" and i.query.get("page[size]") == "1"]
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)
    replay = recordings.Replay(chain)
    replay.install(http, HOST)
    assert helpdesk.resolve_group("🎯Support") == "6136065314586"
    assert helpdesk.resolve_group("Support") == "6130852536346"
    assert len(replay.served) == len(chain)  # every recorded page, following after_cursor
