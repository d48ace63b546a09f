"""Figures for our corpus splits: abusive-vs-acceptable, per category, severity, language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.corpus import Message
from classifiers.verdict import CATEGORIES, Verdict

Bools = npt.NDArray[np.bool_]


def binary(predicted: Bools, gold: Bools) -> dict[str, float]:
    tp = int(np.sum(predicted & gold))
    fp = int(np.sum(predicted & ~gold))
    fn = int(np.sum(~predicted & gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def macro_f1(predicted: Bools, gold: Bools) -> float:
    positive = binary(predicted, gold)["f1"]
    negative = binary(~predicted, ~gold)["f1"]
    return round((positive + negative) / 2, 4)


def corpus_figures(messages: Sequence[Message], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Our figures on English corpus messages (the `non_english` file is measured apart)."""
    gold = np.array([m.abusive for m in messages])
    flagged = np.array([v.flagged for v in verdicts])
    acceptable = ~gold
    extreme = np.array([m.severity == "extreme" for m in messages])
    said_extreme = np.array([v.severity == "extreme" for v in verdicts])
    figures: dict[str, Any] = {
        "messages": len(messages),
        "abusive": int(gold.sum()),
        "acceptable": int(acceptable.sum()),
        "abusive_vs_acceptable": binary(flagged, gold),
        "false_flag_rate": round(float(flagged[acceptable].mean()), 4) if acceptable.any() else 0.0,
        "false_flags": int(flagged[acceptable].sum()),
        # `extreme` sends a ticket to senior management as a threat to staff safety: how often
        # that happens to an acceptable message, and to abuse that threatens no one's safety
        "false_flags_extreme": int((said_extreme & acceptable).sum()),
        "other_abuse": int((gold & ~extreme).sum()),
        "other_abuse_called_extreme": int((said_extreme & gold & ~extreme).sum()),
        "categories": {},
    }
    for category in CATEGORIES:
        gold_c = np.array([category in m.labels for m in messages])
        predicted = np.array([category in v.labels for v in verdicts])
        figures["categories"][category] = binary(predicted, gold_c) | {"support": int(gold_c.sum())}
    figures["extreme"] = binary(said_extreme, extreme) | {"support": int(extreme.sum())}
    both = gold & flagged
    same = [m.severity == v.severity for m, v, b in zip(messages, verdicts, both, strict=True) if b]
    figures["severity_accuracy_on_caught"] = round(float(np.mean(same)), 4) if same else 0.0
    return figures


def flagged_of_scores(scores: Sequence[float], threshold: float) -> Bools:
    return np.array(scores) >= threshold
