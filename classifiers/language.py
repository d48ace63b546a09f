"""Which language a message is in, cheaply: the script of its letters, then function words,
then (for Latin-script text with no English word at all) Google's CLD2.

The model covers English only; text judged to be in another language is not assessed (and so
never flagged). The guess leans to English: a message is called foreign only when most of its
letters are in a non-Latin script, when another language's function words clearly outnumber
English ones, or when it holds no English word (no English function word and no word of our
English lexicon) and CLD2 is sure of another language. So short or mixed messages stay assessed.

Words that are function words of English and of another language ("a", "is", "for", "me") are
evidence for neither, and one-letter words are not counted: before, "you're a snake, a lying
snake" and spaced-out "Y O U  A R E  U S E L E S S" were called Portuguese and so never assessed.
CLD2 (`pycld2`, ~10 µs a message) runs only when nothing English was found; on our corpus it
finds most of the short foreign messages the function words miss ("danke, hat geklappt!").
"""

from __future__ import annotations

import re
from bisect import bisect_right

import pycld2  # type: ignore[import-untyped]

from classifiers.lexicon import ENGLISH_EXTRA, LEET_WORDS, OBFUSCATION_TARGETS, STOPWORDS

ENGLISH = "en"
_LIMIT = 4000  # characters looked at: enough to tell, and bounded on 1 MB texts

# (first code point, script) for the scripts we recognise; letters elsewhere count as Latin.
_SCRIPTS: list[tuple[int, str]] = [
    (0x0370, "el"), (0x0400, "und-Cyrl"), (0x0530, "hy"), (0x0590, "he"), (0x0600, "ar"),
    (0x0780, ""), (0x0900, "hi"), (0x0980, ""), (0x0E00, "th"), (0x0E80, ""),
    (0x10A0, "ka"), (0x1100, "ko"), (0x1200, ""), (0x3040, "ja"), (0x3100, ""),
    (0x3400, "zh"), (0xA000, ""), (0xAC00, "ko"), (0xD7B0, ""), (0xF900, "zh"), (0xFB00, ""),
    (0xFB50, "ar"), (0xFE00, ""), (0xFE70, "ar"), (0xFF00, ""),
]  # fmt: skip
_STARTS = [start for start, _ in _SCRIPTS]
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in STOPWORDS.items():
    for _word in _words | (ENGLISH_EXTRA if _lang == ENGLISH else frozenset()):
        _WORD_LANGS[_word] = (*_WORD_LANGS.get(_word, ()), _lang)
# A word in the English list and another one is evidence for neither.
for _word, _langs in list(_WORD_LANGS.items()):
    if ENGLISH in _langs and len(_langs) > 1:
        del _WORD_LANGS[_word]
# Words of our English lexicon (cue words, swear words) that no other list has: a message with
# one of them is being written at least partly in English, and is assessed.
_ENGLISH_LEXICON = frozenset(
    word
    for word in LEET_WORDS | frozenset(OBFUSCATION_TARGETS)
    if not any(word in words for lang, words in STOPWORDS.items() if lang != ENGLISH)
)
_CLD2_MIN_PERCENT = 70  # of the text's bytes in the language CLD2 names
_ENGLISH_ONLY = (ENGLISH,)
# English function words that make a window mostly in another script English after all
_MIXED_ENGLISH_WORDS = 3
# Characters from the first recognised script up: the only ones `_script` needs to look up.
_HIGH = re.compile("[\u0370-\U0010ffff]+")
_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'\n\t\r"})


def guess(raw: str, normalised: str) -> str:
    """A language code for the message: "en", or the code of the language it is clearly in.

    `raw` is the original text (its scripts are counted), `normalised` the normalised text
    (lower case, accents folded) whose words are counted.
    """
    script = _script(raw[:_LIMIT])
    words = normalised[:_LIMIT].translate(_PUNCTUATION).split()
    if script:
        # Mostly another script, but with an English sentence in it (a window where a foreign
        # opening gives way to English): assessed, so the English part cannot hide.
        english_words = sum(1 for word in words if _WORD_LANGS.get(word) == _ENGLISH_ONLY)
        return ENGLISH if english_words >= _MIXED_ENGLISH_WORDS else script
    counts: dict[str, float] = {}
    # the function words only, in order (the sums below are the same additions in the same order)
    for langs in [_WORD_LANGS[word] for word in words if len(word) > 1 and word in _WORD_LANGS]:
        for lang in langs:  # a word shared by k languages is 1/k evidence for each
            counts[lang] = counts.get(lang, 0.0) + 1.0 / len(langs)
    english = counts.pop(ENGLISH, 0.0)
    if counts:
        lang, hits = max(counts.items(), key=lambda item: (item[1], item[0]))
        if (hits >= 2 and english == 0) or (hits >= 3 and hits >= 2 * english + 1):
            return lang
    if english or any(word in _ENGLISH_LEXICON for word in words):
        return ENGLISH
    return _cld2(raw[:_LIMIT])


def _cld2(text: str) -> str:
    """CLD2's language when it is sure (reliable, most of the text) and not English; else "en"."""
    try:
        reliable, _, found = pycld2.detect(text)
    except pycld2.error:  # e.g. bytes it cannot take: leave the text assessed
        return ENGLISH
    code, percent = found[0][1], found[0][2]
    if reliable and code not in (ENGLISH, "un") and percent >= _CLD2_MIN_PERCENT:
        return str(code)
    return ENGLISH


def _script(text: str) -> str:
    """The non-Latin script most letters are in, or "" (Latin, or too few letters)."""
    if text.isascii():
        return ""
    # Only letters from U+0370 up can name a script, so only runs of such characters are looked
    # at (most non-ASCII support text is Latin accents or emoji); the letters of the whole text
    # are counted only when some script was seen.
    counts: dict[str, int] = {}
    for run in _HIGH.findall(text):
        for char in run:
            if not char.isalpha():
                continue
            script = _SCRIPTS[bisect_right(_STARTS, ord(char)) - 1][1]
            if script:
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return ""
    letters = sum(1 for char in text if char.isalpha())
    script, hits = max(counts.items(), key=lambda item: item[1])
    return script if hits * 2 > letters and hits >= 3 else ""
