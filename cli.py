"""`conduct`: the command line. The one module that may import every package.

Imports are made inside each command so that `conduct classify` starts cold in well under a
second and no command pays for another's dependencies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from config.settings import Settings


def _settings_or_exit() -> Settings:
    from config.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"conduct: configuration error: {exc}", err=True)
        sys.exit(2)


def _multiprocess_metrics(settings: Settings, *, fresh: bool) -> None:
    """Set PROMETHEUS_MULTIPROC_DIR before prometheus_client is imported anywhere."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = settings.conduct_data_dir / "metrics"
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _default_web_workers() -> int:
    from webhooks.workers import default_workers

    return default_workers()


def _logging(settings: Settings) -> None:
    from config.logging import configure_logging

    configure_logging(settings.conduct_log_level)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Conduct Guard: enforce a customer-conduct policy inside Zendesk and Freshdesk."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, help="Port to bind.")
@click.option(
    "--workers",
    default=_default_web_workers,
    show_default="2 per core",
    type=click.IntRange(1, 64),
    help="gunicorn sync worker processes.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the webhook receiver (Flask under gunicorn). Never calls a vendor."""
    settings = _settings_or_exit()
    if not settings.enabled_vendors:
        click.echo(
            "conduct serve: no helpdesk is configured, so there is nothing to receive. Set the "
            "ZENDESK_* variables (or FRESHDESK_*); see README.md, Configuration.",
            err=True,
        )
        sys.exit(2)
    _multiprocess_metrics(settings, fresh=True)
    from config.redis_server import ensure_redis, redis_url_for

    embedded = ensure_redis(settings)
    env = {**os.environ, "REDIS_URL": redis_url_for(settings)}
    conf = Path(__file__).resolve().parent / "webhooks" / "gunicorn_conf.py"
    args = [
        sys.executable, "-m", "gunicorn",
        "-c", str(conf),
        "-w", str(workers),
        "-b", f"{host}:{port}",
        "wsgi:app",
    ]  # fmt: skip
    click.echo(f"conduct serve: listening on http://{host}:{port} ({workers} workers)", err=True)
    try:
        code = subprocess.call(args, env=env)  # noqa: S603 - our own interpreter and module
    except KeyboardInterrupt:
        code = 0
    finally:
        if embedded is not None:
            embedded.stop()
    sys.exit(code)


@main.command()
@click.option(
    "--burst", is_flag=True, help="Work until drained (delayed jobs included), then exit."
)
def worker(burst: bool) -> None:
    """Run an RQ worker over the urgent and default queues, with the sweep."""
    settings = _settings_or_exit()
    from config.policy import PolicyError, policy_for

    try:
        policy_for(settings)  # a broken policy.yaml stops start-up with file, line and field
    except PolicyError as exc:
        click.echo(f"conduct worker: policy error: {exc}", err=True)
        sys.exit(2)
    _multiprocess_metrics(settings, fresh=False)
    _logging(settings)
    import redis

    from config.redis_server import ensure_redis, redis_url_for
    from ticket_actions.jobs import run_sweep
    from ticket_actions.worker import make_worker, work_until_drained

    embedded = ensure_redis(settings)
    connection = redis.Redis.from_url(redis_url_for(settings))
    try:
        if burst:
            work_until_drained(connection, run_sweep)
        else:
            make_worker(connection, run_sweep).work(with_scheduler=True)
    finally:
        if embedded is not None:
            embedded.stop()


@main.group()
def jobs() -> None:
    """Inspect and re-run jobs that failed (permanent vendor errors, retries given up)."""


@jobs.command("failed")
def jobs_failed() -> None:
    """List failed jobs: id, function, when, and the error's last line."""
    from ticket_actions.failed import failed_jobs

    for row in failed_jobs(_connection()):
        click.echo("\t".join(str(v) for v in row.values()))


@jobs.command("requeue")
@click.argument("job_ids", nargs=-1)
def jobs_requeue(job_ids: tuple[str, ...]) -> None:
    """Re-run failed jobs (all of them when no id is given)."""
    from ticket_actions.failed import requeue_failed

    count = requeue_failed(_connection(), list(job_ids) or None)
    click.echo(f"requeued {count} job(s)")


def _connection() -> Any:
    import redis

    from config.redis_server import ensure_redis, redis_url_for

    settings = _settings_or_exit()
    ensure_redis(settings)
    return redis.Redis.from_url(redis_url_for(settings))


@main.command()
@click.option("--keep", is_flag=True, help="Keep var/demo (Redis data, logs) afterwards.")
def demo(keep: bool) -> None:
    """Run everything locally against the sandbox helpdesk and print a report."""
    from ticket_actions.demo import run_demo

    sys.exit(run_demo(keep=keep))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=5001, show_default=True, help="Port to bind (0: any free one).")
@click.option("--webhook-url", default=None, help="Where to deliver signed webhook events.")
@click.option("--webhook-secret", default=None, help="The webhook's signing secret.")
@click.option(
    "--time-scale", default=1.0, show_default=True, help="Sandbox seconds per real second."
)
def sandbox(
    host: str, port: int, webhook_url: str | None, webhook_secret: str | None, time_scale: float
) -> None:
    """Run the sandbox helpdesk alone: Zendesk's API paths, signed webhooks, /_sandbox/ controls."""
    from integration.sandbox.config import SandboxConfig
    from integration.sandbox.server import serve

    config = SandboxConfig(
        webhook_url=webhook_url, webhook_secret=webhook_secret, time_scale=time_scale
    )
    serve(config, host=host, port=port)


@main.group()
def bench() -> None:
    """Benchmarks: each prints its figures and a ratio against a baseline run alongside."""


@bench.command("ingest", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_ingest(args: tuple[str, ...]) -> None:
    """Webhook deliveries/s and latency: `conduct serve` vs a bare 202 app (--help for options)."""
    from webhooks.bench_ingest import ingest_command  # loaded only when run (cold start)

    ingest_command.main(list(args), prog_name="conduct bench ingest")


def _conduct_ladder_commands() -> None:
    from ticket_actions.commands import audit, erase, feedback  # click only at import

    main.add_command(audit)
    main.add_command(erase)
    main.add_command(feedback)


_conduct_ladder_commands()


def _classifier_commands() -> None:
    from classifiers.commands import bench_classify, classify, evaluate, train  # click only

    main.add_command(classify)
    main.add_command(train)
    main.add_command(evaluate)
    bench.add_command(bench_classify)


_classifier_commands()


@bench.command("burst")
@click.option("--limit", default=100, show_default=True, help="Sandbox ticket updates a minute.")
@click.option("--factor", default=10, show_default=True, help="Messages = factor × limit.")
@click.option("--time-scale", default=4.0, show_default=True, help="Sandbox seconds per second.")
@click.option("--workers", default=2, show_default=True, help="`conduct worker` processes.")
@click.option("--threats", default=5, show_default=True, help="Threats to safety in the mix.")
def bench_burst(limit: int, factor: int, time_scale: float, workers: int, threats: int) -> None:
    """A burst of messages through serve, Redis and workers against the sandbox's rate limits."""
    from config.redis_server import start_embedded_redis
    from integration.sandbox.bench_burst import BurstOptions, Stack, format_report, run_burst
    from ticket_actions.processes import free_port, start_conduct, wait_http
    from ticket_actions.worker import is_drained

    stack = Stack(start_conduct, wait_http, is_drained, start_embedded_redis, free_port)
    options = BurstOptions(
        limit=limit, factor=factor, time_scale=time_scale, workers=workers, threats=threats
    )
    report = run_burst(options, stack)
    click.echo(format_report(report))
    sys.exit(0 if report.drained else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
