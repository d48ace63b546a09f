"""The shared rate budget across a window's rollover, in both stores (memory and real Redis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from integration.helpdesk import TransientVendorError
from integration.zendesk.ratelimit import (
    BudgetStore,
    MemoryBudgetStore,
    RateBudget,
    RedisBudgetStore,
)

ROUTE = "PUT tickets/{id}"


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, redis_url: str) -> Iterator[BudgetStore]:
    if request.param == "memory":
        yield MemoryBudgetStore()
    else:
        yield RedisBudgetStore(redis.Redis.from_url(redis_url), "test")


def headers(remaining: int, resets: int, total: int = 100) -> dict[str, str]:
    return {
        "x-rate-limit": "700",
        "x-rate-limit-remaining": "690",
        "rate-limit-reset": str(resets),
        "zendesk-rate-limit-tickets-update": (
            f"total={total}; remaining={remaining}; resets={resets}"
        ),
    }


def calls_allowed(budget: RateBudget, most: int = 200) -> int:
    for allowed in range(most):
        try:
            budget.reserve(ROUTE)
        except TransientVendorError:
            return allowed
    return most


def test_a_new_window_does_not_inherit_the_spent_one(store: BudgetStore) -> None:
    now = [1000.0]
    budget = RateBudget(store, lambda: now[0])
    budget.observe(ROUTE, headers(remaining=5, resets=1))  # the old window, nearly spent
    now[0] += 0.5  # Zendesk's window rolled over before ours (whole-second resets)
    budget.observe(ROUTE, headers(remaining=99, resets=60))
    assert calls_allowed(budget) == 99 - 2  # 2 kept in reserve for agents


def test_a_late_answer_from_the_old_window_is_ignored(store: BudgetStore) -> None:
    now = [1000.0]
    budget = RateBudget(store, lambda: now[0])
    budget.observe(ROUTE, headers(remaining=99, resets=60))
    budget.observe(ROUTE, headers(remaining=1, resets=1))  # sent before the rollover
    assert calls_allowed(budget) == 99 - 2


def test_within_one_window_the_lower_count_wins(store: BudgetStore) -> None:
    now = [1000.0]
    budget = RateBudget(store, lambda: now[0])
    budget.observe(ROUTE, headers(remaining=10, resets=30))
    now[0] += 0.4
    budget.observe(ROUTE, headers(remaining=12, resets=30))  # answered out of order
    assert calls_allowed(budget) == 10 - 2
