"""Choosing decision thresholds on the development split (never on a test set)."""

from __future__ import annotations

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
    scores: F32, gold: Bools, thresholds: F32, acceptable: Bools, limit: float
) -> F32:
    """Raise thresholds (the category causing most false flags first) until at most `limit`
    of the acceptable messages get any label. scores/gold: (messages, categories)."""
    thresholds = thresholds.copy()
    for _ in range(200):
        fired = scores >= thresholds
        false_flags = fired[acceptable].any(axis=1)
        if not acceptable.any() or false_flags.mean() <= limit:
            break
        blame = (fired[acceptable] & ~gold[acceptable]).sum(axis=0)
        worst = int(np.argmax(blame))
        above = np.unique(scores[:, worst][scores[:, worst] >= thresholds[worst]])
        if above.size <= 1 or thresholds[worst] >= _CEILING:
            break
        thresholds[worst] = min(float(above[1]) + 1e-4, _CEILING)
    return thresholds


def recall_threshold(scores: F32, gold: Bools, recall: float) -> float:
    """The highest threshold keeping at least `recall` of the positives."""
    positives = np.sort(scores[gold])
    if positives.size == 0:
        return 0.5
    keep = int(np.ceil(recall * positives.size))
    return round(float(max(positives[positives.size - keep] - 1e-4, 0.05)), 4)
