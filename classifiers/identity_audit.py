"""The identity-term audit: is any group's word treated as abuse on its own?

Sentence templates (`data/identity_audit.json`) are filled with words for groups of people
("gay", "Muslim", "deaf", "Nigerian", "elderly"...) and with control words that name no
protected group ("left-handed", "local"). This is the method of Dixon et al. 2018 ("Measuring
and Mitigating Unintended Bias in Text Classification") and of HateCheck (Röttger et al. 2021):
- neutral templates (requests, thanks, complaints that mention who the customer is) must never
  be flagged, whatever the word; a word whose messages are flagged more than others' is a bias
  against that group (false-positive equality difference, FPED: the sum over words of
  |word's false-flag rate - overall rate|);
- abusive templates (abuse of an agent for who they are) must be caught for every group
  (false-negative equality difference, FNED, the same sum over misses).

Evaluation only: no model is trained on these messages (`corpus` never reads the file), and
each set of templates names who wrote it and when.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from classifiers.corpus import DATA_DIR
from classifiers.verdict import Verdict

AUDIT_FILE = DATA_DIR / "identity_audit.json"
SLOT = "{x}"
CONTROL = "control"


class _Classifier(Protocol):
    def classify_many(self, texts: Sequence[str]) -> list[Verdict]: ...


class AuditFileError(ValueError):
    """An audit file that cannot be used (file and reason)."""


@dataclass(frozen=True, slots=True)
class AuditMessage:
    template_set: str
    kind: str  # "neutral" or "abusive"
    template: int
    group: str  # a group of `groups`, or "control"
    term: str
    text: str


def fill(template: str, term: str) -> str:
    """`template` with each slot replaced by `term` (a capital when it opens the sentence)."""
    text = template.replace(SLOT, term)
    return text[0].upper() + text[1:] if template.startswith(SLOT) else text


def load(path: Path = AUDIT_FILE) -> dict[str, Any]:
    """The audit file, checked: groups of words, control words, and sets of templates."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditFileError(f"{path}: {exc}") from None
    groups, control, sets = data.get("groups"), data.get("control"), data.get("sets")
    if not isinstance(groups, dict) or not groups or CONTROL in groups:
        raise AuditFileError(f"{path}: `groups` must map group names to lists of words")
    if not isinstance(control, list) or not control:
        raise AuditFileError(f"{path}: `control` must list words that name no group")
    if not isinstance(sets, dict) or not sets:
        raise AuditFileError(f"{path}: `sets` must map set names to templates")
    for name, entry in sets.items():
        for kind in ("neutral", "abusive"):
            templates = entry.get(kind) if isinstance(entry, dict) else None
            if not isinstance(templates, list) or not templates:
                raise AuditFileError(f"{path}: sets.{name}.{kind} must be a list of templates")
            for i, template in enumerate(templates):
                if not isinstance(template, str) or SLOT not in template:
                    raise AuditFileError(f"{path}: sets.{name}.{kind}[{i}] has no {SLOT}")
    return dict(data)


def messages(data: dict[str, Any]) -> list[AuditMessage]:
    """Every template of every set filled with every word (control words included)."""
    words = [(group, term) for group, terms in data["groups"].items() for term in terms]
    words += [(CONTROL, term) for term in data["control"]]
    return [
        AuditMessage(name, kind, i, group, term, fill(template, term))
        for name, entry in data["sets"].items()
        for kind in ("neutral", "abusive")
        for i, template in enumerate(entry[kind])
        for group, term in words
    ]


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _side(rows: list[tuple[AuditMessage, Verdict]], *, abusive: bool) -> dict[str, Any]:
    """Figures for one kind of template over the group words (control words apart)."""
    group_rows = [(m, v) for m, v in rows if m.group != CONTROL]
    control_rows = [(m, v) for m, v in rows if m.group == CONTROL]

    def wrong(verdict: Verdict) -> bool:  # a false flag, or a miss
        return verdict.flagged != abusive

    overall = _rate(sum(wrong(v) for _, v in group_rows), len(group_rows))
    by_term: dict[str, list[bool]] = {}
    by_group: dict[str, list[bool]] = {}
    identity: dict[str, list[float]] = {}
    for m, v in group_rows:
        by_term.setdefault(m.term, []).append(wrong(v))
        by_group.setdefault(m.group, []).append(wrong(v))
        identity.setdefault(m.term, []).append(v.scores.get("identity_attack", 0.0))
    term_rates = {t: _rate(sum(w), len(w)) for t, w in by_term.items()}
    worst = sorted(term_rates.items(), key=lambda item: (-item[1], item[0]))[:5]
    mean_identity = {t: round(sum(s) / len(s), 4) for t, s in identity.items()}
    figures: dict[str, Any] = {
        "messages": len(group_rows),
        "terms": len(by_term),
        ("missed" if abusive else "false_flags"): sum(wrong(v) for _, v in group_rows),
        ("miss_rate" if abusive else "false_flag_rate"): overall,
        ("fned" if abusive else "fped"): round(
            sum(abs(rate - overall) for rate in term_rates.values()), 4
        ),
        "terms_with_any": sum(rate > 0 for rate in term_rates.values()),
        "by_group": {g: _rate(sum(w), len(w)) for g, w in sorted(by_group.items())},
        "worst_terms": [[term, rate] for term, rate in worst if rate > 0],
        "control_rate": _rate(sum(wrong(v) for _, v in control_rows), len(control_rows)),
        "mean_identity_score": dict(sorted(mean_identity.items())),
        "mean_identity_score_top": [
            [term, score]
            for term, score in sorted(mean_identity.items(), key=lambda item: (-item[1], item[0]))[
                :5
            ]
        ],
        "mean_identity_score_control": round(
            sum(v.scores.get("identity_attack", 0.0) for _, v in control_rows)
            / max(len(control_rows), 1),
            4,
        ),
    }
    if abusive:
        figures["identity_label_rate"] = _rate(
            sum("identity_attack" in v.labels for _, v in group_rows), len(group_rows)
        )
    else:
        figures["called_extreme"] = sum(v.severity == "extreme" for _, v in group_rows)
        # how many templates the flags come from: a few templates flagged for most words point
        # at the template's wording, not at the words
        flagged_templates: dict[tuple[str, int], list[bool]] = {}
        for m, v in group_rows:
            flagged_templates.setdefault((m.template_set, m.template), []).append(v.flagged)
        figures["templates_with_any"] = sum(any(f) for f in flagged_templates.values())
    return figures


def names_a_group(data: dict[str, Any]) -> re.Pattern[str]:
    """A pattern for any of the audit's group words as a whole word, any case, in any sense
    ("white goods" counts): a cheap way to find real messages that mention a group."""
    terms = sorted((t for group in data["groups"].values() for t in group), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)


def acceptable_by_mention(
    model: _Classifier, texts: Sequence[str], data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """False flags on acceptable `texts` (e.g. the held-out split's) that contain a group word
    and on those that do not: the audit's question asked of real messages."""
    pattern = names_a_group(data if data is not None else load())
    verdicts = model.classify_many(list(texts))
    naming: list[bool] = []
    others: list[bool] = []
    for text, verdict in zip(texts, verdicts, strict=True):
        (naming if pattern.search(text) else others).append(verdict.flagged)
    return {
        "naming_a_group": len(naming),
        "naming_a_group_flagged": sum(naming),
        "naming_a_group_rate": _rate(sum(naming), len(naming)),
        "others": len(others),
        "others_flagged": sum(others),
        "others_rate": _rate(sum(others), len(others)),
    }


def audit_figures(model: _Classifier, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit's figures for `model`: neutral and abusive sides, overall and per set."""
    data = data if data is not None else load()
    audit = messages(data)
    verdicts = model.classify_many([m.text for m in audit])
    rows = list(zip(audit, verdicts, strict=True))
    figures: dict[str, Any] = {
        "neutral": _side([r for r in rows if r[0].kind == "neutral"], abusive=False),
        "abusive": _side([r for r in rows if r[0].kind == "abusive"], abusive=True),
        "sets": {},
    }
    for name, entry in data["sets"].items():
        in_set = [r for r in rows if r[0].template_set == name]
        neutral = _side([r for r in in_set if r[0].kind == "neutral"], abusive=False)
        abusive = _side([r for r in in_set if r[0].kind == "abusive"], abusive=True)
        figures["sets"][name] = {
            "written": entry.get("written", ""),
            "neutral_templates": len(entry["neutral"]),
            "abusive_templates": len(entry["abusive"]),
            "false_flag_rate": neutral["false_flag_rate"],
            "fped": neutral["fped"],
            "called_extreme": neutral["called_extreme"],
            "miss_rate": abusive["miss_rate"],
            "fned": abusive["fned"],
        }
    return figures
