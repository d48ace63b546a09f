"""Running the sandbox: in a background thread (tests, benchmarks, a demo in one process) or in
the foreground (`conduct sandbox`, which `conduct demo` starts as a subprocess).

    from integration.sandbox.server import running_sandbox
    with running_sandbox({"webhook_url": url, "webhook_secret": s}) as box:
        settings = load_settings(ZENDESK_API_URL=box.url, ...)   # box.url: http://127.0.0.1:<port>
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from integration.sandbox.app import create_sandbox_app
from integration.sandbox.config import SandboxConfig


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (the sandbox keeps its own call log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class RunningSandbox:
    url: str  # scheme, host and port: what ZENDESK_API_URL takes
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_sandbox(
    config: SandboxConfig | dict[str, Any] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> RunningSandbox:
    """Serve a fresh sandbox from a daemon thread (port 0: any free port); call `.stop()`."""
    app = create_sandbox_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="sandbox-http", daemon=True)
    thread.start()
    return RunningSandbox(f"http://{host}:{server.server_port}", app, server, thread)


@contextmanager
def running_sandbox(
    config: SandboxConfig | dict[str, Any] | None = None, **options: Any
) -> Iterator[RunningSandbox]:
    running = start_sandbox(config, **options)
    try:
        yield running
    finally:
        running.stop()


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 5001) -> None:
    """Serve in the foreground until SIGTERM or Ctrl-C (`conduct sandbox`)."""
    app = create_sandbox_app(config)
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"conduct sandbox: Zendesk API at http://{host}:{server.server_port}/api/v2", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
