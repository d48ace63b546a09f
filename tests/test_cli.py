from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture(autouse=True)
def no_vendor(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    for name in list(os.environ):
        if name.startswith(("ZENDESK_", "FRESHDESK_", "REDIS_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_serve_refuses_without_a_helpdesk_and_says_why() -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "no helpdesk is configured" in result.output
    assert "ZENDESK_" in result.output


def test_partly_configured_vendor_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("ZENDESK_EMAIL", "bot@example.com")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "ZENDESK_API_TOKEN is not set" in result.output


@pytest.mark.parametrize("command", ["serve", "worker", "demo", "sandbox", "jobs"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_a_public_offensive_head_needs_a_public_set_to_tune_for(tmp_path: os.PathLike[str]) -> None:
    result = CliRunner().invoke(
        main, ["train", "--offensive-head", "public", "--out", os.fspath(tmp_path), "--quiet"]
    )
    assert result.exit_code == 2
    assert "--data olid" in result.output
    assert not os.listdir(tmp_path)  # refused before any training
