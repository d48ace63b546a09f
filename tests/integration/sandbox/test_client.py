"""`SandboxClient` against a running sandbox (real HTTP); the sandbox's webhook deliveries go to
a `responses` receiver whose answer each test chooses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from integration.sandbox.client import SandboxClient, SandboxError
from integration.sandbox.server import RunningSandbox, start_sandbox

HOOK = "https://hooks.example.test/webhooks/zendesk"
ALEX, SAM, SUE = 360500000101, 360500000002, 360500000004
REFER_COMPLAINTS = 360600000003  # a macro for Supervisors only (seed)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox({"webhook_url": HOOK, "webhook_secret": "client-secret"})
    yield running
    running.stop()


def _receiver(sandbox: RunningSandbox, status: int) -> responses.RequestsMock:
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_passthru(sandbox.url)
    mock.add("POST", HOOK, status=status)
    return mock


def test_a_customer_writes_and_the_helpdesk_shows_it(sandbox: RunningSandbox) -> None:
    client = SandboxClient(sandbox.url, strict=True)
    with _receiver(sandbox, 202):
        opened = client.open_ticket("Where is my parcel?", requester_id=ALEX, channel="chat")
        ticket_id = int(opened["ticket"]["id"])
        assert opened["deliveries"] and set(opened["deliveries"]) == {202}
        client.comment(ticket_id, ALEX, "Any news?")
        ticket = client.ticket(ticket_id)
    assert ticket["requester_id"] == ALEX
    assert [c["body"] for c in ticket["comments"]] == ["Where is my parcel?", "Any news?"]
    assert client.user(ALEX)["id"] == ALEX
    assert client.comments_by_plugin(ticket_id, public=False) == []


def test_strict_fails_when_the_web_tier_refuses_a_delivery(sandbox: RunningSandbox) -> None:
    with _receiver(sandbox, 401):
        answer = SandboxClient(sandbox.url).open_ticket("Hello", requester_id=ALEX)
        assert set(answer["deliveries"]) == {401}  # reported, not raised
        with pytest.raises(SandboxError, match="deliveries answered") as refused:
            SandboxClient(sandbox.url, strict=True).open_ticket("Hello again", requester_id=ALEX)
    assert refused.value.status is None


def test_a_refused_control_raises_with_its_status(sandbox: RunningSandbox) -> None:
    client = SandboxClient(sandbox.url)
    with _receiver(sandbox, 202):
        ticket_id = client.open_ticket("Hello", requester_id=ALEX)["ticket"]["id"]
        with pytest.raises(SandboxError) as refused:
            client.apply_macro(ticket_id, REFER_COMPLAINTS, SAM)  # not Sam's group's macro
        assert refused.value.status == 403
        client.apply_macro(ticket_id, REFER_COMPLAINTS, SUE)
    assert client.ticket(ticket_id)["group_id"] == client.group("Complaint Management")
