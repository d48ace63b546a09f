"""Review reminders and expiry of restrictions, as pure functions the sweep calls with any `now`.

  the review date reached (and no reminder yet) → a reminder to the deciding manager: a new
      ticket requested by them (the helpdesk e-mails it), with the options (extend, lift, let it
      end); an indefinite restriction gets its next review date
  the end date reached → the restriction lifted: the record (the stage the ladder resumes
      from), the mirror (fields cleared, tags `conduct_restricted*` removed), a note to the
      deciding manager, and a short notice to the customer (`notice_at_expiry`)

The decision ticket is never written to here: months later it is usually closed, and Zendesk
refuses updates to closed tickets, so everything goes out as new tickets.
"""

from __future__ import annotations

from datetime import datetime

from config.policy import Policy
from config.policy_restrictions import working_days_from
from integration.actions import CreateTicket
from ticket_actions.decisions import lifted
from ticket_actions.mirror import remember_write
from ticket_actions.policy import AuditEntry, PolicyResult
from ticket_actions.record import ConductRecord
from ticket_actions.restriction_common import (
    Batch,
    day,
    mirror_update,
    restriction_due,
    restriction_values,
    vendor_id,
)

__all__ = ["on_due", "restriction_due"]


def on_due(record: ConductRecord, policy: Policy, now: datetime) -> PolicyResult:
    """What falls due at `now`: expiry first (it makes the review moot), else the review."""
    restriction = record.restriction
    if restriction is None:
        return PolicyResult(record)
    if restriction.end is not None and now >= restriction.end:
        return _expire(record, policy, now)
    review = restriction.review_date
    if restriction.reminded_at is None and review is not None and now >= review:
        return _remind(record, policy, now)
    return PolicyResult(record)


def _remind(record: ConductRecord, policy: Policy, now: datetime) -> PolicyResult:
    rules = policy.restrictions
    restriction = record.restriction
    assert restriction is not None
    batch = Batch(None, observe=policy.observe)
    values = restriction_values(record, restriction, policy, now)
    values |= {"incident_count": len(values["incidents"])}
    batch.creates.append(
        CreateTicket(
            requester_id=restriction.decided_by,
            subject=(
                f"Conduct review due {values['review']}: restriction "
                f"({values['what']}) of customer {vendor_id(record.customer)}"
            ),
            body=policy.render(rules.templates.review, **values),
            tags=(rules.tags.review,),
        )
    )
    update: dict[str, object] = {"reminded_at": now}
    if restriction.end is None:  # indefinite: the next review is due in another period
        update = {
            "review_date": working_days_from(
                policy.working_hours, now, rules.indefinite_review_working_days
            ),
            "reminded_at": None,
        }
    new = record.model_copy(update={"restriction": restriction.model_copy(update=update)})
    audit = [
        AuditEntry(
            "review_reminder",
            {"kind": restriction.kind, "decided_by": restriction.decided_by,
             "review": restriction.review_date.isoformat() if restriction.review_date else None},
        )
    ]  # fmt: skip
    return PolicyResult(record=new, actions=batch.actions(), audit=audit, rule="review_reminder")


def _expire(record: ConductRecord, policy: Policy, now: datetime) -> PolicyResult:
    rules = policy.restrictions
    restriction = record.restriction
    assert restriction is not None
    batch = Batch(None, observe=policy.observe)
    new = lifted(record, policy, now)
    values = restriction_values(record, restriction, policy, now)
    values |= {"early": False, "ended": day(restriction.end, policy)}
    notice = None
    if rules.notice_at_expiry:
        notice = "new_ticket"
        batch.creates.append(
            CreateTicket(
                requester_id=vendor_id(record.customer),
                subject=rules.notice_subject,
                body=policy.render(rules.templates.expiry, **values),
                tags=(rules.tags.notice,),
            )
        )
    values |= {"actor_id": None, "notice_channel": notice, "stage": new.stage}
    batch.creates.insert(
        0,
        CreateTicket(
            requester_id=restriction.decided_by,
            subject=(
                f"Conduct restriction ended: {values['what']} for customer "
                f"{vendor_id(record.customer)}"
            ),
            body=policy.render(rules.templates.ended, **values),
            tags=(rules.tags.review,),
        ),
    )
    if not policy.observe:
        batch.customer = mirror_update(new, policy)
        new = remember_write(new, batch.customer, now)
    audit = [
        AuditEntry(
            "restriction_ended",
            {"kind": restriction.kind, "end": restriction.end.isoformat()
             if restriction.end else None, "notice": notice},
        ),
        AuditEntry("stage", {"from": record.stage, "to": new.stage, "rule": "restriction_ended"}),
    ]  # fmt: skip
    return PolicyResult(record=new, actions=batch.actions(), audit=audit, rule="restriction_ended")
