"""The `Policy`: `config/policy.yaml` as a validated pydantic model, with its notice templates.

`load_policy(path)` is called at start-up; anything wrong stops it with a `PolicyError` whose
message is one line naming the file, the line and the field (`policy.yaml:12: thresholds.insult:
...`). YAML is composed with PyYAML first so every pydantic error location maps back to the line
that holds it. Templates (`config/templates/*.j2`) are read and compiled here too, once; the
policy function renders them without any I/O.

Templates use `<< >>` for values, `<% %>` for statements and `<# #>` for comments, so Zendesk's
own `{{ticket.requester.first_name}}` placeholders pass through untouched and the same text can
be installed in a macro.

Issue 6 (manager decisions and restrictions) adds a `restrictions:` section: a field on
`Policy` with a default, and the section in `policy.yaml`. Nothing here needs to change for it.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from classifiers.verdict import CATEGORIES
from config.policy_restrictions import RestrictionPolicy
from config.settings import Settings

LadderStage = Literal["warned", "supervisor", "complaint_management", "senior_management"]
TicketStatus = Literal["open", "pending", "hold", "solved"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

TEMPLATE_SUFFIX = ".j2"


class PolicyError(Exception):
    """The policy cannot be used; the message is one line: `file:line: field: reason`."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- sections ------------------------------------------------------------------------------
class Thresholds(_Model):
    """Overrides of the score at or above which a category's label is set (in [0, 1]).

    A category left out keeps the model card's threshold (chosen out of fold on the train and
    dev splits, never the test split, and shipped with the model), so a retrained model brings
    its own thresholds with it.
    """

    profanity: float | None = Field(default=None, ge=0.0, le=1.0)
    insult: float | None = Field(default=None, ge=0.0, le=1.0)
    threat: float | None = Field(default=None, ge=0.0, le=1.0)
    identity_attack: float | None = Field(default=None, ge=0.0, le=1.0)
    unrealistic_demand: float | None = Field(default=None, ge=0.0, le=1.0)

    def as_mapping(self) -> dict[str, float]:
        """Only the categories this policy overrides."""
        return {c: float(v) for c in CATEGORIES if (v := getattr(self, c)) is not None}


class Incidents(_Model):
    """What counts as an incident (anything flagged below that is tags only)."""

    severities: tuple[Literal["minor", "abusive", "extreme"], ...] = ("abusive", "extreme")
    # `always`: the text category alone counts; `with_contact_rate`: only above the contact
    # rate; `never`: tags only.
    unrealistic_demand: Literal["always", "with_contact_rate", "never"] = "always"


class Step(_Model):
    """What the plugin does on a ticket when a rule fires (all of it internal and reversible,
    except `message`, which is suggested to staff or sent, per `warnings`)."""

    note: str  # template name (without .j2)
    tags: tuple[str, ...] = ()
    message: Literal["warning", "suspension"] | None = None
    group: str | None = None  # a key of `groups`
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    due_working_hours: float | None = Field(default=None, gt=0)


class Ladder(_Model):
    repeat_window_days: int = Field(default=90, ge=1)
    clean_period_months: int = Field(default=12, ge=1)
    # A first incident (or one outside the repeat window): evidence note, warning suggested.
    first_incident: Step
    # Abuse while a warning is still pending: another incident, never a second warning.
    while_warning_pending: Step
    # What entering each stage does.
    stages: dict[LadderStage, Step]
    # A repeat incident within the window, by the current stage → the stage it leads to.
    on_repeat: dict[LadderStage, LadderStage]

    def step_for(self, stage: str) -> Step | None:
        """The step entering `stage` runs (None: the stage has none)."""
        return next((step for name, step in self.stages.items() if name == stage), None)

    def after_repeat(self, stage: str) -> str:
        """The stage a repeat incident at `stage` leads to (itself when not configured)."""
        return next((to for name, to in self.on_repeat.items() if name == stage), stage)

    @field_validator("stages")
    @classmethod
    def _every_stage(cls, value: dict[LadderStage, Step]) -> dict[LadderStage, Step]:
        missing = [s for s in ("supervisor", "complaint_management", "senior_management")
                   if s not in value]  # fmt: skip
        if missing:
            raise ValueError(f"missing stage(s): {', '.join(missing)}")
        return value


class Safety(_Model):
    """`extreme` severity (a threat to staff safety) at any stage: the fast path."""

    stage: LadderStage = "senior_management"
    note: str = "safety_note"
    tags: tuple[str, ...] = ()
    group: str | None = "senior_management"
    priority: TicketPriority | None = "urgent"
    status: TicketStatus | None = None
    alert: bool = True
    due_working_hours: float | None = Field(default=None, gt=0)


class ContactRate(_Model):
    threshold: int = Field(default=20, ge=1)  # contacts above this many in the window
    window_hours: float = Field(default=24, gt=0)
    note: str = "contact_rate_note"


class WorkingHours(_Model):
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays_country: str | None = "GB"
    holidays_subdivision: str | None = None
    timezone: str = "Europe/London"  # set from CONDUCT_TIMEZONE by `load_policy`

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("holidays_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        import holidays

        if value is not None and value not in holidays.list_supported_countries():
            raise ValueError(f"the holidays package has no country {value!r}")
        return value

    @model_validator(mode="after")
    def _sensible(self) -> WorkingHours:
        if not self.days:
            raise ValueError("at least one working day is needed")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    @functools.cached_property
    def _holidays(self) -> Mapping[date, str]:
        import holidays

        if self.holidays_country is None:
            return {}
        found: Mapping[date, str] = holidays.country_holidays(
            self.holidays_country, subdiv=self.holidays_subdivision
        )
        return found

    def is_working_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.days and day not in self._holidays

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (weekends and holidays skipped)."""
        zone = ZoneInfo(self.timezone)
        local = start.astimezone(zone)
        remaining = timedelta(hours=hours)
        day = local.date()
        cursor = local
        for _ in range(3660):  # ten years of days: more than any due date needs
            if self.is_working_day(day):
                opens = datetime.combine(day, self.start, zone)
                closes = datetime.combine(day, self.end, zone)
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(start.tzinfo)
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0, 0), zone)
        raise ValueError("no working hours within ten years")  # pragma: no cover


class TagNames(_Model):
    """The tag vocabulary (DESIGN.md); `category_prefix` + category, `stage_prefix` + stage."""

    flagged: str = "conduct_flagged"
    category_prefix: str = "conduct_"
    safety_incident: str = "conduct_safety_incident"
    not_assessed: str = "conduct_not_assessed"
    stage_prefix: str = "conduct_stage_"

    def category(self, name: str) -> str:
        return f"{self.category_prefix}{name}"

    def stage(self, name: str) -> str:
        return f"{self.stage_prefix}{name}"


class Macro(_Model):
    name: str  # the macro's title in the helpdesk, as the notes name it
    tag: str  # the tag the macro adds: how the plugin learns it was applied


class Macros(_Model):
    warning: Macro = Macro(name="Conduct warning", tag="conduct_warning_sent")
    suspend: Macro = Macro(name="Conduct: suspend and escalate", tag="conduct_suspend_escalate")
    refer_complaints: Macro = Macro(
        name="Conduct: refer to complaint management", tag="conduct_refer_complaints"
    )
    refer_senior: Macro = Macro(
        name="Conduct: refer to senior management", tag="conduct_refer_senior"
    )
    false_positive: Macro = Macro(name="Conduct: not abusive", tag="conduct_false_positive")


class Message(_Model):
    """A text the customer reads: suggested as `macro` or, in automatic mode, sent."""

    template: str  # the text itself (also what the helpdesk macro should hold)
    suggestion: str  # the internal note asking staff to apply the macro
    macro: Literal["warning", "suspend"]


class Messages(_Model):
    warning: Message
    suspension: Message


class Mirror(_Model):
    """User fields the customer's conduct mirror is written to (user tags: `tags.stage_prefix`)."""

    stage_field: str = "conduct_stage"
    since_field: str = "conduct_stage_since"


class Alerts(_Model):
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)


class Retention(_Model):
    customer_text_months: int = Field(default=24, ge=1)


DEFAULT_GROUPS = {
    "support": "Support",
    "supervisors": "Supervisors",
    "complaint_management": "Complaint Management",
    "senior_management": "Senior Management",
}


class Policy(_Model):
    mode: Literal["observe", "enforce"] = "enforce"
    warnings: Literal["suggest", "automatic"] = "suggest"
    thresholds: Thresholds = Thresholds()
    incidents: Incidents = Incidents()
    ladder: Ladder
    safety: Safety = Safety()
    contact_rate: ContactRate = ContactRate()
    groups: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_GROUPS))
    agents: dict[str, str] = Field(default_factory=dict)
    working_hours: WorkingHours = WorkingHours()
    tags: TagNames = TagNames()
    macros: Macros = Macros()
    messages: Messages
    mirror: Mirror = Mirror()
    alerts: Alerts = Alerts()
    retention: Retention = Retention()
    templates_dir: str = "templates"  # relative to the policy file
    restrictions: RestrictionPolicy = RestrictionPolicy()  # issue 6: manager decisions

    _environment: jinja2.Environment | None = PrivateAttr(default=None)
    _source: str = PrivateAttr(default="")

    # -- derived ---------------------------------------------------------------------------
    @property
    def observe(self) -> bool:
        return self.mode == "observe"

    @property
    def source(self) -> str:
        """The file this policy came from (for messages)."""
        return self._source

    @property
    def repeat_window(self) -> timedelta:
        return timedelta(days=self.ladder.repeat_window_days)

    @property
    def contact_window(self) -> timedelta:
        return timedelta(hours=self.contact_rate.window_hours)

    def clean_period_ends(self, since: datetime) -> datetime:
        return add_months(since, self.ladder.clean_period_months)

    def retention_cutoff(self, now: datetime) -> datetime:
        return add_months(now, -self.retention.customer_text_months)

    def template_names(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every template the policy names, with the field that names it."""
        found: list[tuple[tuple[str | int, ...], str]] = [
            (("ladder", "first_incident", "note"), self.ladder.first_incident.note),
            (("ladder", "while_warning_pending", "note"), self.ladder.while_warning_pending.note),
            (("safety", "note"), self.safety.note),
            (("contact_rate", "note"), self.contact_rate.note),
        ]
        for stage, step in self.ladder.stages.items():
            found.append((("ladder", "stages", stage, "note"), step.note))
        for key in ("warning", "suspension"):
            message: Message = getattr(self.messages, key)
            found.append((("messages", key, "template"), message.template))
            found.append((("messages", key, "suggestion"), message.suggestion))
        found += self.restrictions.template_names()
        return found

    def render(self, name: str, **values: Any) -> str:
        """Render a template by name (no I/O: sources were read by `load_policy`)."""
        if self._environment is None:
            raise RuntimeError("templates not loaded: use load_policy()")
        return self._environment.get_template(name).render(**values).strip()


# -- helpers -------------------------------------------------------------------------------
def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later (or earlier, if negative), clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _new_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=loader,
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - plain-text notes and notices, never HTML
    )


# -- loading -------------------------------------------------------------------------------
def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> tuple[int, str]:
    """The 1-based line of the deepest YAML node along `loc`, and the field path it names."""
    if root is None:
        return 1, ".".join(str(p) for p in loc)
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
                 and k.value == str(part)),
                None,
            )  # fmt: skip
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line, ".".join(str(p) for p in loc)


def _fail(path: Path, line: int, field: str, reason: str) -> PolicyError:
    where = f"{path}:{line}"
    return PolicyError(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


def load_policy(path: Path | str, *, timezone: str | None = None) -> Policy:
    """Read, validate and compile `path` (and its templates), or raise `PolicyError`.

    `timezone` (from `CONDUCT_TIMEZONE`) sets the working-hours time zone unless the file
    itself sets one.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise _fail(path, line, "", f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise _fail(path, 1, "", f"invalid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _fail(path, 1, "", "the policy must be a mapping of sections")
    if timezone is not None:
        hours = data.get("working_hours") or {}
        if isinstance(hours, dict) and "timezone" not in hours:
            data = {**data, "working_hours": {**hours, "timezone": timezone}}
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        line, field = _line_of(root, loc)
        reason = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown field (a typo?)"
        raise _fail(path, line, field, reason) from None
    _check_references(policy, path, root)
    policy._environment = _new_environment(jinja2.DictLoader(_read_templates(policy, path, root)))
    policy._source = str(path)
    return policy


def _check_references(policy: Policy, path: Path, root: yaml.Node | None) -> None:
    steps: list[tuple[tuple[str | int, ...], Step | Safety]] = [
        (("ladder", "first_incident"), policy.ladder.first_incident),
        (("ladder", "while_warning_pending"), policy.ladder.while_warning_pending),
        (("safety",), policy.safety),
    ]
    steps += [(("ladder", "stages", s), step) for s, step in policy.ladder.stages.items()]
    for loc, step in steps:
        if step.group is not None and step.group not in policy.groups:
            line, field = _line_of(root, (*loc, "group"))
            known = ", ".join(sorted(policy.groups))
            raise _fail(path, line, field, f"no group {step.group!r} in groups ({known})")
    for source, target in policy.ladder.on_repeat.items():
        if target not in policy.ladder.stages:
            line, field = _line_of(root, ("ladder", "on_repeat", source))
            raise _fail(path, line, field, f"no stage {target!r} in ladder.stages")
    for loc, reason in policy.restrictions.reference_errors(policy.groups):  # issue 6
        line, field = _line_of(root, loc)
        raise _fail(path, line, field, reason)


def _read_templates(policy: Policy, path: Path, root: yaml.Node | None) -> dict[str, str]:
    """Every template the policy names (a missing one is an error at the naming line), plus
    the other `.j2` files beside them (shared blocks such as `_evidence.j2`), all compiled."""
    directory = (path.parent / policy.templates_dir).resolve()
    sources: dict[str, str] = {}
    for loc, name in policy.template_names():
        file = directory / f"{name}{TEMPLATE_SUFFIX}"
        if name not in sources and not file.is_file():
            line, field = _line_of(root, loc)
            raise _fail(path, line, field, f"no template {file}")
        sources[name] = file.read_text(encoding="utf-8")
    for file in sorted(directory.glob(f"*{TEMPLATE_SUFFIX}")):
        sources.setdefault(file.name, file.read_text(encoding="utf-8"))
    environment = _new_environment()
    for name, source in sources.items():
        file = directory / (name if name.endswith(TEMPLATE_SUFFIX) else name + TEMPLATE_SUFFIX)
        try:
            environment.parse(source, name=name, filename=str(file))
        except jinja2.TemplateSyntaxError as exc:
            raise PolicyError(f"{file}:{exc.lineno}: template: {exc.message}") from None
    return sources


@functools.lru_cache(maxsize=4)
def cached_policy(path: str, timezone: str | None = None) -> Policy:
    """`load_policy`, once per process (workers, the CLI)."""
    return load_policy(path, timezone=timezone)


def policy_for(settings: Settings) -> Policy:
    """The policy `CONDUCT_POLICY` names, in `CONDUCT_TIMEZONE` (loaded once per process)."""
    return cached_policy(str(settings.conduct_policy), settings.conduct_timezone)
