from __future__ import annotations

from pathlib import Path

import redis

from config.redis_server import answers, start_embedded_redis


def test_embedded_redis_persists_with_aof_and_is_reused(tmp_path: Path) -> None:
    server = start_embedded_redis(tmp_path / "r")
    try:
        client = redis.Redis.from_url(server.url)
        assert client.config_get("appendonly")["appendonly"] == "yes"
        client.set("conduct:test", "kept")
        again = start_embedded_redis(tmp_path / "r")
        assert again.process is None  # the running server is reused, not replaced
        assert again.url == server.url
    finally:
        server.stop()
    assert not answers(server.url)
    restarted = start_embedded_redis(tmp_path / "r")
    try:
        assert redis.Redis.from_url(restarted.url).get("conduct:test") == b"kept"
    finally:
        restarted.stop()
