"""`conduct audit`, `conduct erase` and `conduct feedback export` (registered in cli.py).

Only click is imported at module level: each command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import redis


def _redis() -> redis.Redis:
    import redis as redis_lib

    from config.redis_server import ensure_redis, redis_url_for
    from config.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"conduct: configuration error: {exc}", err=True)
        sys.exit(2)
    ensure_redis(settings)
    return redis_lib.Redis.from_url(redis_url_for(settings))


def _customer(value: str) -> str:
    vendor, _, ident = value.partition(":")
    if vendor not in ("zendesk", "freshdesk") or not ident:
        raise click.BadParameter("a customer id is <vendor>:<id>, e.g. zendesk:12345")
    return value


@click.command()
@click.argument("customer")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(customer: str, as_json: bool) -> None:
    """Print a customer's conduct record and audit trail (CUSTOMER is <vendor>:<id>)."""
    from ticket_actions import store
    from ticket_actions.trail import trail_lines

    customer = _customer(customer)
    connection = _redis()
    if as_json:
        record = store.load_record(connection, customer)
        lines = store.read_audit(connection, customer)
        click.echo(json.dumps({"record": record.model_dump(mode="json")}))
        for line in lines:
            click.echo(json.dumps({"at": line.at, "kind": line.kind, "detail": line.detail,
                                   "evidence": list(line.evidence)}))  # fmt: skip
        return
    for text in trail_lines(connection, customer):
        click.echo(text)


@click.command()
@click.argument("customer")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(customer: str, yes: bool) -> None:
    """Delete everything kept about a customer: record, audit trail, texts, feedback."""
    from ticket_actions import retention, store
    from ticket_actions.errors import CustomerBusy

    customer = _customer(customer)
    if not yes:
        click.confirm(f"Erase all conduct data about {customer}?", abort=True)
    connection = _redis()
    try:
        with store.customer_lock(connection, customer):
            removed = retention.erase(connection, customer)
    except CustomerBusy:
        click.echo(f"conduct erase: {customer} is being processed; try again", err=True)
        sys.exit(1)
    click.echo(f"erased {customer} ({removed} key(s) and row(s) removed)")


@click.group()
def feedback() -> None:
    """Feedback from staff ("not abusive" macros) for retraining the classifier."""


@feedback.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    show_default=True,
    help="Where to write the JSON lines (- is standard output).",
)
def feedback_export(out: str) -> None:
    """Write feedback as labelled JSON lines that `conduct train --data` takes:
    {"id", "text", "labels", "severity", "source": "feedback"}."""
    from ticket_actions import store

    connection = _redis()
    count = 0
    with click.open_file(out, "w", encoding="utf-8") as handle:
        for row in store.feedback_rows(connection):
            keep = {k: row[k] for k in ("id", "text", "labels", "severity", "source")}
            handle.write(json.dumps(keep, ensure_ascii=False) + "\n")
            count += 1
    click.echo(f"exported {count} feedback row(s)", err=True)
