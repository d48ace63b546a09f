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


def _weighted_loss(
    scores: F32, thresholds: F32, lost_weight: npt.NDArray[np.float64], acceptable: Bools
) -> tuple[float, int]:
    """(abusive weight no column flags, acceptable messages some column flags)."""
    flagged = np.asarray((scores >= thresholds).any(axis=1), dtype=bool)
    return float(lost_weight[~flagged].sum()), int(flagged[acceptable].sum())


def _best_for_column(
    score: F32,
    free: Bools,
    acceptable: Bools,
    lost_weight: npt.NDArray[np.float64],
    floor: float,
    price: float | None,
    room: int,
) -> float:
    """One column's threshold, the others fixed: only the messages no other column flags
    (`free`) depend on it. With a `price`, minimise lost weight + price × false flags; without,
    minimise lost weight with at most `room` false flags (ties: the lowest threshold)."""
    s = score[free]
    order = np.argsort(s, kind="stable")
    ranked = s[order]
    inside = ranked[(ranked >= floor) & (ranked < _CEILING)]
    candidates = np.unique(np.concatenate([[floor, _CEILING], inside + 1e-4]))
    candidates = candidates[(candidates >= floor) & (candidates <= _CEILING)]
    below = np.searchsorted(ranked, candidates, side="left")  # messages this threshold misses
    lost = np.concatenate([[0.0], np.cumsum(lost_weight[free][order])])[below]
    false_total = np.concatenate([[0], np.cumsum(acceptable[free][order])])
    false_flags = false_total[-1] - false_total[below]
    if price is not None:
        return float(candidates[int(np.argmin(lost + price * false_flags))])
    allowed = false_flags <= room
    if not allowed.any():
        return float(candidates[-1])
    best = lost[allowed].min()
    return float(candidates[int(np.flatnonzero(allowed & (lost <= best + 1e-9))[0])])


def _descend(
    scores: F32,
    start: F32,
    floors: F32,
    acceptable: Bools,
    lost_weight: npt.NDArray[np.float64],
    price: float | None,
    budget: int,
) -> F32:
    """Coordinate descent: each column in turn set to its best value given the others, until
    nothing moves. Priced (any number of false flags, each costing `price`) or within `budget`."""
    chosen = start.copy()
    columns = scores.shape[1]
    for _ in range(50):
        before = chosen.copy()
        for c in range(columns):
            others = [o for o in range(columns) if o != c]
            by_others = np.asarray((scores[:, others] >= chosen[others]).any(axis=1), dtype=bool)
            room = budget - int(by_others[acceptable].sum())
            chosen[c] = _best_for_column(
                scores[:, c], ~by_others, acceptable, lost_weight, float(floors[c]), price, room
            )
        if np.array_equal(before, chosen):
            break
    return chosen


def choose_under_budget(
    scores: F32,
    gold: Bools,
    floors: F32,
    acceptable: Bools,
    limit: float,
    weights: npt.NDArray[np.floating[Any]] | None = None,
) -> F32:
    """Thresholds, each at or above its floor (the category's best-F1 threshold, so no label is
    given more freely than its own F1 asks), that lose the least abusive weight while at most
    `limit` of the acceptable messages get any label. Chosen jointly: for a range of prices on a
    false flag, coordinate descent on lost weight + price × false flags; each result made to fit
    the budget (`limit_false_flags`) and improved within it; the best of those and of the plain
    greedy wins. The greedy alone, one step at a time, can rest where one column took the budget
    first (session 18: the threat threshold jumped between 0.52 and 0.95 between retrains)."""
    weight = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    lost_weight = np.where(np.asarray(gold.any(axis=1), dtype=bool), weight, 0.0)
    budget = int(np.floor(limit * int(acceptable.sum()) + 1e-9))
    greedy = limit_false_flags(scores, gold, floors, acceptable, limit, weights)
    starts = [greedy]
    for price in np.geomspace(0.05, 50.0, 25):
        priced = _descend(scores, floors, floors, acceptable, lost_weight, float(price), budget)
        starts.append(limit_false_flags(scores, gold, priced, acceptable, limit, weights))
    best: tuple[float, F32] | None = None
    for start in starts:
        candidate = _descend(scores, start, floors, acceptable, lost_weight, None, budget)
        lost, false_flags = _weighted_loss(scores, candidate, lost_weight, acceptable)
        if false_flags <= budget and (best is None or lost < best[0] - 1e-9):
            best = (lost, candidate)
    return best[1] if best is not None else greedy


def recall_threshold(scores: F32, gold: Bools, recall: float) -> float:
    """The highest threshold keeping at least `recall` of the positives."""
    positives = np.sort(scores[gold])
    if positives.size == 0:
        return 0.5
    keep = int(np.ceil(recall * positives.size))
    return round(float(max(positives[positives.size - keep] - 1e-4, 0.05)), 4)
