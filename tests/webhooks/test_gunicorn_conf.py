from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from config.logging import JsonFormatter
from config.settings import Settings
from webhooks.app import create_app
from webhooks.gunicorn_conf import post_worker_init


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_workers_log_json_at_the_configured_level(
    root_logging: logging.Logger, redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=redis_url,
        conduct_data_dir=tmp_path,
        conduct_log_level="warning",
        _env_file=None,  # type: ignore[call-arg]
    )
    post_worker_init(SimpleNamespace(wsgi=create_app(settings)))
    assert root_logging.level == logging.WARNING
    assert [type(h.formatter) for h in root_logging.handlers] == [JsonFormatter]


def test_an_app_without_conduct_settings_is_left_alone(root_logging: logging.Logger) -> None:
    before = root_logging.handlers[:]
    post_worker_init(SimpleNamespace(wsgi=Flask("bare")))
    assert root_logging.handlers == before
