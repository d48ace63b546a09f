"""The Zendesk adapter against the sandbox over real HTTP (werkzeug on 127.0.0.1:0)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from config.settings import load_settings
from integration.actions import (
    AddTags,
    ApplyMacro,
    Assign,
    Comment,
    CreateTicket,
    SetStatus,
    UpdateCustomer,
)
from integration.helpdesk import TransientVendorError
from integration.registry import helpdesk_for
from integration.sandbox.server import RunningSandbox, running_sandbox
from integration.zendesk.client import ZendeskHelpdesk

WARNING = "360600000001"
ALEX = 360500000101


@pytest.fixture
def box() -> Iterator[RunningSandbox]:
    with running_sandbox({"deliver_api_events": False}) as running:
        yield running


def settings_for(url: str) -> Any:
    return load_settings(
        ZENDESK_SUBDOMAIN="sandbox",
        ZENDESK_EMAIL="conduct-guard@example.com",
        ZENDESK_API_TOKEN="sandbox-token",
        ZENDESK_WEBHOOK_SECRET="s",
        ZENDESK_API_URL=url,
    )


@pytest.fixture
def helpdesk(box: RunningSandbox, redis_conn: redis.Redis) -> Any:
    return helpdesk_for("zendesk", settings_for(box.url), redis_conn)


def control(box: RunningSandbox, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{box.url}/_sandbox/{path}", json=body, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def state(box: RunningSandbox) -> dict[str, Any]:
    data: dict[str, Any] = requests.get(f"{box.url}/_sandbox/state", timeout=10).json()
    return data


def new_ticket(box: RunningSandbox) -> str:
    opened = control(box, "tickets", {"requester_id": ALEX, "body": "hello", "channel": "web"})
    return str(opened["ticket"]["id"])


def test_the_registry_builds_the_zendesk_adapter(box: RunningSandbox) -> None:
    assert isinstance(helpdesk_for("zendesk", settings_for(box.url)), ZendeskHelpdesk)
    with pytest.raises(NotImplementedError):
        helpdesk_for("freshdesk", settings_for(box.url))


def test_a_flagged_message_batch_lands_in_the_sandbox(box: RunningSandbox, helpdesk: Any) -> None:
    tid = new_ticket(box)
    supervisors = helpdesk.resolve_group("Supervisors")
    result = helpdesk.apply(
        [
            AddTags(tid, ("conduct_flagged", "conduct_insult")),
            Comment(tid, "Conduct Guard: insult (evidence ...)", public=False),
            ApplyMacro(tid, WARNING),
            Assign(tid, group_id=supervisors),
            SetStatus(tid, "open"),
            UpdateCustomer(str(ALEX), {"conduct_stage": "warned"}, ("conduct_stage_warned",)),
            CreateTicket(None, "Conduct notice", "Dear manager", requester_email="m@example.org"),
        ]
    )
    data = state(box)
    ticket = next(t for t in data["tickets"] if str(t["id"]) == tid)
    assert ticket["tags"] == ["conduct_flagged", "conduct_insult", "conduct_warning_sent"]
    assert str(ticket["group_id"]) == supervisors and ticket["status"] == "open"
    bodies = [(c["public"], c["body"][:14]) for c in ticket["comments"]]
    assert bodies == [(True, "hello"), (False, "Conduct Guard:"), (True, "Hello {{ticket")]
    alex = next(u for u in data["users"] if u["id"] == ALEX)
    assert alex["user_fields"]["conduct_stage"] == "warned"
    assert alex["tags"] == ["conduct_stage_warned"]
    assert any(t["subject"] == "Conduct notice" for t in data["tickets"])
    # Macro read, ticket read (safe_update), 2 ticket PUTs (two comments), user read + PUT, POST.
    writes = [(c["method"], c["path"]) for c in data["calls"] if c["method"] != "GET"]
    assert writes == [
        ("PUT", f"/api/v2/tickets/{tid}"),
        ("PUT", f"/api/v2/tickets/{tid}"),
        ("PUT", f"/api/v2/users/{ALEX}"),
        ("POST", "/api/v2/tickets"),
    ]
    assert result.writes == 4


def test_a_person_changing_the_ticket_mid_update_is_a_409_then_a_retry(
    box: RunningSandbox, redis_conn: redis.Redis
) -> None:
    tid = new_ticket(box)

    class Interleaving(requests.Session):
        """After the adapter reads the ticket once, a customer replies (the ticket changes)."""

        reads = 0

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            response = super().request(method, url, *args, **kwargs)
            if method == "GET" and url.endswith(f"/tickets/{tid}"):
                Interleaving.reads += 1
                if Interleaving.reads == 1:
                    control(box, f"tickets/{tid}/comments", {"body": "any news?"})
            return response

    helpdesk = ZendeskHelpdesk(settings_for(box.url), redis_conn, session=Interleaving())
    helpdesk.apply([SetStatus(tid, "pending")])
    statuses = [(c["method"], c["status"]) for c in state(box)["calls"] if c["path"].endswith(tid)]
    assert statuses == [("GET", 200), ("PUT", 409), ("GET", 200), ("PUT", 200)]
    ticket = next(t for t in state(box)["tickets"] if str(t["id"]) == tid)
    assert ticket["status"] == "pending"


def test_the_adapter_waits_before_the_sandboxs_limit_instead_of_hitting_it(
    box: RunningSandbox, helpdesk: Any
) -> None:
    control(box, "config", {"ticket_update_limit": 3})
    tids = [new_ticket(box) for _ in range(3)]
    helpdesk.apply([AddTags(tids[0], ("a",))])
    helpdesk.apply([AddTags(tids[1], ("a",))])
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags(tids[2], ("a",))])  # 1 left of 3: kept in reserve
    assert 0 < (caught.value.retry_after or 0) <= 60
    assert all(c["status"] != 429 for c in state(box)["calls"])
    assert sum(c["method"] == "PUT" for c in state(box)["calls"]) == 2


def test_a_real_429_from_the_per_ticket_limit_is_transient(
    box: RunningSandbox, helpdesk: Any
) -> None:
    control(box, "config", {"per_ticket_limit": 1})
    tid = new_ticket(box)
    helpdesk.apply([AddTags(tid, ("a",))])
    with pytest.raises(TransientVendorError) as caught:
        helpdesk.apply([AddTags(tid, ("b",))])
    assert caught.value.status == 429 and caught.value.retry_after is not None


def test_lookups_against_the_seed(helpdesk: Any) -> None:
    assert helpdesk.whoami() == "360500000001"
    sue = helpdesk.resolve_agent("sue.supervisor@example.com")
    assert sue == "360500000004"
    assert set(helpdesk.agent_groups(sue)) == {"Support", "Supervisors"}
    assert helpdesk.resolve_agent("alex.customer@example.org") is None  # not an agent
    assert helpdesk.customer_field_key("360400000001") == "conduct_stage"
    assert helpdesk.get_customer_fields(str(ALEX))["conduct_stage"] is None
    org = helpdesk.get_organization("360200000001")
    assert org["name"] == "Harbour Freight Ltd"
    assert org["fields"]["management_contact_email"] == "ops.director@example.org"
