"""The `restrictions:` section of `policy.yaml`: manager decisions and contact restrictions.

Only senior management restricts a customer (the employee-protection policy: "the decision to
restrict ... will be taken at high management level"); the plugin then carries the decision out.
This section says who counts as senior management, how long each kind of restriction lasts when
the decision does not say, when the review falls due (in working days, from `working_hours`),
how the written notice reaches the customer, what the notices may name (the e-mail address, the
postal address, the named officers), whether the customer's organisation is told, and the tags,
ticket fields and user fields the decisions travel through. `Policy.restrictions` holds it.

Working-day arithmetic for review dates lives here too (`working_days_from`), beside the working
hours it counts in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RestrictionKind = Literal[
    "email_only",
    "letters_only",
    "named_officer",
    "conduct_agreement",
    "chat_blocked",
    "terminate",
]
DecisionKind = Literal[
    "email_only",
    "letters_only",
    "named_officer",
    "conduct_agreement",
    "chat_blocked",
    "terminate",
    "lift",
    "extend",
    "no_action",
]
RESTRICTION_KINDS: tuple[RestrictionKind, ...] = (
    "email_only",
    "letters_only",
    "named_officer",
    "conduct_agreement",
    "chat_blocked",
    "terminate",
)
DECISION_KINDS: tuple[DecisionKind, ...] = (*RESTRICTION_KINDS, "lift", "extend", "no_action")
Channel = Literal["email", "web", "chat", "messaging", "phone", "api", "other"]
LadderStage = Literal["clean", "warned", "supervisor", "complaint_management", "senior_management"]

ALL_CHANNELS: tuple[Channel, ...] = ("email", "web", "chat", "messaging", "phone", "api", "other")
DEFAULT_PERMITTED: dict[RestrictionKind, tuple[Channel, ...]] = {
    "email_only": ("email", "web"),
    "letters_only": (),
    "named_officer": ALL_CHANNELS,
    "conduct_agreement": ALL_CHANNELS,
    "chat_blocked": ("email", "web", "phone", "api", "other"),
    "terminate": (),
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Durations(_Model):
    """Days a restriction lasts when the decision tag carries no `_<n>d` and no ticket field
    overrides it. `null` means until a manager lifts it (the review still falls due)."""

    email_only: int | None = Field(default=90, ge=1)
    letters_only: int | None = Field(default=90, ge=1)
    named_officer: int | None = Field(default=90, ge=1)
    conduct_agreement: int | None = Field(default=180, ge=1)
    chat_blocked: int | None = Field(default=90, ge=1)
    terminate: int | None = Field(default=None, ge=1)
    extend: int = Field(default=90, ge=1)  # an extension without `_<n>d`
    max_days: int = Field(default=730, ge=1)  # a longer duration is refused

    def for_kind(self, kind: RestrictionKind) -> int | None:
        value: int | None = getattr(self, kind)
        return value


class Officer(_Model):
    """A named officer a decision can choose: their name (for the notice) and e-mail (resolved
    to the helpdesk agent when a decision needs them)."""

    name: str
    email: str


class DecisionTags(_Model):
    """Tags decisions travel through (DESIGN.md vocabulary; configurable).

    A decision macro adds `<decision_prefix><kind>[_<days>d]`; the officer, the deputy and a
    duration override may come as tags too (a dropdown ticket field adds its option's tag, and
    so can the macro): `<officer_prefix><slug>`, `<deputy_prefix><slug>`, `<days_prefix><n>`.
    """

    decision_prefix: str = "conduct_decision_"
    challenge: str = "conduct_challenge_received"
    restricted: str = "conduct_restricted"
    restricted_prefix: str = "conduct_restricted_"  # + kind, on the customer and the ticket
    officer_prefix: str = "conduct_officer_"
    deputy_prefix: str = "conduct_deputy_"
    days_prefix: str = "conduct_days_"
    enforced: str = "conduct_enforced"  # a ticket a restriction was enforced on
    breach: str = "conduct_agreement_breach"
    notice: str = "conduct_notice"  # outbound notices (new tickets)
    review: str = "conduct_review_due"  # the review reminder ticket
    organisation: str = "conduct_organisation_notice"

    def decision(self, kind: str, days: int | None = None) -> str:
        return f"{self.decision_prefix}{kind}" + (f"_{days}d" if days else "")

    def restricted_kind(self, kind: str) -> str:
        return f"{self.restricted_prefix}{kind}"


class TicketFields(_Model):
    """Ticket custom fields (by key) a manager may fill before applying the decision macro."""

    officer: str = "conduct_named_officer"  # officer slug (or its tag) or e-mail
    deputy: str = "conduct_deputy_officer"
    days: str = "conduct_restriction_days"  # overrides the macro's duration


class MirrorFields(_Model):
    """Customer user fields (by key) the active restriction is mirrored to."""

    kind: str = "conduct_restriction"
    start: str = "conduct_restriction_start"
    end: str = "conduct_restriction_end"
    review: str = "conduct_restriction_review"
    officer: str = "conduct_named_officer"
    decided_by: str = "conduct_decided_by"


class Organisation(_Model):
    """Telling the customer's organisation (the usage policy: "their details may be passed on to
    the management of their organisation"). Only the decision; never the customer's words."""

    notify: bool = False
    contact_field: str = "management_contact_email"  # organisation field: an e-mail address
    kinds: tuple[RestrictionKind, ...] = RESTRICTION_KINDS  # decisions that are notified


class Templates(_Model):
    """Template names (files `config/templates/<name>.j2`)."""

    notice: str = "notice_decision"  # the written notice (why, what, how long, review, challenge)
    enforcement: str = "notice_enforcement"  # the automatic reply on later contact
    expiry: str = "notice_expiry"  # the short notice when a restriction ends or is lifted
    organisation: str = "notice_organisation"
    decision_note: str = "decision_note"  # the internal note on the decision ticket
    refused: str = "decision_refused"
    review: str = "decision_review"  # the reminder to the deciding manager
    ended: str = "decision_ended"  # the note when a restriction ends
    challenge: str = "decision_challenge"  # the whole file for the reviewing manager
    breach: str = "decision_breach"  # a conduct-agreement breach, with the agreement
    enforced: str = "decision_enforced"  # the internal note beside an enforcement


class RestrictionPolicy(_Model):
    """The `restrictions:` section (see config/policy.yaml for the prose)."""

    # The key of `groups` whose members may decide (and to which challenges and breaches go).
    decider_group: str = "senior_management"
    durations: Durations = Durations()
    review_lead_working_days: int = Field(default=10, ge=0)
    indefinite_review_working_days: int = Field(default=60, ge=1)
    # reply: a public reply on the decision ticket · new_ticket: a new outbound ticket to the
    # customer (the helpdesk delivers it by e-mail).
    notice: Literal["reply", "new_ticket"] = "reply"
    notice_subject: str = "Your contact with our support team"
    notice_at_expiry: bool = True
    # What the notices name. `email_address` is the permitted channel for `email_only`.
    email_address: str = "support@example.com"
    postal_address: str | None = None  # needed before anyone can decide `letters_only`
    challenge_within_days: int = Field(default=28, ge=1)
    challenge_contact: str = "reply to this message and tell us why"
    # Channels a customer may still use, by kind (a message on another channel is answered
    # with the notice and its ticket solved). `named_officer` and `conduct_agreement` allow all.
    permitted_channels: dict[RestrictionKind, tuple[Channel, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_PERMITTED)
    )
    # Stage the customer returns to when a restriction ends (the ladder resumes from there and
    # falls back after the clean period).
    stage_after: LadderStage = "senior_management"
    officers: dict[str, Officer] = Field(default_factory=dict)  # slug → officer
    officer_away_field: str = "conduct_away"  # agent user field (checkbox): officer is away
    # Senior managers who may take a challenge (e-mails); the first who did not decide is
    # assigned. Empty: the challenge goes to the `decider_group` for someone other to pick up.
    challenge_reviewers: tuple[str, ...] = ()
    organisation: Organisation = Organisation()
    tags: DecisionTags = DecisionTags()
    ticket_fields: TicketFields = TicketFields()
    mirror: MirrorFields = MirrorFields()
    templates: Templates = Templates()

    @field_validator("officers")
    @classmethod
    def _slugs(cls, value: dict[str, Officer]) -> dict[str, Officer]:
        bad = [slug for slug in value if not _SLUG.match(slug)]
        if bad:
            raise ValueError(f"officer keys must be lower-case tag words (a-z, 0-9, _): {bad}")
        return value

    @model_validator(mode="after")
    def _durations_fit(self) -> RestrictionPolicy:
        for kind in RESTRICTION_KINDS:
            days = self.durations.for_kind(kind)
            if days is not None and days > self.durations.max_days:
                raise ValueError(f"durations.{kind} is longer than durations.max_days")
        return self

    def reference_errors(
        self, groups: Mapping[str, str]
    ) -> list[tuple[tuple[str | int, ...], str]]:
        """Names this section uses that the rest of the policy does not define."""
        if self.decider_group not in groups:
            known = ", ".join(sorted(groups))
            return [
                (
                    ("restrictions", "decider_group"),
                    f"no group {self.decider_group!r} in groups ({known})",
                )
            ]
        return []

    def template_names(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every template this section names, with the field that names it."""
        return [
            (("restrictions", "templates", key), getattr(self.templates, key))
            for key in type(self.templates).model_fields
        ]

    def permits(self, kind: RestrictionKind, channel: str) -> bool:
        return channel in self.permitted_channels.get(kind, ())

    def officer(self, ref: str) -> Officer | None:
        """An officer by slug, by its tag (`conduct_officer_<slug>`) or by e-mail."""
        text = ref.strip()
        for prefix in (self.tags.officer_prefix, self.tags.deputy_prefix):
            text = text.removeprefix(prefix)
        if text in self.officers:
            return self.officers[text]
        wanted = text.casefold()
        return next((o for o in self.officers.values() if o.email.casefold() == wanted), None)


# -- working days --------------------------------------------------------------------------
class WorkingHoursLike(Protocol):
    """What `config.policy.WorkingHours` offers (named here so this module does not import
    the module that imports it)."""

    @property
    def timezone(self) -> str: ...

    @property
    def start(self) -> time: ...

    def is_working_day(self, day: date) -> bool: ...


def working_days_from(hours: WorkingHoursLike, moment: datetime, days: int) -> datetime:
    """The opening time of the working day `days` working days after `moment`'s local date
    (before it when negative; the same date, or the next working day, when 0). Weekends and
    public holidays (`working_hours`) do not count."""
    zone = ZoneInfo(hours.timezone)
    day = moment.astimezone(zone).date()
    step = -1 if days < 0 else 1
    remaining = abs(days)
    if remaining == 0:
        while not hours.is_working_day(day):
            day += timedelta(days=1)
    for _ in range(3660 * 2):
        if remaining == 0:
            break
        day += timedelta(days=step)
        if hours.is_working_day(day):
            remaining -= 1
    else:  # pragma: no cover - ten years without a working day
        raise ValueError("no working day within ten years")
    return datetime.combine(day, hours.start, zone).astimezone(moment.tzinfo)
