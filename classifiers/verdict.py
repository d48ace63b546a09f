"""`Verdict`: what the classifier says about one message (DESIGN.md vocabulary)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

CATEGORIES: tuple[str, ...] = (
    "profanity",
    "insult",
    "threat",
    "identity_attack",
    "unrealistic_demand",
)
Severity = Literal["none", "minor", "abusive", "extreme"]
SEVERITIES: tuple[Severity, ...] = ("none", "minor", "abusive", "extreme")
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Scores per category in [0, 1]; labels over the thresholds in force; severity; evidence.

    `evidence` maps a label to character spans `(start, end)` into the text that was assessed.
    `assessed` is False for text in a language the model does not cover: it is then never
    flagged (no labels, severity `none`). `flagged_severity` is the severity the model gives
    this text whenever a label fires, so labels a policy's threshold override adds get the
    model's severity (a threat under a lowered threshold can still be `extreme`).
    """

    scores: dict[str, float]
    labels: tuple[str, ...]
    severity: Severity
    model_version: str
    evidence: dict[str, list[Span]] = field(default_factory=dict)
    language: str = "en"
    assessed: bool = True
    thresholds: dict[str, float] = field(default_factory=dict)  # in force for `labels`
    flagged_severity: Severity = "abusive"

    @property
    def flagged(self) -> bool:
        return self.assessed and bool(self.labels)

    def with_thresholds(self, thresholds: Mapping[str, float]) -> Verdict:
        """Labels re-derived from the scores where a threshold is overridden (the policy's
        overrides); a category not in `thresholds`, or whose threshold is the one already in
        force, keeps the model's own decision (with its evidence, and a label the abuse gate
        gave). The worker classifies under the policy's thresholds, so there this changes
        nothing and agrees with `conduct classify --policy`."""
        changed = {c: t for c, t in thresholds.items() if self.thresholds.get(c) != t}
        if not self.assessed or not changed:
            return self
        labels = tuple(
            c
            for c in CATEGORIES
            if (self.scores.get(c, 0.0) >= changed[c] if c in changed else c in self.labels)
        )
        severity: Severity = self.flagged_severity if labels else "none"
        evidence = {k: v for k, v in self.evidence.items() if k in labels}
        return Verdict(
            scores=self.scores,
            labels=labels,
            severity=severity,
            model_version=self.model_version,
            evidence=evidence,
            language=self.language,
            assessed=self.assessed,
            thresholds={**self.thresholds, **thresholds},
            flagged_severity=self.flagged_severity,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": dict(self.scores),
            "labels": list(self.labels),
            "severity": self.severity,
            "model_version": self.model_version,
            "evidence": {k: [list(s) for s in v] for k, v in self.evidence.items()},
            "language": self.language,
            "assessed": self.assessed,
            "thresholds": dict(self.thresholds),
            "flagged_severity": self.flagged_severity,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            scores={k: float(v) for k, v in data["scores"].items()},
            labels=tuple(data["labels"]),
            severity=data["severity"],
            model_version=data["model_version"],
            evidence={k: [(int(a), int(b)) for a, b in v] for k, v in data["evidence"].items()},
            language=data.get("language", "en"),
            assessed=bool(data.get("assessed", True)),
            thresholds={k: float(v) for k, v in (data.get("thresholds") or {}).items()},
            flagged_severity=data.get("flagged_severity", "abusive"),
        )
