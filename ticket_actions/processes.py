"""Starting and stopping the project's own processes (the demo, end-to-end tests, benchmarks).

Every process is a `conduct` subcommand run with this interpreter, its output in a log file,
stopped with SIGTERM (then SIGKILL) so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Managed:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_conduct(name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> Managed:
    """Run `conduct <args>` in its own process group, output to `<log_dir>/<name>.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "cli", *args],
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    return Managed(name, process, log_path)


def wait_http(url: str, managed: Managed, timeout: float = 30.0) -> None:
    """Wait until `url` answers (any status below 500), or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if managed.process.poll() is not None:
            raise RuntimeError(
                f"{managed.name} exited with {managed.process.returncode}:\n{managed.log_tail()}"
            )
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{managed.name} did not answer {url} in {timeout:.0f} s")


@contextlib.contextmanager
def stopping(processes: list[Managed]) -> Iterator[list[Managed]]:
    """Stop every process started inside the block, in reverse order, whatever happens."""
    try:
        yield processes
    finally:
        for managed in reversed(processes):
            managed.stop()
