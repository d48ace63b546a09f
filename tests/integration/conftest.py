"""Fixtures for the integration tests: the betamax recordings in tests/fixtures/zendesk/recorded
(zenpy's, MIT; see the README there), read and replayed through `responses`.

Test modules are not importable from each other (importlib mode), so the helpers are handed out
by the `recordings` fixture: `recordings.load(name)` and `recordings.Replay(interactions)`."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "zendesk" / "recorded"
_DROP = {"content-encoding", "transfer-encoding", "content-length", "connection"}


@dataclass
class Interaction:
    method: str
    path: str  # without host and `.json`
    query: dict[str, str]
    request_body: str
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def _body(raw: dict[str, Any]) -> str:
    if raw.get("base64_string"):
        data = base64.b64decode(raw["base64_string"])
        with contextlib.suppress(OSError):
            data = gzip.decompress(data)
        return data.decode()
    return str(raw.get("string") or "")


def _split(uri: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(uri)
    return re.sub(r"\.json$", "", parts.path), dict(parse_qsl(parts.query))


def load(name: str) -> list[Interaction]:
    data = json.loads((RECORDED / name).read_text())
    found = []
    for item in data["http_interactions"]:
        request, response = item["request"], item["response"]
        path, query = _split(request["uri"])
        headers = {k: v[0] for k, v in response["headers"].items() if k.lower() not in _DROP and v}
        found.append(
            Interaction(
                request["method"],
                path,
                query,
                _body(request["body"]),
                response["status"]["code"],
                headers,
                _body(response["body"]),
            )
        )
    return found


class Replay:
    """A `responses` callback answering each request with the next matching recording."""

    def __init__(self, interactions: list[Interaction]) -> None:
        self.pending = list(interactions)
        self.served: list[Interaction] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        path, query = _split(request.url)
        for item in self.pending:
            if item.method == request.method and item.path == path and item.query == query:
                self.pending.remove(item)
                self.served.append(item)
                return item.status, item.headers, item.body
        raise AssertionError(f"no recording for {request.method} {request.url}")

    def install(self, mock: Any, host: str) -> None:
        for method in {i.method for i in self.pending}:
            mock.add_callback(method, re.compile(re.escape(host) + r"/api/v2/.*"), callback=self)


@pytest.fixture
def recordings() -> SimpleNamespace:
    return SimpleNamespace(load=load, Replay=Replay)
