"""The sandbox's views (the seeded "Restricted customers") and the agent's own tag edits: the
recorded shapes, the documented conditions, and exactly the tickets a view selects. Driven only
through HTTP (`/api/v2/...` and `/_sandbox/...`)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from integration.sandbox.app import create_sandbox_app
from integration.sandbox.views import matches

API_USER = "conduct-guard@example.com"
VIEW = 360700000001  # Restricted customers
ALEX, JORDAN, CASEY = 360500000101, 360500000102, 360500000103
SAM = 360500000002
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{API_USER}/token:t".encode()).decode()}


@pytest.fixture
def client() -> FlaskClient:
    return create_sandbox_app({}).test_client()


def _get(client: FlaskClient, path: str) -> Any:
    response = client.get(f"/api/v2{path}", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.get_json()


def _open(client: FlaskClient, requester: int, body: str = "Hello") -> int:
    answer = client.post("/_sandbox/tickets", json={"requester_id": requester, "body": body})
    assert answer.status_code == 201
    return int(answer.get_json()["ticket"]["id"])


def _restrict(client: FlaskClient, user: int) -> None:
    response = client.put(f"/_sandbox/users/{user}", json={"tags": ["conduct_restricted"]})
    assert response.status_code == 200


def test_views_have_the_recorded_shapes(client: FlaskClient, recordings: SimpleNamespace) -> None:
    recorded = recordings.load("TestViews.test_count_views.json")
    created = next(i for i in recorded if i.method == "POST").json()["view"]
    count = next(i for i in recorded if i.path.endswith("/views/count")).json()
    view = _get(client, f"/views/{VIEW}")["view"]
    assert set(view) == set(created)
    assert set(view["execution"]) == set(created["execution"])
    assert set(view["conditions"]) == {"all", "any"}
    assert view["title"] == "Restricted customers"
    assert set(_get(client, "/views/count")["count"]) == set(count["count"])
    listed = _get(client, "/views.json")
    assert [v["id"] for v in listed["views"]] == [VIEW]
    assert [v["id"] for v in _get(client, "/views/active")["views"]] == [VIEW]
    assert client.get("/api/v2/views/1", headers=AUTH).status_code == 404
    assert client.get(f"/api/v2/views/{VIEW}").status_code == 401  # authenticated like the rest


def test_the_restricted_customers_view_returns_exactly_their_open_tickets(
    client: FlaskClient,
) -> None:
    before = _open(client, ALEX)  # opened before the restriction: no tag
    _restrict(client, ALEX)
    _restrict(client, CASEY)
    alex = [_open(client, ALEX), _open(client, ALEX)]
    casey = _open(client, CASEY)
    jordan = _open(client, JORDAN)
    selected = _get(client, f"/views/{VIEW}/tickets")["tickets"]
    assert [t["id"] for t in selected] == sorted([*alex, casey], reverse=True)  # newest first
    assert before not in [t["id"] for t in selected] and jordan not in [t["id"] for t in selected]
    # cursor pages, as recorded
    first = _get(client, f"/views/{VIEW}/tickets?page[size]=2")
    assert first["meta"]["has_more"] is True and len(first["tickets"]) == 2
    count = _get(client, f"/views/{VIEW}/count")["view_count"]
    assert count["value"] == 3 and count["view_id"] == VIEW and count["fresh"] is True


@pytest.mark.parametrize(
    ("condition", "ticket", "expected"),
    [
        ({"field": "status", "operator": "less_than", "value": "solved"}, {"status": "hold"}, True),
        ({"field": "status", "operator": "less_than", "value": "solved"}, {"status": "solved"},
         False),
        ({"field": "status", "operator": "greater_than", "value": "open"}, {"status": "pending"},
         True),
        ({"field": "status", "operator": "is_not", "value": "new"}, {"status": "new"}, False),
        ({"field": "current_tags", "operator": "includes", "value": "a b"}, {"tags": ["b"]}, True),
        ({"field": "current_tags", "operator": "not_includes", "value": "a b"}, {"tags": ["b"]},
         False),
        ({"field": "requester_id", "operator": "is", "value": "5"}, {"requester_id": 5}, True),
        ({"field": "assignee_id", "operator": "is", "value": ""}, {"assignee_id": None}, True),
    ],
)  # fmt: skip
def test_view_conditions(condition: dict[str, Any], ticket: dict[str, Any], expected: bool) -> None:
    assert matches(condition, ticket) is expected


def test_an_agent_can_type_any_tag_by_hand_customers_cannot(client: FlaskClient) -> None:
    ticket = _open(client, ALEX)
    response = client.post(
        f"/_sandbox/tickets/{ticket}/edit",
        json={"agent_id": SAM, "add_tags": ["conduct_decision_terminate"]},
    )
    assert response.status_code == 200
    assert "conduct_decision_terminate" in response.get_json()["ticket"]["tags"]
    refused = client.post(f"/_sandbox/tickets/{ticket}/edit",
                          json={"agent_id": ALEX, "add_tags": ["x"]})  # fmt: skip
    assert refused.status_code == 403
