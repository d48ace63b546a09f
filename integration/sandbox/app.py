"""`create_sandbox_app(config) -> Flask`: the sandbox helpdesk (DESIGN.md, "The sandbox")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from integration.sandbox import agent_edits, api, controls
from integration.sandbox.config import SandboxConfig
from integration.sandbox.core import Sandbox
from integration.sandbox.store import SEED


def create_sandbox_app(
    config: SandboxConfig | dict[str, Any] | None = None, *, seed_path: Path = SEED
) -> Flask:
    if not isinstance(config, SandboxConfig):
        settings = SandboxConfig()
        settings.update(dict(config or {}))
        config = settings
    app = Flask("conduct-sandbox")
    app.extensions["sandbox"] = Sandbox(config, seed_path)
    api.register(app)
    controls.register(app)
    agent_edits.register(app)  # issue 6: an agent's own tag edits (decisions by non-managers)
    return app
