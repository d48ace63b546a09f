"""Hashed features: position-independent, grouped per text, target features present."""

import numpy as np
import pytest

from classifiers.features import Features, extract, word_hashes


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


def test_near_equals_a_token_by_token_reference() -> None:
    # `_near` shifts tokens laid out with gaps between sentences; the reference looks at each
    # token's neighbours one by one, within its sentence
    from classifiers.features import _LAG_MASKS, _LEAD_MASKS, _REACH, _near

    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 5, 40, 300):
        roles = rng.integers(0, 64, size) * (rng.random(size) < 0.4)
        sentence = np.sort(rng.integers(0, max(size // 4, 1), size))
        expected = np.zeros(size, dtype=np.int64)
        for i in range(size):
            for lag in range(1, _REACH + 1):
                if i - lag >= 0 and sentence[i - lag] == sentence[i]:
                    expected[i] |= roles[i - lag] & _LAG_MASKS[lag]
                if i + lag < size and sentence[i + lag] == sentence[i]:
                    expected[i] |= roles[i + lag] & _LEAD_MASKS[lag]
        assert _near(roles, sentence).tolist() == expected.tolist()


@pytest.mark.parametrize("few_cues", [32, -1])  # the Python path, and the numpy path
def test_a_cue_phrase_never_spans_two_texts_of_a_batch(monkeypatch, few_cues: int) -> None:  # type: ignore[no-untyped-def]
    import classifiers.features as features_module
    from classifiers.lexicon import CUES

    monkeypatch.setattr(features_module, "_FEW_CUES", few_cues)

    phrases = [p.split() for words in CUES.values() for p in words]
    two = next(p for p in phrases if len(p) == 2)
    three = next(p for p in phrases if len(p) == 3)
    for first, rest in ((two[:1], two[1:]), (three[:1], three[1:]), (three[:2], three[2:])):
        left, right = "well " + " ".join(first), " ".join(rest) + " anyway"
        assert _buckets([left, right], 0, "words") == _buckets([left], 0, "words")
        assert _buckets([left, right], 1, "words") == _buckets([right], 0, "words")


def test_a_whole_three_word_cue_phrase_adds_cue_features(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import classifiers.features as features_module
    from classifiers.lexicon import CUES

    three = next(p for words in CUES.values() for p in words if len(p.split()) == 3)
    with_cues = _buckets([three], 0, "words")
    monkeypatch.setattr(features_module, "_cue_features", lambda *args: None)
    assert len(with_cues) > len(_buckets([three], 0, "words"))


def _arrays(features: Features) -> list[tuple[str, bytes]]:
    result = []
    for group in (features.chars, features.words):
        result += [(a.dtype.str, a.tobytes()) for a in (group.row, group.bucket, group.sign)]
        result.append((group.anchor.dtype.str, group.anchor.tobytes()))
    for array in (features.char_scale, features.word_scale, features.token_start):
        result.append((array.dtype.str, array.tobytes()))
    return result


def test_few_cue_hits_built_in_python_equal_the_numpy_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Up to `_FEW_CUES` hits the cue features are built in a Python loop; every feature, its
    # order included, must be what the numpy path builds.
    import classifiers.features as features_module
    from classifiers.lexicon import CUES

    phrases = [p for words in CUES.values() for p in words]
    texts = [
        f"you {' '.join(phrases[i : i + 3])}. my team said '{phrases[i + 3]}' to her"
        for i in range(0, min(len(phrases) - 3, 120), 3)
    ]
    batches = [[t] for t in texts] + [texts[k : k + 4] for k in range(0, len(texts), 4)]
    calls = []
    few = features_module._few_cue_features
    monkeypatch.setattr(features_module, "_few_cue_features", lambda *a: calls.append(1) or few(*a))
    fast = [_arrays(extract(batch, 16)) for batch in batches]
    assert len(calls) == len(batches)  # every batch took the Python path
    monkeypatch.setattr(features_module, "_FEW_CUES", -1)
    slow = [_arrays(extract(batch, 16)) for batch in batches]
    assert len(calls) == len(batches)  # and none now
    assert fast == slow


def test_quoted_pattern_matches_what_its_plain_form_matches() -> None:
    # `_QUOTED` places the single quote's look-behind after it (literal first, for speed).
    import random
    import re

    import classifiers.features as features_module
    from classifiers import corpus

    plain = re.compile(r"\"[^\"\x00\n]{1,300}\"|(?<![a-z0-9])'[^'\x00\n]{1,300}'(?![a-z0-9])")
    rng = random.Random(3)
    texts = [m.text.lower() for m in corpus.load_corpus()]
    texts.append("'a' b'c' 'd'e \"f\" ''x'' a''b' \"\" '\x00' 'g\nh' ' i ' '9' 9'x'")
    texts += ["".join(rng.choices("ab9 '\"\n\x00.", k=rng.randint(0, 16))) for _ in range(30000)]
    matched = 0
    for text in texts:
        want = [m.span() for m in plain.finditer(text)]
        assert [m.span() for m in features_module._QUOTED.finditer(text)] == want, text
        matched += bool(want)
    assert matched > 1000


def _plain_lookup(keys: np.ndarray, values: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Per probe, its value in the sorted `keys` (0 if absent), with no filter."""
    if keys.size == 0 or probe.size == 0:
        return np.zeros(probe.size, dtype=np.int64)
    where = np.minimum(keys.searchsorted(probe), keys.size - 1)
    return np.where(keys[where] == probe, values[where], 0)


def test_filtered_cue_lookup_equals_the_plain_lookup() -> None:
    # `_cue_hits` looks up only the probes its filter lets through; it must find every cue
    # phrase a plain binary search finds, with the same theme bits, and nothing else.
    import classifiers.features as features_module
    from classifiers import corpus
    from classifiers.normalize import normalize_many

    keys, values, _present = features_module._cue_table()
    rng = np.random.default_rng(9)
    texts = normalize_many([m.text for m in corpus.load_corpus()][:2000])
    features = extract(texts, 16)
    near_misses = keys ^ rng.integers(1, 1 << 20, keys.size).astype(np.uint64)  # filter: yes
    probes = [
        features.token_hash,
        keys,
        near_misses,
        rng.integers(0, 1 << 63, 5000).astype(np.uint64) * np.uint64(2),
        np.concatenate([keys[::7], features.token_hash[:500], near_misses[::3]]),
        np.zeros(0, dtype=np.uint64),
    ]
    for probe in probes:
        found = _plain_lookup(keys, values, probe)
        at, hits = features_module._cue_hits(probe)
        assert at.tolist() == found.nonzero()[0].tolist()
        assert hits.tolist() == found[at].tolist()
    assert features_module._cue_hits(keys)[0].size == keys.size
