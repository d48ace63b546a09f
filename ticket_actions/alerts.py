"""Safety alerts to a team chat's incoming webhook (`CONDUCT_ALERT_WEBHOOK_URL`).

An alert says what kind of incident and where (a link to the ticket), never the customer's
words. `send_alert` makes one POST with a timeout and raises `AlertFailed`; the `assess` job
queues `deliver` as its own job on the urgent queue with RQ retries, so a chat service that is
down delays the alert without holding up the helpdesk writes, and each failure is logged.
The body is Slack-compatible (`text`), with the same facts as separate fields for other tools.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
import requests
from rq import Retry

from config.settings import Settings
from ticket_actions.policy import AlertRequest
from ticket_actions.queues import JOB_TIMEOUT, RESULT_TTL, URGENT_QUEUE, queue

log = logging.getLogger(__name__)

DELIVER_JOB = "ticket_actions.alerts.deliver"
RETRY_INTERVALS = [5, 15, 60, 300, 900, 1800, 3600]  # seconds; then the failed registry
KIND_TEXT = {"safety_incident": "Safety incident: a customer threatened staff safety"}


class AlertFailed(Exception):
    """The webhook did not accept the alert (network error, timeout or a non-2xx answer)."""


def ticket_link(settings: Settings, vendor: str, ticket_id: str | None) -> str | None:
    """The agent-interface address of a ticket."""
    if not ticket_id:
        return None
    if vendor == "zendesk" and settings.zendesk_enabled:
        return f"{settings.zendesk_base_url}/agent/tickets/{ticket_id}"
    if vendor == "freshdesk" and settings.freshdesk_enabled:
        base = settings.freshdesk_api_url or f"https://{settings.freshdesk_domain}"
        return f"{base}/a/tickets/{ticket_id}"
    return None


def payload(alert: AlertRequest, link: str | None) -> dict[str, Any]:
    headline = KIND_TEXT.get(alert.kind, alert.kind)
    where = f"{alert.vendor} ticket #{alert.ticket_id}" if alert.ticket_id else alert.vendor
    text = f"Conduct Guard — {headline} ({where})."
    if link:
        text += f" {link}"
    return {
        "text": text,
        "kind": alert.kind,
        "vendor": alert.vendor,
        "ticket_id": alert.ticket_id,
        "link": link,
    }


def send_alert(url: str, body: dict[str, Any], *, timeout: float) -> None:
    try:
        response = requests.post(url, json=body, timeout=timeout)
    except requests.RequestException as exc:
        raise AlertFailed(f"alert webhook unreachable ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise AlertFailed(f"alert webhook answered {response.status_code}")


def queue_alert(connection: redis.Redis, body: dict[str, Any], timeout: float) -> str:
    """Queue `deliver` on the urgent queue, retried with backoff; returns the job id."""
    job = queue(connection, URGENT_QUEUE).enqueue(
        DELIVER_JOB,
        body,
        timeout,
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=30 * 24 * 3600,
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
    )
    return str(job.id)


def deliver(body: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The RQ job: POST the alert to the configured URL (raising lets RQ retry it)."""
    from ticket_actions.runtime import get_runtime

    url = get_runtime().settings.conduct_alert_webhook_url
    if not url:
        log.warning("alert.not-configured", extra={"kind": body.get("kind")})
        return {"sent": False, "reason": "CONDUCT_ALERT_WEBHOOK_URL is not set"}
    try:
        send_alert(url, body, timeout=timeout)
    except AlertFailed as exc:
        log.error(
            "alert.failed",
            extra={"kind": body.get("kind"), "ticket_id": body.get("ticket_id"), "why": str(exc)},
        )
        raise
    log.info("alert.sent", extra={"kind": body.get("kind"), "ticket_id": body.get("ticket_id")})
    return {"sent": True}
