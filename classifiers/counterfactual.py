"""Counterfactual copies of acceptable training text: the same message naming another group.

A word for a group of people ("gay", "Muslim", "deaf", "Nigerian") is not abuse on its own, but
a linear model learns it as abuse when the word appears in abusive training messages more often
than in acceptable ones ("gay": 18 acceptable and 42 abusive messages in the train and dev
splits of session 17). Adding acceptable messages that name groups is the remedy of Dixon et al.
2018; here each acceptable training window that names a group gets copies in which every such
word is replaced by a word for another group (counterfactual data augmentation; Park et al.
2018 swapped gender words in every training message), so every group word is seen in the same
harmless contexts. Abusive messages are not copied: a copy would put words for other groups
into abuse and teach the opposite.

The words are a list of their own (adjectives and demonyms that fit the same slot), written for
this purpose; many are also words of the identity audit (`identity_audit.json`), which would
then no longer measure words the model has never seen in harmless text. The held-out split's
real messages stay an independent check (`identity_audit.acceptable_by_mention`). Measured in
session 18, on by default since session 19 (`TrainConfig.counterfactual_copies`: 2 copies at
weight 0.5; docs/classifier-quality.md).
"""

from __future__ import annotations

import random
import re

# Words that fill the slot in "I'm ___", "my ___ neighbour", "as ___ customers". Not "old" or
# "young" (mostly about things: "the old router"). "black" and "white" are kept although often
# about things ("a white van"): they are among the words most often attacked in the corpus, and
# a copy that reads "a Sikh van" is odd but harmless.
GROUP_WORDS: dict[str, tuple[str, ...]] = {
    "race_ethnicity_nationality": (
        "black", "white", "Asian", "Chinese", "Indian", "Pakistani", "Bangladeshi", "Polish",
        "Romanian", "Nigerian", "Ghanaian", "Somali", "Jamaican", "Caribbean", "African",
        "Irish", "Mexican", "Arab", "Turkish", "Kurdish", "Filipino", "Romany", "immigrant",
    ),
    "religion": (
        "Muslim", "Jewish", "Christian", "Hindu", "Sikh", "Catholic", "Buddhist", "atheist",
    ),
    "sexuality": ("gay", "lesbian", "bisexual", "queer"),
    "sex_gender": ("trans", "transgender", "nonbinary", "female", "male", "pregnant"),
    "disability": (
        "deaf", "blind", "disabled", "autistic", "dyslexic", "wheelchair-using",
    ),
    "age": ("elderly", "retired", "teenage"),
}  # fmt: skip

WORDS: tuple[str, ...] = tuple(sorted({w for group in GROUP_WORDS.values() for w in group}))
_ALTERNATIVES = "|".join(map(re.escape, sorted(WORDS, key=len, reverse=True)))
_PATTERN = re.compile(rf"(?<![\w-])(?:{_ALTERNATIVES})(?![\w-])", re.IGNORECASE)
# per word (lower case), the words that may replace it
_OTHERS = {w.lower(): tuple(o for o in WORDS if o.lower() != w.lower()) for w in WORDS}


def names_a_group(text: str) -> bool:
    return _PATTERN.search(text) is not None


def swapped(text: str, rng: random.Random) -> str:
    """`text` with each group word replaced by another one, drawn from every group (a capital
    kept where the original had one)."""

    def replace(match: re.Match[str]) -> str:
        old = match.group(0)
        new = rng.choice(_OTHERS[old.lower()])
        return new[0].upper() + new[1:] if old[0].isupper() else new

    return _PATTERN.sub(replace, text)


def copies(text: str, count: int, seed: str) -> list[str]:
    """Up to `count` distinct counterfactual copies of `text` (none when it names no group);
    the same `seed` gives the same copies."""
    if count <= 0 or not names_a_group(text):
        return []
    rng = random.Random(seed)  # noqa: S311 - reproducible training data, not secrets
    result: list[str] = []
    for _ in range(count * 3):
        candidate = swapped(text, rng)
        if candidate != text and candidate not in result:
            result.append(candidate)
        if len(result) == count:
            break
    return result
