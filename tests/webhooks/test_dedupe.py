from __future__ import annotations

import redis

from webhooks.dedupe import DEDUPE_TTL, dedupe_key, first_delivery, forget


def test_first_delivery_once_per_id_and_vendor(redis_conn: redis.Redis) -> None:
    assert first_delivery(redis_conn, "zendesk", "e1") is True
    assert first_delivery(redis_conn, "zendesk", "e1") is False
    assert first_delivery(redis_conn, "freshdesk", "e1") is True
    assert first_delivery(redis_conn, "zendesk", "e2") is True


def test_keys_live_seven_days(redis_conn: redis.Redis) -> None:
    first_delivery(redis_conn, "zendesk", "e1")
    assert DEDUPE_TTL == 7 * 24 * 3600
    assert DEDUPE_TTL - 5 < redis_conn.ttl(dedupe_key("zendesk", "e1")) <= DEDUPE_TTL


def test_forget_lets_the_retry_through(redis_conn: redis.Redis) -> None:
    first_delivery(redis_conn, "zendesk", "e1")
    forget(redis_conn, "zendesk", "e1")
    assert first_delivery(redis_conn, "zendesk", "e1") is True
