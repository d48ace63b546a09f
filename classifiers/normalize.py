"""Text normalisation before features, with a map back to the original characters.

`normalize(text)` lowers case, folds accents, Unicode look-alikes and typographic punctuation
(one character for one, so offsets survive), strips HTML, and undoes common obfuscation:
masked letters ("f*ck", "a$$"), leetspeak ("sh1t"), spaced letters ("f u c k"), stretched letters
("fuuuuck") and short spellings ("fkn"). Obfuscated tokens are rewritten only when the result is
one of `lexicon.OBFUSCATION_TARGETS` (or, for leetspeak alone, a cue word of four letters or
more: `lexicon.LEET_WORDS`), so "win10", "e-mail" or "3rd" are left alone. Last, a sentence,
phrase or word said again straight after itself is kept once (`_collapse_repeats`).

With `keep_offsets=True` the result maps positions back: normalised character `i` comes from
original position `original_position(i)`, and `len(text)` maps to `len(original)`. A span's
end is followed back with `original_end(j)`, which differs only inside a replacement: there the
end maps to where the replaced text ended, so a normalised span `[i, j)` is the original span
`[original_position(i), original_end(j))` (`original_span`), and a replacement maps onto the
whole stretch of original text it replaced (a word ending inside "b*stards." is not empty).
The map is kept as each step's list of edits (`Layer`) and followed back only for the positions
asked for: recording costs a few list appends per edit, where an array of every position cost
about as much as the normalisation itself.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import islice
from operator import eq

from classifiers.lexicon import (
    ABBREVIATIONS,
    COMPOUND_HEADS,
    INNOCENT_PHRASES,
    INNOCENT_TRIGGERS,
    LEET,
    LEET_WORDS,
    MASKS,
    OBFUSCATION_TARGETS,
)

Replace = Callable[[re.Match[str]], str | None]

# Window separator used by the batch path: no step below matches across it.
SEPARATOR = "\n\x00\n"

_TARGETS = frozenset(OBFUSCATION_TARGETS)
_TARGETS_BY_LEN: dict[int, tuple[str, ...]] = {}
_NEVER_GUESSED = frozenset({"fag", "die", "you", "your"})  # too short or too common to guess
for _word in OBFUSCATION_TARGETS:
    if _word in _NEVER_GUESSED:
        continue
    _TARGETS_BY_LEN.setdefault(len(_word), ())
    _TARGETS_BY_LEN[len(_word)] += (_word,)
_SEGMENT_WORDS = _TARGETS | {"off", "u", "up", "go", "to", "hell", "a", "the", "out"}

# `[^\x00]`, not `.`: a block or comment must not match across the batch path's separator
# (windows hold no NUL of their own: `storable` reads it as a space).
_BLOCK_TAGS = re.compile(
    r"<\s*(script|style)\b[^<>\x00]{0,500}>[^\x00]{0,20000}?<\s*/\s*\1\s*>", re.I
)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>\x00]{0,2000}>|<!--[^\x00]{0,5000}?-->")
_LINE_TAGS = frozenset(
    ("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr")
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Soft hyphen, zero-width and direction marks, invisible operators, byte-order mark. The step's
# check is built from the same list, so it sees every character the step removes; else a window
# normalised alone keeps what the batch path (whose joined text may hold another) removes.
_INVISIBLE_SET = tuple(
    chr(c)
    for first, last in ((0xAD, 0xAD), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
                        (0xFEFF, 0xFEFF))
    for c in range(first, last + 1)
)  # fmt: skip
_INVISIBLE = re.compile(f"[{''.join(_INVISIBLE_SET)}]+")
# Patterns that start with a literal character (the look-behind placed after it) let the regex
# engine skip ahead to that character instead of trying every position: several times faster
# over a batch's joined text. Each is tested equal to its plain form (test_normalize.py).
_INNER_APOSTROPHE = re.compile(r"'(?<=[a-z]')(?=[a-z])")
_URL = re.compile(r"(?:h(?<!\wh)ttps?://|w(?<!\ww)ww\.)[^\s\x00<>\"]{1,2000}")
_EMAIL = re.compile(r"\b[a-z0-9._%+\-]{1,64}@[a-z0-9.\-]{1,255}\.[a-z]{2,24}\b")
# The part of `_EMAIL` from the "@" on: a text `_EMAIL` matches has a match of this (the check).
_EMAIL_TAIL = re.compile(r"@[a-z0-9.\-]{1,255}\.[a-z]{2,24}\b")
_STRETCH = re.compile(r"([a-z])\1{2,}")
# The checks for the two steps that used to run on every window: a match of `_STRETCH` starts
# with three equal letters; one of `_SPACED` starts with a single letter, one or two separators,
# a letter, one or two separators and a letter (found from the first separator, so the engine
# skips to it). Each takes about half the time of the step's own pattern, and rarely says yes.
_TRIPLE_LETTER = re.compile(r"([a-z])\1\1")
_SPACED_START = re.compile(
    r"[ .\-_*+](?<![a-z0-9][a-z][ .\-_*+])(?<=[a-z][ .\-_*+])[ .\-_*+]?[a-z][ .\-_*+]{1,2}[a-z]"
)
_PUNCT_RUN = re.compile(r"([!?.,*])\1{3,}")
_SYMBOLS = re.escape("".join(LEET) + MASKS)
# A token mixing letters with digits or symbols: a candidate for masked or leet spelling.
# A letter next to a digit or symbol: the token around it may be masked or leet-spelled.
_MASKING = "*#$@%0-9!|€£+¡"
_MIXED = re.compile(rf"[a-z][0-9{_SYMBOLS}]+[a-z]|[a-z][*#$@%0-9]+|(?<![a-z0-9])[{_MASKING}]+[a-z]")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_" + "".join(LEET) + MASKS)
# `_MIXED` anchored on its first digit or symbol instead of the letter before it: a pattern
# that opens with one character set lets the engine skip to the next such character, about 4x
# faster on a window than trying every letter. Every character either pattern matches is a
# token character, so both find a match inside exactly the same runs of token characters, and
# `_deobfuscate_all` rewrites whole runs (test_normalize.py checks the rewrites are equal).
_MIXED_AT_SYMBOL = re.compile(
    rf"[0-9{_SYMBOLS}{_MASKING}]"
    rf"(?:(?<=[a-z][0-9{_SYMBOLS}])[0-9{_SYMBOLS}]*[a-z]"  # `_MIXED`'s first branch
    rf"|(?<=[a-z][*#$@%0-9])"  # its second
    rf"|(?<![a-z0-9][\s\S])(?<=[{_MASKING}])[{_MASKING}]*[a-z])"  # its third
)
_TOKEN_RUN = re.compile(f"[{re.escape(''.join(sorted(_TOKEN_CHARS)))}]*")
# Words for the abbreviation pre-check on ASCII text: every byte but a letter or digit becomes
# a space, so a word the pattern finds is a whole word here (the check may say yes more often
# than the pattern, never less).
_NOT_WORD_CHARS = bytes(c for c in range(128) if not chr(c).isalnum())
_NOT_WORD_BYTES = bytes.maketrans(_NOT_WORD_CHARS, b" " * len(_NOT_WORD_CHARS))
_ABBREVIATION_BYTES = frozenset(k.encode() for k in ABBREVIATIONS if k.isascii())
_ABBREVIATIONS_ARE_ASCII_WORDS = all(k.isascii() and k.isalnum() for k in ABBREVIATIONS)
_CHECK_ABBREVIATIONS_UP_TO = 4096  # characters
_ABBREVIATION = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True)) + r")\b"
)
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_*+]{1,2}[a-z]){2,24}(?![a-z0-9])")
_MENTION = re.compile(r"@(?<![\w@]@)[a-z0-9_]{1,30}")
_HASHTAG = re.compile(r"#(?<![\w#]#)(?=[a-z])")
# 2+ blanks in a row, or any run with a tab, CR, FF or VT in it (each becomes one space)
_SPACES = re.compile(r" [ \t\r\f\v]+|[\t\r\f\v][ \t\r\f\v]*")
_NEWLINES = re.compile(r" \n[ \n]*|\n[ \n]+")


@dataclass(frozen=True, slots=True)
class Layer:
    """One step's edits, in order: where each replacement starts and ends in the text after the
    step (`new_*`) and in the text before it (`old_*`)."""

    new_start: list[int]
    new_end: list[int]
    old_start: list[int]
    old_end: list[int]

    def back(self, position: int, *, end: bool = False) -> int:
        """The position before this step of `position` after it. Inside a replacement that is
        where the replaced text began, or, for the `end` of a span past the replacement's first
        character, where it ended: the span keeps all of what it came from."""
        k = bisect_right(self.new_start, position) - 1
        if k < 0:
            return position  # before the first edit
        if position < self.new_end[k]:
            return self.old_end[k] if end and position > self.new_start[k] else self.old_start[k]
        return position - self.new_end[k] + self.old_end[k]


Offsets = list[Layer]


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str
    offsets: Offsets | None = None  # the steps' edits, first step first
    shift: int = 0  # characters stripped from the start after the last step

    def original_position(self, position: int, *, end: bool = False) -> int:
        """Where normalised `position` (0..len(text)) comes from in the original text (needs
        `keep_offsets=True`); with `end`, where a span ending there ends (`Layer.back`)."""
        if self.offsets is None:
            raise ValueError("normalize(..., keep_offsets=True) is needed for spans")
        position += self.shift
        for layer in reversed(self.offsets):
            position = layer.back(position, end=end)
        return position

    def original_end(self, position: int) -> int:
        """Where a normalised span ending at `position` ends in the original text."""
        return self.original_position(position, end=True)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised `[start, end)` (needs `keep_offsets=True`)."""
        return self.original_position(start), self.original_end(end)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with NUL (the batch separator) and lone surrogates (which no UTF encoding can
    hold) replaced by spaces, one character for one, so spans into it are spans into `text`.
    Valid JSON can carry both ("\\u0000", "\\ud800"); before this they crashed a whole batch."""
    if text.isascii():
        return text.replace("\x00", " ") if "\x00" in text else text
    return _UNSTORABLE.sub(" ", text)


def normalize(text: str, *, keep_offsets: bool = False) -> Normalized:
    """The normalised text (and, on request, the map back to `text`)."""
    text, offsets = _steps(text, [] if keep_offsets else None)
    text, offsets = _collapse_repeats(text, offsets)
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return Normalized(text[start:end], offsets, start)


def normalize_many(texts: list[str]) -> list[str]:
    """`normalize(t).text` for each text, in one pass over the joined texts (no offsets).
    Repeats are collapsed text by text: their cheap checks would say yes to almost any long
    batch, and the patterns would then run over all of it (13 % of a batch's time)."""
    if not texts:
        return []
    joined = SEPARATOR.join(t.replace("\x00", " ") for t in texts)
    text, _ = _steps(joined, None)
    pieces = [_collapse_repeats(piece, None)[0].strip() for piece in text.split("\x00")]
    if len(pieces) != len(texts):  # a step matched across a separator: a bug, said plainly
        raise AssertionError(f"normalize_many: {len(texts)} texts came back as {len(pieces)}")
    return pieces


def _steps(text: str, offsets: Offsets | None) -> tuple[str, Offsets | None]:
    """Every step but the last (repeats) and the final strip."""
    steps: list[tuple[re.Pattern[str], Replace]] = []
    if "<" in text:
        steps += [(_BLOCK_TAGS, _blank), (_TAG, _tag)]
    if "&" in text:
        steps.append((_ENTITY, _entity))
    for pattern, replace in steps:
        text, offsets = _sub(pattern, replace, text, offsets)
    text = _fold(text)
    for needed, pattern, replace in _STEPS:
        if needed(text):
            text, offsets = _sub(pattern, replace, text, offsets)
    text, offsets = _deobfuscate_all(text, offsets)
    for needed, pattern, replace in _LATE_STEPS:
        if needed(text):
            text, offsets = _sub(pattern, replace, text, offsets)
    return text, offsets


def _sub(
    pattern: re.Pattern[str], replace: Replace, text: str, offsets: Offsets | None
) -> tuple[str, Offsets | None]:
    if offsets is None:
        return pattern.sub(lambda m: _or_same(replace, m), text), None
    edits = []
    for match in pattern.finditer(text):
        new = replace(match)
        if new is not None:
            edits.append((match.start(), match.end(), new))
    return _apply(edits, text, offsets)


def _or_same(replace: Replace, match: re.Match[str]) -> str:
    new = replace(match)
    return match.group(0) if new is None else new


def _blank(match: re.Match[str]) -> str:
    return " "


def _tag(match: re.Match[str]) -> str:
    name = (match.group(2) or "").lower()
    return "\n" if name in _LINE_TAGS else " "


def _entity(match: re.Match[str]) -> str | None:
    new = html.unescape(match.group(0))
    return None if new == match.group(0) else new.replace("\x00", " ")


def _fold(text: str) -> str:
    """Lower case and one-for-one character folding (accents, look-alikes, punctuation)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # e.g. "İ" lowers to two characters: keep the first
        lowered = "".join(c.lower()[0] for c in text)
    # The table's only ASCII entry is the backtick: translate (slow, per character) only the
    # runs of other characters.
    lowered = lowered.replace("`", "'")
    if lowered.isascii():
        return lowered
    return _NON_ASCII.sub(_fold_run, lowered)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group(0).translate(_fold_table())


@cache
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    ranges = [
        (0x00A0, 0x0250), (0x0370, 0x0530), (0x1D00, 0x1DC0), (0x1E00, 0x2000),
        (0x2000, 0x2070), (0x2100, 0x2150), (0x2460, 0x2500), (0xFF00, 0xFF70),
        (0x1D400, 0x1D800), (0x1F130, 0x1F190),
    ]  # fmt: skip
    for low, high in ranges:
        for code in range(low, high):
            char = chr(code)
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            ).lower()
            if len(base) == 1 and base != char and base.isascii():
                table[code] = base
    table.update({ord(k): v for k, v in _CONFUSABLES.items()})
    for code in (0x00A0, 0x2007, 0x202F, 0x3000):
        table[code] = " "
    return table


# Look-alike letters from other scripts (single characters, lower case) and typographic marks.
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ɑ": "a", "α": "a", "β": "b", "ε": "e",
    "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ϲ": "c", "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'", "“": '"',
    "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "–": "-", "—": "-", "―": "-",
    "‐": "-", "‑": "-", "…": ".", "•": "*", "·": ".", "×": "x", "ß": "s", "æ": "a", "œ": "o",
    "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "þ": "p",
}  # fmt: skip


def _apply(
    edits: list[tuple[int, int, str]], text: str, offsets: Offsets | None
) -> tuple[str, Offsets | None]:
    """`text` with each `(start, end, new)` edit made (edits sorted, not overlapping), and the
    edits recorded as a `Layer` when offsets are kept."""
    if not edits:
        return text, offsets
    pieces: list[str] = []
    last = 0
    for start, end, new in edits:
        pieces += [text[last:start], new]
        last = end
    pieces.append(text[last:])
    if offsets is None:
        return "".join(pieces), None
    layer = Layer([], [], [], [])
    grown = 0  # how much longer the new text is so far
    for start, end, new in edits:
        layer.new_start.append(start + grown)
        layer.new_end.append(start + grown + len(new))
        layer.old_start.append(start)
        layer.old_end.append(end)
        grown += len(new) - (end - start)
    return "".join(pieces), [*offsets, layer]


@lru_cache(maxsize=65536)
def _deobfuscate_token(token: str) -> str | None:
    if token.isalpha() and token not in ABBREVIATIONS:
        return None
    core = token.rstrip(".!?,;:")
    tail = token[len(core) :]
    # the word without its trailing punctuation first: "p*ki." is "paki" and a full stop, not
    # "pakis" with the "." as a masked letter; the whole token only when the word alone fits
    # nothing ("f*c." is still "fuck")
    for candidate, rest in ((core, tail), (token, "")):
        found = _unmask(candidate)
        if found is not None:
            return found + rest
    return None


def _unmask(token: str) -> str | None:
    if not token:
        return None
    found = _unmask_word(token)
    return found if found is not None else _compound(token)


def _unmask_word(token: str) -> str | None:
    """The target a masked, leet-spelled or shortened word stands for (no compounds)."""
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token]
    leet = "".join(LEET.get(c, c) for c in token)
    if leet in _TARGETS and leet != token:
        return leet
    if leet in ABBREVIATIONS:
        return ABBREVIATIONS[leet]
    if leet in LEET_WORDS and leet != token and _half_letters(token):
        return leet  # a cue word spelled in leetspeak ("0uts1d3"), never one behind masks
    found = _masked_target(leet)
    if found is None and leet != token and _mostly_letters(token):
        # a look-alike that spells no target may hide one ("f@cking" is not "facking")
        found = _masked_target("".join("*" if c in LEET else c for c in token))
    return found


def _mostly_letters(token: str) -> bool:
    """A word with a letter or two disguised ("f@cking"), not a number ("500s", "9am")."""
    letters = sum(c.isalpha() for c in token)
    return token[0].isalpha() and letters >= 3 and letters >= 2 * (len(token) - letters)


def _half_letters(token: str) -> bool:
    """More than half letters: a disguised word ("l0s3r", "0uts1d3"), not a code ("a1b2c3d")."""
    letters = sum(c.isalpha() for c in token)
    return letters >= 2 and 2 * letters >= len(token) + 1


def _masked_target(token: str) -> str | None:
    """The first target whose letters fit the letters of `token` around its masks."""
    fixed = [(i, c) for i, c in enumerate(token) if c.isalpha()]
    if not fixed or len(fixed) == len(token) or len(token) < 3:
        return None
    if any(not (c.isalpha() or c in MASKS) for c in token):
        return None
    for word in _TARGETS_BY_LEN.get(len(token), ()):
        if all(word[i] == c for i, c in fixed):
            return word
    return None


_COMPOUND_MAX = 24
_COMPOUND_CUTS = sorted({len(w) for w in COMPOUND_HEADS}, reverse=True)


def _compound(token: str) -> str | None:
    """A disguised target joined to a plain word: "sh1tshow", "a$$clown", "f**kwits",
    "sh1t-for-brains". The disguised part keeps two letters or is plain leetspeak (not
    "p****"); tokens longer than `_COMPOUND_MAX` (hashes, serial numbers) are left."""
    if len(token) > _COMPOUND_MAX:
        return None
    if "-" in token.strip("-"):
        parts = [(part, _compound_head(part)) for part in token.split("-")]
        if any(found for _part, found in parts):
            return "-".join(found or part for part, found in parts)
        return None
    if not token[-2:].isalpha():
        return None
    # the plain word is all letters: cuts lie after the last character that is not one
    last = max((i for i, c in enumerate(token) if not c.isalpha()), default=len(token))
    for cut in _COMPOUND_CUTS:
        if last < cut <= len(token) - 2:
            found = _compound_head(token[:cut])
            if found in COMPOUND_HEADS:
                return found + token[cut:]
    return None


def _compound_head(part: str) -> str | None:
    if part.isalpha() or len(part) < 3:
        return None
    leet = "".join(LEET.get(c, c) for c in part)
    if leet not in _TARGETS and sum(c.isalpha() for c in part) < 2:
        return None
    found = _unmask_word(part)
    return found if found is not None and " " not in found else None


def _abbreviation(match: re.Match[str]) -> str | None:
    return ABBREVIATIONS.get(match.group(0))


def _despace(match: re.Match[str]) -> str | None:
    letters = "".join(c for c in match.group(0) if c.isalpha())
    words = _segment(letters)
    return " ".join(words) if words else None


def _segment(letters: str) -> list[str] | None:
    """Split `letters` into known words (longest first), or None."""
    if not letters:
        return []
    for end in range(len(letters), 0, -1):
        head = letters[:end]
        if head in _SEGMENT_WORDS:
            rest = _segment(letters[end:])
            if rest is not None:
                return [head, *rest]
    return None


def _unstretch(match: re.Match[str]) -> str:
    return match.group(1)


def _first(match: re.Match[str]) -> str:
    return match.group(1)


def _constant(value: str) -> Replace:
    return lambda match: value


def _has(*needles: str) -> Callable[[str], bool]:
    """A check whether a text contains any of `needles`. These run on every window, a dozen
    per window: a plain loop (and one `isascii` when every needle is beyond ASCII) costs a
    fraction of `any` over a generator."""
    if len(needles) == 1:
        needle = needles[0]
        return lambda text: needle in text

    def contains_any(text: str) -> bool:
        for needle in needles:  # noqa: SIM110 - `any` over a generator is the slow form
            if needle in text:
                return True
        return False

    if any(needle.isascii() for needle in needles):
        return contains_any
    return lambda text: not text.isascii() and contains_any(text)


def _has_email(text: str) -> bool:
    # An address needs "@", a domain and a dot after it: most "@" in support text are
    # mentions ("@user"), and looking for that tail is over ten times cheaper than `_EMAIL`,
    # which tries each word start as the first of up to 64 characters before an "@".
    return "@" in text and _EMAIL_TAIL.search(text) is not None


def _has_abbreviation(text: str) -> bool:
    if len(text) > _CHECK_ABBREVIATIONS_UP_TO:
        return True  # a batch's joined text: checking costs more than the substitution
    if text.isascii():  # bytes.translate is several times cheaper than str.translate
        words = text.encode("ascii").translate(_NOT_WORD_BYTES).split()
        return not _ABBREVIATION_BYTES.isdisjoint(words)
    if _ABBREVIATIONS_ARE_ASCII_WORDS:
        # Beyond ASCII a word can end at any non-word character ("wtf😩"). Each non-ASCII
        # character becomes "?" and so a space: a word the pattern finds is still a whole word
        # (it may say yes more often, never less); the pattern costs several times more.
        words = text.encode("ascii", "replace").translate(_NOT_WORD_BYTES).split()
        return not _ABBREVIATION_BYTES.isdisjoint(words)
    return _ABBREVIATION.search(text) is not None


def _deobfuscate_all(text: str, offsets: Offsets | None) -> tuple[str, Offsets | None]:
    edits: list[tuple[int, int, str]] = []
    last_end = -1
    # each run of token characters with a match in it is rewritten as a whole, once
    for match in _MIXED_AT_SYMBOL.finditer(text):
        if match.start() < last_end:
            continue
        start = match.start()
        while start > 0 and text[start - 1] in _TOKEN_CHARS:
            start -= 1
        end = _TOKEN_RUN.match(text, match.end()).end()  # type: ignore[union-attr]
        last_end = end
        new = _deobfuscate_token(text[start:end])
        if new is not None:
            # punctuation kept at the end stays outside the edit, so that a span ending on the
            # word ends there in the original too ("b*stards." → "bastards" + ".")
            keep = 0
            while (
                keep < len(new) - 1
                and end - keep - 1 > start
                and new[-1 - keep] == text[end - 1 - keep]
                and not new[-1 - keep].isalnum()
            ):
                keep += 1
            edits.append((start, end - keep, new[: len(new) - keep]))
    return _apply(edits, text, offsets)


def _innocent_pattern() -> re.Pattern[str]:
    """Any key of `INNOCENT_PHRASES` as whole words; a space in a key matches a space, a hyphen
    or nothing. Written as a prefix tree, so that at each position the engine follows one
    branch instead of trying every phrase: a third of the time of the plain alternation (longest
    first), with the same matches (tests/classifiers/test_normalize.py)."""
    root: _Trie = {}
    for key in INNOCENT_PHRASES:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}  # a key ends here
    return re.compile(rf"(?<![a-z0-9])(?:{_trie_pattern(root)})(?![a-z0-9])")


_Trie = dict[str, "_Trie"]


def _trie_pattern(node: _Trie) -> str:
    branches = [
        (r"[ \-]?" if char == " " else re.escape(char)) + _trie_pattern(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    ends = "" in node
    body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
    return body + "?" if ends else body  # greedy: the longer key is tried first


_INNOCENT = _innocent_pattern()
_INNOCENT_BY_LETTERS = {key.replace(" ", ""): value for key, value in INNOCENT_PHRASES.items()}


def _innocent(match: re.Match[str]) -> str:
    return _INNOCENT_BY_LETTERS[match.group(0).replace(" ", "").replace("-", "")]


_STEPS: tuple[tuple[Callable[[str], object], re.Pattern[str], Replace], ...] = (
    (_has(*_INVISIBLE_SET), _INVISIBLE, _constant("")),
    (_has("://", "www."), _URL, _constant(" url ")),
    (_has_email, _EMAIL, _constant(" email ")),
    (_has("'"), _INNER_APOSTROPHE, _constant("")),
    (_TRIPLE_LETTER.search, _STRETCH, _unstretch),
    (_has("!!!!", "????", "....", ",,,,", "****"), _PUNCT_RUN, _first),
    (_SPACED_START.search, _SPACED, _despace),
)  # fmt: skip
# Repeats. A sentence, phrase or word said again straight after itself ("REFUND NOW. REFUND
# NOW.", "refund now refund now", "why why why") is kept once: each copy added its features
# again, and a group's sum, scaled by 1/sqrt of its count, grew with the copies, so a plain
# demand said twice scored as a threat and was called extreme (found in session 22).
# A sentence of `PASTED_WORDS` words or more pasted `PASTED_COPIES` times or more keeps one copy
# followed by the word `PASTED_MARKER`, so the model still sees the pasting, which the corpus
# counts as a harassing demand (family abu-b14d-same-demand-pasted-over-and-over); three copies
# are still ordinary insistence ("I HAVE PAID. I HAVE PAID. I HAVE PAID."), and a word said over
# and over is no demand.
# A repeat is deleted, so a span over the kept copy that ends where it ends maps back over the
# copies too (`Layer.back`): the evidence shows the whole run.
PASTED_COPIES = 5
PASTED_WORDS = 3
PASTED_MARKER = "xxpasted"
# The sentence pattern opens with a break, so the engine jumps from break to break; it runs on
# the text after a "\n", which stands for the start of the text.
_REPEATED_SENTENCE = re.compile(
    r"[.!?;\n] ?([a-z][^.!?;\n\x00]*)((?:[.!?;\n]+ ?\1(?= ?(?:[.!?;\n\x00]|$)))+)"
)
# For the cheap checks: each break becomes a line break and spaces and commas go, so `split()`
# gives each sentence's other characters (a sentence and its copy give equal pieces, and a
# sentence that is one phrase said over gives a periodic piece).
_SENTENCE_PIECES = bytes.maketrans(b".!?;", b"\n\n\n\n")
# A sentence that is one phrase said over ("refund now refund now", "this is a joke, this is a
# joke"): the phrase is kept once, as a repeated sentence is.
_REPEATED_PHRASE = re.compile(
    r"[.!?;\n] ?([a-z][^.!?;\n\x00]*?)((?:,? \1)+)(?= ?(?:[.!?;\n\x00]|$))"
)
_BREAK_RUN = re.compile(r"[.!?;\n]+")
_REPEATED_WORD = re.compile(r"(?<![a-z0-9])([a-z]+)((?:,? \1(?![a-z0-9]))+)")


def _collapse_repeats(text: str, offsets: Offsets | None) -> tuple[str, Offsets | None]:
    sentences = _sentences(text)
    if _has_adjacent_equal(sentences):
        text, offsets = _delete_repeats(_REPEATED_SENTENCE, _sentence_copies, text, offsets)
    if any(map(_is_periodic, sentences)):
        text, offsets = _delete_repeats(_REPEATED_PHRASE, _phrase_copies, text, offsets)
    if _has_adjacent_equal(_words(text)):
        edits = [(m.start(2), m.end(2), "") for m in _REPEATED_WORD.finditer(text)]
        text, offsets = _apply(edits, text, offsets)
    return text, offsets


def _delete_repeats(
    pattern: re.Pattern[str],
    copies: Callable[[re.Match[str]], int],
    text: str,
    offsets: Offsets | None,
) -> tuple[str, Offsets | None]:
    """`text` without the repeats `pattern` finds (its group 2; group 1 is the unit kept), run
    on the text after a "\n" that stands for its start, with the marker where one is due."""
    edits = [
        (match.start(2) - 1, match.end(2) - 1, _marker(match[1], copies(match)))
        for match in pattern.finditer("\n" + text)
    ]
    return _apply(edits, text, offsets)


def _sentence_copies(match: re.Match[str]) -> int:
    return len(_BREAK_RUN.findall(match[2])) + 1


def _phrase_copies(match: re.Match[str]) -> int:
    return match[2].count(match[1]) + 1


def _marker(unit: str, copies: int) -> str:
    """The marker for a pasted demand: `PASTED_COPIES` copies or more of three words or more
    (a word said over and over, "please please please…", "why why why…", is no demand)."""
    pasted = copies >= PASTED_COPIES and unit.count(" ") >= PASTED_WORDS - 1
    return f" {PASTED_MARKER}" if pasted else ""


def _sentences(text: str) -> list[bytes]:
    """The sentences of `text` without spaces and commas (characters beyond ASCII dropped)."""
    return text.encode("ascii", "ignore").translate(_SENTENCE_PIECES, b" ,").split()


def _is_periodic(piece: bytes) -> bool:
    """Whether `piece` is a shorter piece said two or more times ("abab")."""
    return (piece + piece).find(piece, 1) < len(piece)


def _words(text: str) -> list[bytes]:
    """The runs of ASCII letters and digits in `text`; any other character separates them."""
    return text.encode("ascii", "replace").translate(_NOT_WORD_BYTES).split()


def _has_adjacent_equal(items: list[bytes]) -> bool:
    """Whether two neighbours in `items` are equal: a check several times cheaper than the
    patterns above, which run only when it says yes (it says yes whenever they match)."""
    return any(map(eq, items, islice(items, 1, None)))


_LATE_STEPS: tuple[tuple[Callable[[str], object], re.Pattern[str], Replace], ...] = (
    (_has(*INNOCENT_TRIGGERS), _INNOCENT, _innocent),
    (_has_abbreviation, _ABBREVIATION, _abbreviation),
    (_has("@"), _MENTION, _constant("@user")),
    (_has("#"), _HASHTAG, _constant("")),
    (_has("  ", "\t", "\r", "\f", "\v"), _SPACES, _constant(" ")),
    (_has(" \n", "\n ", "\n\n"), _NEWLINES, _constant("\n")),
)  # fmt: skip
