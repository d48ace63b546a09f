"""`load_policy`: the shipped default is valid; every kind of mistake names file, line and field."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.policy import PolicyError, add_months, load_policy

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "policy.yaml"


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped policy and its templates."""
    shutil.copytree(SHIPPED.parent / "templates", tmp_path / "templates")
    target = tmp_path / "policy.yaml"
    shutil.copy(SHIPPED, target)
    return target


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) and return the 1-based line it was on."""
    text = path.read_text()
    assert text.count(old) == 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new))
    return line


def test_shipped_policy_is_valid_with_the_documented_defaults() -> None:
    policy = load_policy(SHIPPED, timezone="Europe/Paris")
    assert policy.mode == "enforce" and policy.warnings == "suggest"
    assert policy.ladder.repeat_window_days == 90
    assert policy.ladder.clean_period_months == 12
    assert policy.contact_rate.threshold == 20 and policy.contact_rate.window_hours == 24
    assert policy.retention.customer_text_months == 24
    assert policy.groups == {
        "support": "Support",
        "supervisors": "Supervisors",
        "complaint_management": "Complaint Management",
        "senior_management": "Senior Management",
    }
    assert policy.working_hours.timezone == "Europe/Paris"  # CONDUCT_TIMEZONE
    assert policy.macros.warning.tag == "conduct_warning_sent"
    assert policy.macros.false_positive.tag == "conduct_false_positive"
    assert policy.thresholds.as_mapping() == {}  # the model card's thresholds apply


def test_templates_keep_zendesk_placeholders_and_render_our_own() -> None:
    policy = load_policy(SHIPPED)
    warning = policy.render("warning")
    assert "{{ticket.requester.first_name}}" in warning  # the helpdesk's own, untouched
    note = policy.render(
        "contact_rate_note",
        customer="zendesk:1",
        count=25,
        threshold=20,
        window_hours=24,
        supervisors="Supervisors",
        incident=False,
    )
    assert "25 times in the last 24 hours" in note and "<<" not in note


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("mode: enforce", "mode: enforced", "mode", "'observe' or 'enforce'"),
        ("thresholds: {}", "thresholds: {insult: 1.5}", "thresholds.insult",
         "less than or equal to 1"),
        ("thresholds: {}", "thresholds: {insult: high}", "thresholds.insult", "valid number"),
        ("  threshold: 20", "  treshold: 20", "contact_rate.treshold", "unknown field"),
        ("  repeat_window_days: 90", "  repeat_window_days: 0", "ladder.repeat_window_days",
         "greater than or equal to 1"),
        ("      group: supervisors", "      group: supervisers", "ladder.stages.supervisor.group",
         "no group 'supervisers'"),
        ("    note: supervisor_summary", "    note: no_such_template",
         "ladder.stages.supervisor.note", "no template"),
        ("  start: \"09:00\"", "  start: \"25:00\"", "working_hours.start", "time"),
        ("  holidays_country: GB", "  holidays_country: XX", "working_hours.holidays_country",
         "no country 'XX'"),
        ("    complaint_management: senior_management  #", "    complaint_management: boss  #",
         "ladder.on_repeat.complaint_management", "Input should be"),
        ("warnings: suggest", "warnings: sometimes", "warnings", "'suggest' or 'automatic'"),
    ],
)  # fmt: skip
def test_each_mistake_names_file_line_and_field(
    policy_copy: Path, old: str, new: str, field: str, reason: str
) -> None:
    line = _edit(policy_copy, old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_copy)
    message = str(caught.value)
    assert message.startswith(f"{policy_copy}:{line}: {field}: "), message
    assert reason in message
    assert "\n" not in message


def test_a_missing_section_points_at_its_parent(policy_copy: Path) -> None:
    text = policy_copy.read_text()
    start = text.index("messages:\n")
    end = text.index("# The customer's user fields")
    policy_copy.write_text(text[:start] + text[end:])
    first_key = text[: text.index("mode: enforce")].count("\n") + 1  # where the mapping starts
    with pytest.raises(PolicyError, match=rf"policy\.yaml:{first_key}: messages: Field required"):
        load_policy(policy_copy)


def test_yaml_syntax_error_names_its_line(policy_copy: Path) -> None:
    line = _edit(policy_copy, "thresholds: {}", "thresholds: {insult: 0.8]")
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_copy)
    reported = int(str(caught.value).split(":")[1])
    assert str(caught.value).startswith(f"{policy_copy}:")
    assert "invalid YAML" in str(caught.value)
    assert line <= reported <= line + 2  # PyYAML reports where it noticed, just after


def test_template_syntax_error_names_the_template_and_line(policy_copy: Path) -> None:
    template = policy_copy.parent / "templates" / "warning.j2"
    template.write_text("Hello\n<% if %>\n")
    with pytest.raises(PolicyError, match=r"warning\.j2:2: template: "):
        load_policy(policy_copy)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"working_hours\.timezone: .*Mars/Olympus"):
        load_policy(SHIPPED, timezone="Mars/Olympus")


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")


def test_working_hours_skip_nights_weekends_and_public_holidays() -> None:
    hours = load_policy(SHIPPED, timezone="Europe/London").working_hours
    thursday_4pm = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    # 1 h left on Christmas Eve; 25th holiday, weekend, 28th substitute Boxing Day.
    assert hours.add(thursday_4pm, 2) == datetime(2026, 12, 29, 10, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert hours.add(saturday, 8) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # 08:30 BST: before opening
    assert hours.add(summer, 1) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_calendar_months_clamp_to_the_month_end() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 15, tzinfo=UTC), -24) == datetime(2024, 3, 15, tzinfo=UTC)
