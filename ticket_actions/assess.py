"""The `assess` job's body: one event in, the actions for the helpdesk out.

Walking-skeleton version: a flagged customer message gets the conduct tags and an internal note
with the evidence. The conduct ladder (issue 5) replaces the decision with the pure policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from classifiers.verdict import Verdict
from integration.actions import Action, AddTags, Comment
from integration.events import Event
from ticket_actions.runtime import Runtime


@dataclass
class Outcome:
    actions: list[Action] = field(default_factory=list)
    urgent: bool = False  # threats to safety: the apply job goes on the urgent queue
    verdict: Verdict | None = None


def assess_event(event: Event, runtime: Runtime, now: datetime) -> Outcome:
    if event.kind != "message" or event.actor_role != "customer" or not event.ticket_id:
        return Outcome()
    verdict = runtime.classify(event.text)
    if not verdict.flagged:
        return Outcome(verdict=verdict)
    tags = ("conduct_flagged", *(f"conduct_{label}" for label in verdict.labels))
    quoted = "; ".join(
        f'{label}: "{event.text[a:b]}"'
        for label, spans in verdict.evidence.items()
        for a, b in spans
    )
    note = (
        f"Conduct Guard flagged this message ({verdict.severity}): {', '.join(verdict.labels)}.\n"
        f"Evidence: {quoted or 'none recorded'}\nModel {verdict.model_version}."
    )
    actions: list[Action] = [
        AddTags(event.ticket_id, tags),
        Comment(event.ticket_id, note, public=False),
    ]
    return Outcome(actions=actions, urgent=verdict.severity == "extreme", verdict=verdict)
