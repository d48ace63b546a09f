from __future__ import annotations

from classifiers.verdict import CATEGORIES, Verdict


def make(labels: tuple[str, ...], **scores: float) -> Verdict:
    return Verdict(
        scores={c: scores.get(c, 0.0) for c in CATEGORIES},
        labels=labels,
        severity="abusive" if labels else "none",
        model_version="m",
        evidence={label: [(0, 3)] for label in labels},
    )


def test_no_override_keeps_the_models_own_labels() -> None:
    verdict = make(("insult",), insult=0.9, profanity=0.6)
    assert verdict.with_thresholds({}) is verdict


def test_an_override_re_derives_only_its_category() -> None:
    verdict = make(("insult",), insult=0.9, profanity=0.6)
    lowered = verdict.with_thresholds({"profanity": 0.5})
    assert lowered.labels == ("profanity", "insult")
    raised = verdict.with_thresholds({"insult": 0.95})
    assert raised.labels == () and raised.severity == "none" and raised.evidence == {}
