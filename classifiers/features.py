"""Hashed word and character features for a batch of normalised texts, in numpy.

One function, `extract`, serves training (it builds the sparse matrix) and prediction (it sums
weights), so the two cannot drift apart. Every feature is a polynomial hash of a substring,
computed for the whole batch at once from prefix sums (no Python loop per n-gram), salted by
feature kind and mapped to one of `2**bits` buckets with a sign bit (signed hashing).

Features of one text:
- character n-grams, n = 2..5, over the text padded with a space (`chars` group);
- words and word bigrams, plus *target* features (`words` group): a word within a few words of
  a second-person pronoun ("you", "your"), a first-person one ("I", "my", self-directed), a
  company word ("staff", "team") or a third person ("he", "she"), each salted differently, so
  the linear model can tell "you idiot" from "I'm an idiot"; and one feature per pronoun class
  present in the text;
- *quoted* features: a word inside quotation marks ("...", '...'; the normaliser makes curly
  quotes straight) also counts salted as quoted, and so does each cue phrase in quotes, with one
  feature for a text that quotes at all: reported abuse ("your driver called me 'an idiot'")
  is then not the same evidence as abuse written by the customer.
Each group is scaled by its feature count to a negative power, the model's own
(`train.TrainConfig.powers`: 0.35 since session 26; 0.5, unit length, before, which let one word
decide a short line). `extract`'s default is 0.5, the value models saved without it used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.lexicon import (
    COMPANY,
    CUES,
    FIRST_PERSON,
    REPORTING,
    SECOND_PERSON,
    THIRD_PERSON,
)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]

FEATURE_VERSION = 7  # 5: innocent look-alike phrases rewritten (lexicon.INNOCENT_PHRASES); 6: slurs
# unmasked (lexicon.OBFUSCATION_TARGETS), cue words in leetspeak (LEET_WORDS), punctuation kept;
# 7: a sentence, phrase or word said again straight after itself kept once
# (normalize._collapse_repeats)
CHAR_NS = (2, 3, 4, 5)
_P = np.uint64(0x9E3779B97F4A7C15 | 1)
_P_INV = np.uint64(pow(int(_P), -1, 1 << 64))
_MIX = np.uint64(0xD6E8FEB86659FD93)
_BIGRAM = np.uint64(0xA0761D6478BD642F)
_SALTS = {
    kind: np.uint64((i + 1) * 0x9FB21C651E98DF25 % (1 << 64))
    for i, kind in enumerate(
        [
            "char",
            "word",
            "bigram",
            "you",
            "self",
            "company",
            "other",
            "report",
            "meta",
            "cue",
            "quoted",
        ]
    )
}
_BREAKS = frozenset(".!?;:\n")
# Indexed by a character's code point capped at 128: a word character (every character beyond
# ASCII is one; the separator, 0, is not), a sentence break (the separator is one).
_WORD_TABLE = np.zeros(129, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyz0123456789":
    _WORD_TABLE[ord(_c)] = True
_WORD_TABLE[128] = True
_BREAK_TABLE = np.zeros(129, dtype=bool)
for _c in _BREAKS:
    _BREAK_TABLE[ord(_c)] = True
_BREAK_TABLE[0] = True

# Quotation marks around at most 300 characters of one line; a single quote opens only after a
# non-word character and closes only before one (apostrophes inside words are gone by now).
_QUOTED = re.compile(r"\"[^\"\x00\n]{1,300}\"|'(?<![a-z0-9]')[^'\x00\n]{1,300}'(?![a-z0-9])")
# (The single quote's look-behind is placed after it, so both branches open with a literal
# character and the regex engine skips ahead to the next quotation mark instead of trying
# every position: several times faster on a message. Same matches as the plain form
# `(?<![a-z0-9])'...`, which test_features.py checks.)

_SIGNS = np.array([-1.0, 1.0], dtype=np.float32)  # by the bit after a feature's bucket
_powers: list[U64] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]
_arange: list[I64] = [np.arange(0, dtype=np.int64)]
_CHAR_N_ARRAY = np.array(CHAR_NS, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Group:
    """One feature group: per feature its text (row), bucket, sign and anchor position."""

    row: I64  # sorted
    bucket: I64
    sign: F32
    anchor: I64  # position in the batch buffer (-1: the whole text)

    def bounds(self, n: int) -> I64:
        """`bounds[r]:bounds[r + 1]` is the slice of row `r`'s features."""
        result: I64 = self.row.searchsorted(np.arange(n + 1))
        return result


@dataclass(frozen=True, slots=True)
class Features:
    n: int
    chars: Group
    words: Group
    char_scale: F32  # per text: 1/sqrt(number of char features)
    word_scale: F32
    starts: I64  # per text: where its padded text starts in the buffer (+1 = first char)
    token_start: I64  # buffer positions of the tokens
    token_end: I64
    token_row: I64
    token_hash: U64


def extract(texts: list[str], bits: int, powers: tuple[float, float] = (0.5, 0.5)) -> Features:
    """Features of normalised `texts` (each becomes one row); each group is scaled by its
    feature count to the power -`powers` (chars, words)."""
    buffer = "\x00".join(f" {t} " for t in texts)
    code = np.frombuffer(buffer.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    size = code.size
    is_sep = code == 0
    seps = np.zeros(size + 1, dtype=np.int64)
    is_sep.cumsum(out=seps[1:])
    row_of = seps[:-1]
    # 0 and each position after a separator (`concatenate` with a Python list costs more). Array
    # methods (`x.nonzero()`, `x.cumsum()`, `x.searchsorted()`) here and below skip the Python
    # wrappers of `np.flatnonzero` and co., a good part of a call on a few hundred items.
    separators = is_sep.nonzero()[0]
    starts = np.zeros(separators.size + 1, dtype=np.int64)
    np.add(separators, 1, out=starts[1:])
    chars_code = np.where(code == 10, 32, code).astype(np.uint64)
    ppow, pinv = _powers_upto(size + 1)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    (chars_code * pinv[:size]).cumsum(out=prefix[1:])

    def substring_hash(a: I64, e: I64) -> U64:
        result: U64 = ppow[e - 1] * (prefix[e] - prefix[a])
        return result

    # Character n-grams: the hash of every position for each n at once (contiguous slices),
    # laid out position by position so features come out sorted by row. An n-gram is whole
    # when it ends by its text's end: `room` is how far that is from each position (0 on a
    # separator).
    width = len(CHAR_NS)
    ends = np.empty(separators.size + 1, dtype=np.int64)
    ends[:-1] = separators
    ends[-1] = size
    here = _positions(size)
    room = ends[row_of] - here
    valid = room[:, None] >= _CHAR_N_ARRAY
    grams = np.zeros((size, width), dtype=np.uint64)
    for k, n in enumerate(CHAR_NS):
        count = size - n + 1
        if count <= 0:
            continue
        grams[:count, k] = (
            ppow[n - 1 : n - 1 + count] * (prefix[n : n + count] - prefix[:count])
        ) ^ np.uint64(n)
    kept = valid.ravel().nonzero()[0]
    position = kept // width
    rows = [row_of[position]]
    hashes = [grams.ravel()[kept]]
    # an n-gram starting on a space is anchored on the character after it
    anchors = [(here + (code == 32))[position]]
    chars = _group(rows, hashes, anchors, "char", bits)

    # Tokens.
    low = np.minimum(code, 128)
    is_word = _WORD_TABLE[low]
    edge = np.zeros(size + 1, dtype=np.int8)
    edge[1:] = is_word
    edge[:-1] -= is_word
    edge = -edge  # +1 where a word starts, -1 just past where one ends
    t_start = (edge == 1).nonzero()[0]
    t_end = (edge == -1).nonzero()[0]
    t_row = row_of[t_start] if t_start.size else np.zeros(0, dtype=np.int64)
    t_hash = substring_hash(t_start, t_end) if t_start.size else np.zeros(0, dtype=np.uint64)
    breaks = np.zeros(size + 1, dtype=np.int64)
    _BREAK_TABLE[low].cumsum(out=breaks[1:])
    t_sentence = breaks[t_start]
    t_quoted = _quoted(buffer, size)[t_start] if t_start.size else np.zeros(0, dtype=np.int64)

    rows, hashes, anchors = [t_row], [_salt(t_hash, "word")], [t_start]
    if t_start.size > 1:
        same = t_row[1:] == t_row[:-1]
        rows.append(t_row[1:][same])
        hashes.append(_salt(t_hash[:-1][same] * _BIGRAM + t_hash[1:][same], "bigram"))
        anchors.append(t_start[:-1][same])
    roles = _roles(t_hash)
    near = _near(roles, t_sentence) | (t_quoted << _QUOTED_BIT)
    kinds = np.arange(_QUOTED_BIT + 1)
    # a word near a target kind (not itself of that kind): the word salted by the kind
    token, kind = (((near & ~roles)[:, None] >> kinds) & 1).nonzero()
    rows.append(t_row[token])
    hashes.append(t_hash[token] ^ _ROLE_SALTS[kind])
    anchors.append(t_start[token])
    # each kind present in a text (quotes included): one whole-text feature
    token, kind = (((roles | (t_quoted << _QUOTED_BIT))[:, None] >> kinds) & 1).nonzero()
    # sorted distinct (text, kind) pairs; a bincount is several times cheaper than np.unique
    present = np.bincount(t_row[token] * kinds.size + kind).nonzero()[0]
    rows.append(present // kinds.size)
    hashes.append(_ROLE_SALTS[present % kinds.size] ^ _SALTS["meta"])
    anchors.append(np.full(present.size, -1, dtype=np.int64))
    _cue_features(t_hash, t_row, t_start, near, rows, hashes, anchors)
    # one text: every row is 0, so the (stable) sort would change nothing
    words_group = _group(rows, hashes, anchors, "", bits, sort=len(texts) > 1)
    n_texts = len(texts)
    return Features(
        n=n_texts,
        chars=chars,
        words=words_group,
        char_scale=_scale(chars.row, n_texts, powers[0]),
        word_scale=_scale(words_group.row, n_texts, powers[1]),
        starts=starts,
        token_start=t_start,
        token_end=t_end,
        token_row=t_row,
        token_hash=t_hash,
    )


_TARGETS: tuple[tuple[str, frozenset[str], int, int], ...] = (
    ("you", SECOND_PERSON, 3, 2),
    ("self", FIRST_PERSON, 3, 1),
    ("company", COMPANY, 3, 2),
    ("other", THIRD_PERSON, 3, 1),
    ("report", REPORTING, 4, 4),
)


def word_hashes(words: Iterable[str]) -> U64:
    """The plain hash of each word (as `Features.token_hash` has it)."""
    p, mask = int(_P), (1 << 64) - 1
    result = []
    for word in words:
        value = 0
        for char in word:
            value = (value * p + ord(char)) & mask
        result.append(value)
    return np.array(result, dtype=np.uint64)


_CUE_NAMES = tuple(CUES)
_cue_tables: list[tuple[U64, I64, npt.NDArray[np.bool_]]] = []
# A probe's top bits index a table saying whether any cue phrase's hash has those bits: with
# about a thousand phrases in 2**16 slots, few probes get past it to the binary search.
_FILTER_SHIFT = np.uint64(48)
_CUE_SALTS = np.array(
    [(i + 1) * 0xC2B2AE3D27D4EB4F % (1 << 64) for i in range(len(_CUE_NAMES))], dtype=np.uint64
)


# Role bits: one per `_TARGETS` kind, then "quoted" (the token is inside quotation marks);
# the last salt (0) is the bare variant of a cue feature.
_QUOTED_BIT = len(_TARGETS)
_ROLE_SALTS = np.array(
    [_SALTS[kind] for kind, _w, _b, _a in _TARGETS] + [_SALTS["quoted"], 0], dtype=np.uint64
)


def _phrase_hash(parts: list[U64]) -> U64:
    result = parts[0]
    for part in parts[1:]:
        result = result * _BIGRAM + part
    return result


_SIZE_SALTS = (np.uint64(0), np.uint64(0x8EBC6AF09C88C6E3), np.uint64(0x589965CC75374CC3))


def _cue_table() -> tuple[U64, I64, npt.NDArray[np.bool_]]:
    """One sorted table of the cue phrases' hashes (each salted by its word count, so phrases of
    every length are looked up at once), per phrase a bit per cue theme, and the filter on
    their top bits (`_FILTER_SHIFT`)."""
    if not _cue_tables:
        bits: dict[int, int] = {}
        for bit, name in enumerate(_CUE_NAMES):
            for phrase in CUES[name]:
                words = phrase.split()
                parts = [word_hashes([w]) for w in words]
                key = int(_phrase_hash(parts)[0] ^ _SIZE_SALTS[len(words) - 1])
                bits[key] = bits.get(key, 0) | (1 << bit)
        keys = np.array(sorted(bits), dtype=np.uint64)
        values = np.array([bits[int(k)] for k in keys], dtype=np.int64)
        present = np.zeros(1 << (64 - int(_FILTER_SHIFT)), dtype=bool)
        present[(keys >> _FILTER_SHIFT).view(np.int64)] = True
        _cue_tables.append((keys, values, present))
    return _cue_tables[0]


def _cue_hits(probe: U64) -> tuple[I64, I64]:
    """The probes that are cue phrases' hashes (their positions, ascending) and each one's
    theme bits: a binary search of the cue table, found entries only. A binary search per probe
    costs about 40 ns (a mispredicted branch per step); the filter leaves a few per message."""
    keys, values, present = _cue_table()
    maybe = present[(probe >> _FILTER_SHIFT).view(np.int64)].nonzero()[0]
    if maybe.size == 0 or keys.size == 0:
        return maybe, maybe
    candidates = probe[maybe]
    where = np.minimum(keys.searchsorted(candidates), keys.size - 1)
    hit = (keys[where] == candidates).nonzero()[0]
    return maybe[hit], values[where[hit]]


def _cue_features(
    t_hash: U64,
    t_row: I64,
    t_start: I64,
    near: I64,
    rows: list[I64],
    hashes: list[U64],
    anchors: list[I64],
) -> None:
    """A feature per cue phrase occurrence and per word of it: its theme, and the theme with
    each kind of target near its first word (e.g. an insult word near "you").

    Phrases of one, two and three words are looked up in one pass (one probe per token and
    length); the features come out per length, then per word of the phrase, then in token
    order."""
    count = t_hash.size
    if count == 0:
        return
    two = t_hash[:-1] * _BIGRAM + t_hash[1:]
    three = two[:-1] * _BIGRAM + t_hash[2:]
    at, found = _cue_hits(np.concatenate([t_hash, two ^ _SIZE_SALTS[1], three ^ _SIZE_SALTS[2]]))
    if at.size == 0:
        return
    if at.size <= _FEW_CUES:
        _few_cue_features(at.tolist(), found.tolist(), t_row, t_start, near, rows, hashes, anchors)
        return
    block = np.array([0, count, 2 * count - 1])  # where each length's probes start
    size = block.searchsorted(at, side="right")  # words in the phrase: 1, 2 or 3
    first = at - block[size - 1]
    whole = t_row[first] == t_row[first + size - 1]  # a phrase never spans two texts
    size, first, found = size[whole], first[whole], found[whole]
    themes = np.arange(len(_CUE_NAMES))
    hit, theme = ((found[:, None] >> themes) & 1).nonzero()
    # every (occurrence, theme) with the bare variant and each target kind near it
    roles = np.arange(_QUOTED_BIT + 2)  # target kinds, quoted, and the bare theme last
    with_role = ((near[first[hit], None] >> roles) & 1).astype(bool)
    with_role[:, -1] = True
    pair, role = with_role.nonzero()
    salt = _SALTS["cue"] ^ _CUE_SALTS[theme[pair]] ^ _ROLE_SALTS[role]
    start = first[hit[pair]]
    bounds = size[hit[pair]].searchsorted((1, 2, 3, 4)).tolist()
    for n in (1, 2, 3):
        lo, hi = bounds[n - 1], bounds[n]
        if lo == hi:
            continue
        for k in range(n):
            rows.append(t_row[start[lo:hi]])
            hashes.append(salt[lo:hi])
            anchors.append(t_start[start[lo:hi] + k])


# Up to this many cue phrase hits (a message has a handful), `_few_cue_features` builds the
# features in Python: about twenty numpy calls on a few items each cost more than the loop.
_FEW_CUES = 32
# Per cue theme and role (target kinds, quoted, bare): the salt of the cue feature, as an int.
_CUE_ROLE_SALTS = [
    [int(_SALTS["cue"] ^ theme_salt ^ role_salt) for role_salt in _ROLE_SALTS]
    for theme_salt in _CUE_SALTS
]
_BARE_ROLE = _QUOTED_BIT + 1
_ROLE_MASK = (1 << _BARE_ROLE) - 1
# per value of a token's `near` bits: the roles of its cue features, the bare one last
_ROLES_OF = [
    (*(role for role in range(_BARE_ROLE) if bits >> role & 1), _BARE_ROLE)
    for bits in range(1 << _BARE_ROLE)
]


@cache
def _bits_of(value: int) -> tuple[int, ...]:
    """The set bits of `value`, lowest first (a cue phrase's themes)."""
    return tuple(bit for bit in range(value.bit_length()) if value >> bit & 1)


def _few_cue_features(
    at: list[int],
    found: list[int],
    t_row: I64,
    t_start: I64,
    near: I64,
    rows: list[I64],
    hashes: list[U64],
    anchors: list[I64],
) -> None:
    """`_cue_features` from its lookup on: the same features in the same order (per phrase
    length, per word of the phrase, per occurrence, theme and role), as one array each."""
    count = t_row.size
    tokens = t_row.tolist()
    nears = near.tolist()
    by_size: tuple[list[tuple[int, int]], ...] = ([], [], [])  # per length: (first token, salt)
    for probe, themes in zip(at, found, strict=True):
        if probe < count:
            size, first = 1, probe
        elif probe < 2 * count - 1:
            size, first = 2, probe - count
        else:
            size, first = 3, probe - (2 * count - 1)
        if tokens[first] != tokens[first + size - 1]:
            continue  # a phrase never spans two texts
        roles = _ROLES_OF[nears[first] & _ROLE_MASK]
        for theme in _bits_of(themes):
            theme_salts = _CUE_ROLE_SALTS[theme]
            by_size[size - 1].extend((first, theme_salts[role]) for role in roles)
    firsts: list[int] = []
    salts: list[int] = []
    words: list[int] = []  # the token each feature is anchored on
    for size, features in enumerate(by_size, start=1):
        for k in range(size):
            firsts += [first for first, _salt in features]
            salts += [salt for _first, salt in features]
            words += [first + k for first, _salt in features]
    if firsts:
        rows.append(t_row[firsts])
        hashes.append(np.array(salts, dtype=np.uint64))
        anchors.append(t_start[words])


_role_table: list[tuple[U64, I64]] = []


def _roles(token_hash: U64) -> I64:
    """Per token, a bit per `_TARGETS` kind the word belongs to."""
    if not _role_table:
        bits: dict[int, int] = {}
        for bit, (_kind, words, _before, _after) in enumerate(_TARGETS):
            for word, value in zip(sorted(words), word_hashes(sorted(words)), strict=True):
                del word
                bits[int(value)] = bits.get(int(value), 0) | (1 << bit)
        keys = np.array(sorted(bits), dtype=np.uint64)
        _role_table.append((keys, np.array([bits[int(k)] for k in keys], dtype=np.int64)))
    keys, values = _role_table[0]
    where = np.minimum(keys.searchsorted(token_hash), keys.size - 1)
    result: I64 = np.where(keys[where] == token_hash, values[where], 0)
    return result


_LAG_MASKS = [
    sum(1 << bit for bit, target in enumerate(_TARGETS) if target[2] >= lag) for lag in range(5)
]
_LEAD_MASKS = [
    sum(1 << bit for bit, target in enumerate(_TARGETS) if target[3] >= lead) for lead in range(5)
]


_REACH = 4  # tokens looked at on each side


# Offsets from a token to the tokens it reaches (`_REACH` on each side) in a row padded with
# `_REACH` slots at each end, and per offset the role bits passed on: a token `lag` before
# another reaches it with `_LAG_MASKS[lag]`, one `lag` after it with `_LEAD_MASKS[lag]`.
_OFFSETS = np.array([*range(0, _REACH), *range(_REACH + 1, 2 * _REACH + 1)], dtype=np.int64)
_OFFSET_MASKS = np.array(
    [_LEAD_MASKS[_REACH - o] if o < _REACH else _LAG_MASKS[o - _REACH] for o in _OFFSETS.tolist()],
    dtype=np.int64,
)


def _near(roles: I64, sentence: I64) -> I64:
    """Per token, the role bits of tokens close before or after it in the same sentence.

    Only the few tokens that have a role pass bits on: each is spread to the tokens within
    `_REACH` of it in its sentence (`sentence` is non-decreasing, so equal values mean the same
    sentence; the padding's -1 is no sentence) by one `bitwise_or.at`, whose order cannot
    change an OR. About ten numpy calls on a few dozen items, where shifting the whole row
    took twenty on all of it."""
    size = roles.size
    source = roles.nonzero()[0]
    if source.size == 0:
        return np.zeros(size, dtype=np.int64)
    padded = np.full(size + 2 * _REACH, -1, dtype=np.int64)
    padded[_REACH : _REACH + size] = sentence
    target = source[:, None] + _OFFSETS  # in padded positions
    reached = padded[target] == sentence[source, None]
    near = np.zeros(size + 2 * _REACH, dtype=np.int64)
    np.bitwise_or.at(near, target[reached], (roles[source, None] & _OFFSET_MASKS)[reached])
    result: I64 = near[_REACH : _REACH + size]
    return result


def _quoted(buffer: str, size: int) -> I64:
    """Per buffer position, 1 inside quotation marks (the marks included), else 0."""
    marks = np.zeros(size + 1, dtype=np.int64)
    if '"' not in buffer and "'" not in buffer:  # most texts: no pattern search, no cumsum
        return marks[:size]
    for match in _QUOTED.finditer(buffer):
        marks[match.start()] += 1
        marks[match.end()] -= 1
    result: I64 = marks[:size].cumsum()
    return result


def _salt(hashes: U64, kind: str) -> U64:
    result: U64 = hashes ^ _SALTS[kind]
    return result


def _group(
    rows: list[I64],
    hashes: list[U64],
    anchors: list[I64],
    kind: str,
    bits: int,
    sort: bool = False,
) -> Group:
    row, mixed = _joined(rows, np.int64), _joined(hashes, np.uint64)
    anchor = _joined(anchors, np.int64)
    if sort:
        order = row.argsort(kind="stable")
        row, mixed, anchor = row[order], mixed[order], anchor[order]
    if kind:
        mixed = _salt(mixed, kind)
    mixed = mixed * _MIX
    # Both are below 2**63, so reading the bits as int64 gives the same numbers without a copy,
    # and numpy indexes with int64 without converting (about half the time of uint64).
    bucket = (mixed >> np.uint64(64 - bits)).view(np.int64)
    sign = _SIGNS[((mixed >> np.uint64(63 - bits)) & np.uint64(1)).view(np.int64)]
    return Group(
        row.astype(np.int64, copy=False), bucket, sign, anchor.astype(np.int64, copy=False)
    )


def _joined(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    if len(parts) == 1:
        return parts[0]  # `concatenate` would copy it
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _scale(row: I64, n: int, power: float) -> F32:
    counts = np.bincount(row, minlength=n).astype(np.float32)
    result: F32 = np.power(np.maximum(counts, 1.0), -power).astype(np.float32)
    return result


def _positions(size: int) -> I64:
    """`np.arange(size)`, a view of one kept array."""
    if _arange[0].size < size:
        _arange[0] = np.arange(max(size, 2 * _arange[0].size, 4096), dtype=np.int64)
    return _arange[0][:size]


def _powers_upto(size: int) -> tuple[U64, U64]:
    if _powers[0].size < size:
        grow = max(size, 2 * _powers[0].size, 4096)
        ppow = np.empty(grow, dtype=np.uint64)
        pinv = np.empty(grow, dtype=np.uint64)
        ppow[0] = pinv[0] = 1
        ppow[1:] = _P
        pinv[1:] = _P_INV
        _powers[:] = [np.cumprod(ppow), np.cumprod(pinv)]
    return _powers[0], _powers[1]
