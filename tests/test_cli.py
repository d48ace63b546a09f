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


@pytest.mark.parametrize(("given", "expected"), [([], "6"), (["--workers", "3"], "3")])
def test_serve_runs_gunicorn_with_two_workers_per_core_unless_told(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: os.PathLike[str],
    redis_url: str,
    given: list[str],
    expected: str,
) -> None:
    import subprocess

    from webhooks import workers

    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("ZENDESK_EMAIL", "bot@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "token")
    monkeypatch.setenv("ZENDESK_WEBHOOK_SECRET", "secret")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # restored after the test
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda args, env: calls.append(args) or 0)
    result = CliRunner().invoke(main, ["serve", *given])
    assert result.exit_code == 0, result.output
    (args,) = calls
    assert args[args.index("-w") + 1] == expected
    assert f"({expected} workers)" in result.output


def test_jobs_failed_lists_and_jobs_requeue_reruns(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """`conduct jobs failed` / `conduct jobs requeue` against a real Redis and RQ worker."""
    import redis
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from ticket_actions.queues import APPLY_QUEUE, queue
    from ticket_actions.worker import make_worker

    connection = redis.Redis.from_url(redis_url)
    job = queue(connection, APPLY_QUEUE).enqueue("builtins.int", "not a number")
    make_worker(connection).work(burst=True, logging_level="WARNING")
    monkeypatch.setenv("REDIS_URL", redis_url)
    listed = CliRunner().invoke(main, ["jobs", "failed"])
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    assert line.startswith(f"{job.id}\t{APPLY_QUEUE}\tbuiltins.int\t")
    assert "ValueError" in line
    requeued = CliRunner().invoke(main, ["jobs", "requeue", job.id])
    assert requeued.output.strip() == "requeued 1 job(s)"
    assert CliRunner().invoke(main, ["jobs", "failed"]).output == ""
    assert Job.fetch(job.id, connection, serializer=JSONSerializer).get_status() == "queued"
