"""Choosing decision thresholds from out-of-fold scores on the train and dev splits (never on a
test set)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
_FLOOR = 0.2  # no category fires below this calibrated probability
_CEILING = 0.95


def f1_at(scores: F32, gold: Bools, threshold: float) -> float:
    predicted = scores >= threshold
    tp = int(np.sum(predicted & gold))
    fp = int(np.sum(predicted & ~gold))
    fn = int(np.sum(~predicted & gold))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_f1_threshold(scores: F32, gold: Bools) -> float:
    """The threshold with the highest F1; ties go to the middle of the best plateau."""
    candidates = np.unique(np.clip(scores, _FLOOR, _CEILING))
    if not gold.any() or candidates.size == 0:
        return 0.5
    values = np.array([f1_at(scores, gold, float(t)) for t in candidates])
    best = np.flatnonzero(values >= values.max() - 1e-9)
    low, high = float(candidates[best[0]]), float(candidates[best[-1]])
    # halfway between the lowest best threshold and the next score above the highest one
    above = candidates[candidates > high]
    high = float(above[0]) if above.size else high
    return round((low + high) / 2, 4) if high > low else round(low, 4)


def limit_false_flags(
    scores: F32,
    gold: Bools,
    thresholds: F32,
    acceptable: Bools,
    limit: float,
    weights: npt.NDArray[np.floating[Any]] | None = None,
) -> F32:
    """Raise thresholds until at most `limit` of the acceptable messages get any label.

    Greedy: each step raises one category's threshold just past its lowest-scoring false label,
    choosing the category that loses the least abusive weight (messages flagged by nothing
    else, each counted by `weights`, 1 when None) per false label removed. scores/gold:
    (messages, categories)."""
    thresholds = thresholds.copy()
    abusive = np.asarray(gold.any(axis=1), dtype=bool)
    weight = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    for _ in range(10_000):
        fired = scores >= thresholds
        flagged = np.asarray(fired.any(axis=1), dtype=bool)
        if not acceptable.any() or flagged[acceptable].mean() <= limit:
            break
        best: tuple[float, int, float] | None = None
        for c in range(scores.shape[1]):
            wrong = scores[acceptable & fired[:, c], c]
            if wrong.size == 0:
                continue
            proposal = float(wrong.min()) + 1e-4
            if proposal > _CEILING:
                continue
            trial = fired.copy()
            trial[:, c] = scores[:, c] >= proposal
            still = np.asarray(trial.any(axis=1), dtype=bool)
            # progress: false labels removed (a message with two false labels needs two steps)
            cleared = int(fired[acceptable, c].sum() - trial[acceptable, c].sum())
            lost = float(weight[flagged & ~still & abusive].sum())
            if cleared == 0:
                continue
            cost = lost / cleared
            if best is None or cost < best[0]:
                best = (cost, c, proposal)
        if best is None:
            break
        thresholds[best[1]] = best[2]
    return thresholds


def recall_threshold(scores: F32, gold: Bools, recall: float) -> float:
    """The highest threshold keeping at least `recall` of the positives."""
    positives = np.sort(scores[gold])
    if positives.size == 0:
        return 0.5
    keep = int(np.ceil(recall * positives.size))
    return round(float(max(positives[positives.size - keep] - 1e-4, 0.05)), 4)
