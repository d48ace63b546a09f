"""Hashed features: position-independent, grouped per text, target features present."""

import numpy as np

from classifiers.features import extract, word_hashes


def _buckets(texts: list[str], row: int, group: str) -> list[int]:
    features = extract(texts, 16)
    chosen = getattr(features, group)
    return sorted(chosen.bucket[chosen.row == row].tolist())


def test_features_do_not_depend_on_the_neighbours_in_a_batch() -> None:
    alone = _buckets(["you are an idiot"], 0, "words")
    batched = _buckets(["something else first", "you are an idiot"], 1, "words")
    assert alone == batched
    assert _buckets(["hello"], 0, "chars") == _buckets(["x", "hello"], 1, "chars")


def test_token_hashes_match_word_hashes() -> None:
    features = extract(["kill the process"], 16)
    assert features.token_hash.tolist() == word_hashes(["kill", "the", "process"]).tolist()


def test_target_features_separate_you_from_i() -> None:
    you = set(_buckets(["you are an idiot"], 0, "words"))
    me = set(_buckets(["i am an idiot"], 0, "words"))
    shared_word = set(_buckets(["idiot"], 0, "words"))
    assert shared_word <= you and shared_word <= me
    assert you - me and me - you


def test_group_scales_are_unit_norm_counts() -> None:
    features = extract(["a b c", ""], 16)
    counts = np.bincount(features.chars.row, minlength=2)
    assert np.allclose(features.char_scale, 1 / np.sqrt(np.maximum(counts, 1)))
    assert features.n == 2


def test_quoted_words_get_their_own_features() -> None:
    plain = _buckets(["the driver called me a useless idiot"], 0, "words")
    quoted = _buckets(["the driver called me 'a useless idiot'"], 0, "words")
    double = _buckets(['the driver called me "a useless idiot"'], 0, "words")
    assert set(plain) < set(quoted)  # every plain feature, and quoted ones besides
    assert quoted == double  # either kind of quotation mark


def test_an_apostrophe_is_not_a_quotation_mark() -> None:
    possessive = _buckets(["the customers' fault, not the agents' fault"], 0, "words")
    plain = _buckets(["the customers fault, not the agents fault"], 0, "words")
    assert possessive == plain
