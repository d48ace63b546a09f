"""Counterfactual copies of acceptable training windows (classifiers/counterfactual.py)."""

import re

from classifiers import counterfactual
from classifiers.corpus import Message
from classifiers.train import Example, TrainConfig, _head_weights, corpus_examples

_WORD = re.compile(r"[\w-]+")


def test_copies_name_other_groups_in_the_same_places() -> None:
    text = "Hi, I'm gay and my Muslim neighbour is deaf, could you deliver to the door?"
    copies = counterfactual.copies(text, 3, "seed")
    assert len(copies) == 3 and len(set(copies)) == 3
    original = _WORD.findall(text)
    for copy in copies:
        words = _WORD.findall(copy)
        assert len(words) == len(original)
        changed = [(a, b) for a, b in zip(original, words, strict=True) if a != b]
        # exactly the three group words changed, each to another group word
        assert [a for a, _ in changed] == ["gay", "Muslim", "deaf"]
        assert all(b.lower() in {w.lower() for w in counterfactual.WORDS} for _, b in changed)
        assert all(a.lower() != b.lower() for a, b in changed)
        assert changed[1][1][0].isupper()  # "Muslim" opened with a capital: so does its copy


def test_copies_are_reproducible_and_depend_on_the_seed() -> None:
    text = "As a deaf customer I need the letter by email please."
    assert counterfactual.copies(text, 2, "a:0") == counterfactual.copies(text, 2, "a:0")
    assert counterfactual.copies(text, 4, "a:0") != counterfactual.copies(text, 4, "b:0")


def test_words_inside_other_words_and_texts_without_groups_get_no_copies() -> None:
    for text in ("The transport to Blackpool was deafening, whitewash the blackboard",
                 "Christianson Ltd, invoice 44", "no group named here"):  # fmt: skip
        assert counterfactual.copies(text, 3, "s") == []
    assert counterfactual.copies("I'm deaf", 0, "s") == []


def _message(ident: str, text: str, labels: tuple[str, ...] = ()) -> Message:
    severity = "abusive" if labels else "none"
    return Message(ident, f"fam-{ident}", text, labels, severity)


def test_only_acceptable_windows_are_copied_with_their_family_and_weight() -> None:
    messages = [
        _message("ok", "My partner is deaf, please send the contract by email."),
        _message("bad", "Your gay adviser is useless", ("identity_attack", "insult")),
        _message("plain", "Where is my parcel?"),
    ]
    plain = corpus_examples(messages)
    assert [e.text for e in plain] == [m.text for m in messages]
    examples = corpus_examples(messages, counterfactual_copies=2, counterfactual_weight=0.5)
    copies = [e for e in examples if e.weight == 0.5]
    assert len(examples) == 5 and len(copies) == 2
    assert all(e.family == "fam-ok" and e.labels["offensive"] == 0 for e in copies)
    assert all("deaf" not in e.text and e.text.endswith("send the contract by email.")
               for e in copies)  # fmt: skip


def test_an_example_weight_scales_its_head_weight() -> None:
    labels = {"insult": 0, "offensive": 0}
    examples = [
        Example("I'm deaf", labels, 1.0, "corpus"),
        Example("I'm blind", labels, 0.5, "corpus"),
        Example("you idiot", {"insult": 1, "offensive": 1}, 1.0, "corpus"),
    ]
    weights = _head_weights(examples, "insult", TrainConfig(positive_boost=0.0))
    assert weights[1] == 0.5 * weights[0] and weights[0] > 0
