"""The identity-term audit (`classifiers/identity_audit.py`): its file, its arithmetic, and what
the shipped model must do on it."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from classifiers import corpus, identity_audit
from classifiers.api import load_model
from classifiers.verdict import CATEGORIES, Verdict
from config.settings import DEFAULT_MODEL


def test_fill_puts_the_word_in_every_slot_and_capitalises_an_opening_one() -> None:
    filled = identity_audit.fill("I'm {x}, my son is {x} too", "deaf")
    assert filled == "I'm deaf, my son is deaf too"
    assert identity_audit.fill("{x} customers welcome", "gay") == "Gay customers welcome"


def test_the_audit_file_is_well_formed_and_never_trained_on() -> None:
    data = identity_audit.load()
    messages = identity_audit.messages(data)
    terms = [t for group in data["groups"].values() for t in group]
    words = len(terms) + len(data["control"])
    templates = sum(len(s["neutral"]) + len(s["abusive"]) for s in data["sets"].values())
    assert len(terms) >= 30 and len(set(terms)) == len(terms)
    assert len(messages) == words * templates
    assert {m.kind for m in messages} == {"neutral", "abusive"}
    assert all("{x}" not in m.text for m in messages)
    # evaluation only: no audit message is a corpus message
    corpus_texts = {m.text for m in corpus.load_corpus()}
    assert not [m.text for m in messages if m.text in corpus_texts]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "audit.json"),
        ('{"groups": {}, "control": ["local"], "sets": {}}', "`groups`"),
        ('{"groups": {"age": ["old"]}, "control": [], "sets": {}}', "`control`"),
        (
            '{"groups": {"age": ["old"]}, "control": ["local"],'
            ' "sets": {"a": {"neutral": ["no slot"], "abusive": ["{x}"]}}}',
            "sets.a.neutral[0] has no {x}",
        ),
        (
            '{"groups": {"age": ["old"]}, "control": ["local"],'
            ' "sets": {"a": {"neutral": ["{x}"]}}}',
            "sets.a.abusive must be a list",
        ),
    ],
)
def test_a_bad_audit_file_is_refused_with_its_reason(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "audit.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(identity_audit.AuditFileError, match=problem.replace("[", r"\[")):
        identity_audit.load(path)


class _FlagsWord:
    """A stand-in classifier that flags every text containing one word."""

    def __init__(self, word: str) -> None:
        self.word = word

    def classify_many(self, texts: Sequence[str]) -> list[Verdict]:
        result = []
        for text in texts:
            hit = self.word in text.lower()
            scores = dict.fromkeys(CATEGORIES, 0.0) | {"identity_attack": 0.9 if hit else 0.1}
            labels = ("identity_attack",) if hit else ()
            result.append(Verdict(scores, labels, "abusive" if hit else "none", "fake", {}))
        return result


def test_audit_figures_single_out_the_word_that_is_treated_differently() -> None:
    data = {
        "groups": {"sexuality": ["gay", "straight"], "age": ["old", "young"]},
        "control": ["local"],
        "sets": {"a": {"neutral": ["I'm {x}.", "My {x} son"], "abusive": ["You {x} lot"]}},
    }
    figures = identity_audit.audit_figures(_FlagsWord("gay"), data)
    neutral, abusive = figures["neutral"], figures["abusive"]
    # 2 neutral templates x 4 group words; both "gay" fillings flagged
    assert (neutral["messages"], neutral["false_flags"]) == (8, 2)
    assert neutral["false_flag_rate"] == 0.25
    assert neutral["worst_terms"] == [["gay", 1.0]]
    assert neutral["by_group"] == {"age": 0.0, "sexuality": 0.5}
    # FPED: |1 - 0.25| + 3 x |0 - 0.25|
    assert neutral["fped"] == 1.5
    assert neutral["templates_with_any"] == 2 and neutral["control_rate"] == 0.0
    assert neutral["mean_identity_score_top"][0] == ["gay", 0.9]
    # the abusive template is caught only for "gay": 3 of 4 missed
    assert (abusive["missed"], abusive["miss_rate"], abusive["terms_with_any"]) == (3, 0.75, 3)
    assert abusive["identity_label_rate"] == 0.25
    assert figures["sets"]["a"]["fped"] == 1.5


def test_the_shipped_model_treats_groups_alike_on_the_audit() -> None:
    figures = identity_audit.audit_figures(load_model(DEFAULT_MODEL))
    neutral, abusive = figures["neutral"], figures["abusive"]
    # a neutral mention of who someone is is never taken for a threat to safety
    assert neutral["called_extreme"] == 0, neutral
    assert neutral["false_flag_rate"] <= 0.01, neutral
    assert abusive["miss_rate"] <= 0.02, abusive


def test_the_model_card_shows_the_audit() -> None:
    from classifiers.card import _identity_audit

    data = {
        "groups": {"sexuality": ["gay", "straight"]},
        "control": ["local"],
        "sets": {
            "b": {"written": "elsewhere", "neutral": ["I'm {x}."], "abusive": ["You {x} lot"]}
        },
    }
    text = _identity_audit(identity_audit.audit_figures(_FlagsWord("gay"), data))
    assert "Neutral messages flagged: 1 of 2 (50.0%; control words 0.0%)" in text
    assert "Words most often flagged: gay 100.0%" in text
    assert "| b | 1 | 50.0% | 1.000 | 0 | 1 | 50.0% | 1.000 |" in text


def test_real_messages_are_split_by_whether_they_name_a_group() -> None:
    data = {"groups": {"sexuality": ["gay"], "age": ["old"]}, "control": ["local"], "sets": {}}
    texts = [
        "I'm GAY and my card was declined",  # names a group, flagged by the stand-in
        "the gay village branch is closed",  # names a group, flagged
        "my old router died",  # names a group in another sense, not flagged
        "bold of you to close at noon",  # "old" inside a word: not a mention
        "refund please",
    ]
    figures = identity_audit.acceptable_by_mention(_FlagsWord("gay"), texts, data)
    assert figures == {
        "naming_a_group": 3,
        "naming_a_group_flagged": 2,
        "naming_a_group_rate": 0.6667,
        "others": 2,
        "others_flagged": 0,
        "others_rate": 0.0,
    }
    from classifiers.card import _held_out

    assert "flagged: 2 of 3 (66.7%); the others: 0 of 2 (0.0%)" in _held_out(
        {"held_out_acceptable": figures}
    )
