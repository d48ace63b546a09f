from __future__ import annotations

import numpy as np

from classifiers.thresholds import limit_false_flags

# Two categories: insult (column 0) and threat (column 1). Two of four acceptable messages carry
# a false label; the limit allows one. Raising insult past its false label loses two abusive
# messages, raising threat past its one loses one, a threat to safety.
SCORES = np.array(
    [
        [0.60, 0.00],  # acceptable, falsely an insult
        [0.00, 0.60],  # acceptable, falsely a threat
        [0.00, 0.00],  # acceptable
        [0.00, 0.00],  # acceptable
        [0.55, 0.00],  # abusive insult
        [0.58, 0.00],  # abusive insult
        [0.00, 0.59],  # abusive threat, extreme
    ],
    dtype=np.float32,
)
GOLD = np.array(
    [[0, 0], [0, 0], [0, 0], [0, 0], [1, 0], [1, 0], [0, 1]],
    dtype=bool,
)
ACCEPTABLE = ~GOLD.any(axis=1)
EXTREME = np.array([0, 0, 0, 0, 0, 0, 1], dtype=bool)
START = np.array([0.5, 0.5], dtype=np.float32)


def _false_flag_rate(thresholds: np.ndarray) -> float:
    flagged = (thresholds <= SCORES).any(axis=1)
    return float(flagged[ACCEPTABLE].mean())


def test_unweighted_the_category_that_loses_fewest_abusive_messages_is_raised() -> None:
    chosen = limit_false_flags(SCORES, GOLD, START, ACCEPTABLE, 0.25)
    assert chosen[0] == START[0]
    assert chosen[1] > 0.60
    assert _false_flag_rate(chosen) <= 0.25


def test_a_weight_on_safety_threats_moves_the_cost_to_the_other_category() -> None:
    weights = np.where(EXTREME, 5.0, 1.0)
    chosen = limit_false_flags(SCORES, GOLD, START, ACCEPTABLE, 0.25, weights=weights)
    assert chosen[1] == START[1]  # the threat stays caught
    assert chosen[0] > 0.60
    assert _false_flag_rate(chosen) <= 0.25
    assert bool((SCORES[6] >= chosen).any())


def test_weights_of_one_choose_as_no_weights() -> None:
    plain = limit_false_flags(SCORES, GOLD, START, ACCEPTABLE, 0.25)
    ones = limit_false_flags(SCORES, GOLD, START, ACCEPTABLE, 0.25, weights=np.ones(len(SCORES)))
    assert np.array_equal(plain, ones)
