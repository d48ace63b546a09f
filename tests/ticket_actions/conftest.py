"""Fixtures for the jobs: a recording helpdesk installed in the worker runtime.

`RecordingHelpdesk` is a test double of the vendor *adapter* (the adapters are tested at the
HTTP boundary under tests/integration); Redis, RQ and the worker stay real.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from config.settings import Settings
from integration.actions import Action
from integration.helpdesk import ApplyResult
from ticket_actions.runtime import Runtime, set_runtime


class RecordingHelpdesk:
    vendor = "zendesk"

    def __init__(self) -> None:
        self.batches: list[list[Action]] = []
        self.failures: list[Exception] = []
        self.lookup_failures: list[Exception] = []  # raised by `get_customer_fields`

    def apply(self, actions: Sequence[Action]) -> ApplyResult:
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(list(actions))
        return ApplyResult(calls=[("PUT", "/api/v2/tickets/{id}", 200)], tickets_updated=1)

    def whoami(self) -> str:
        return "1"

    def get_customer_fields(self, customer_id: str) -> dict[str, Any]:
        if self.lookup_failures:
            raise self.lookup_failures.pop(0)
        return {}

    def resolve_group(self, name: str) -> str | None:
        return None


@pytest.fixture
def helpdesk(redis_conn: redis.Redis, tmp_path: Path) -> Iterator[RecordingHelpdesk]:
    desk = RecordingHelpdesk()
    settings = Settings(redis_url="redis://unused", conduct_data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    set_runtime(Runtime(settings, redis_conn, {"zendesk": desk}))
    yield desk
    set_runtime(None)
