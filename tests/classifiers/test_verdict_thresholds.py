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


def test_labels_an_override_adds_take_the_models_severity_for_flagged_text() -> None:
    verdict = Verdict(
        scores={**dict.fromkeys(CATEGORIES, 0.0), "threat": 0.8},
        labels=(),
        severity="none",
        model_version="m",
        flagged_severity="extreme",
    )
    lowered = verdict.with_thresholds({"threat": 0.7})
    assert lowered.labels == ("threat",) and lowered.severity == "extreme"
    assert Verdict.from_dict(lowered.to_dict()) == lowered


def test_a_verdict_saved_before_flagged_severity_existed_still_loads() -> None:
    saved = make(("insult",), insult=0.9).to_dict()
    del saved["flagged_severity"]
    assert Verdict.from_dict(saved).flagged_severity == "abusive"
