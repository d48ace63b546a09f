"""The lean prediction path: hashed features × one weight matrix, numpy only.

A saved model is a directory holding `weights.npz` (plain arrays, loaded with
`allow_pickle=False`) and `model.json` (heads, thresholds, feature settings, versions), beside
its model card. One weight column per *head*: the five categories, `offensive` (any abuse, used
for the public benchmarks), and two severity heads (`sev_abusive`: aimed at staff or the
company; `sev_extreme`: a threat to staff safety). Each head is a linear model over the same
features with Platt calibration (`p = sigmoid(a * z + b)`).

Labels: each category whose score reaches its threshold. A model trained with the *abuse gate*
(`model.json` `gate`) also flags a message that no category flags on its own when its
`offensive` probability reaches the gate threshold: it then gets the one category closest to
its threshold (highest score / threshold), with evidence from the `offensive` head's words. One
general head sees every abusive example, so at the same false-flag budget it catches wordings
the five narrower heads each miss (out-of-fold figures in the model card). Under a policy's
thresholds (`with_thresholds`) a category whose threshold is overridden is labelled from its
score alone; the gate decides with the card's thresholds and gives only the others.

`classify_many` does a whole batch in a few numpy passes: texts are cut into windows
(`chunking`), normalised together, featurised together and scored together; a message's score
per head is its highest window score. Evidence is worked out only for labels that fire.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers import chunking, language
from classifiers.features import FEATURE_VERSION, Features, extract
from classifiers.lexicon import STOPWORDS
from classifiers.normalize import Normalized, normalize, normalize_many, storable
from classifiers.verdict import CATEGORIES, Severity, Span, Verdict

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
MODEL_FORMAT = 1
SEVERITY_HEADS = ("sev_abusive", "sev_extreme")
HEADS: tuple[str, ...] = (*CATEGORIES, "offensive", *SEVERITY_HEADS)
WEIGHTS_FILE = "weights.npz"
META_FILE = "model.json"
_BATCH_WINDOWS = 512  # windows featurised at once: bounds memory on long texts
# A batch of at most this many windows (one message up to ~1,200 characters) is normalised
# window by window with offsets kept, so evidence needs no second normalisation; a larger batch
# is normalised in one pass and only its firing windows again, with offsets.
_MAPPED_UP_TO = 8
_EVIDENCE_MAX_SPANS = 4
_QUIET_WORDS = STOPWORDS["en"] | {"a", "i", "u", "ur"}
GATE_HEAD = "offensive"
_GATE = "(gate)"  # the label of a window's evidence entry from the gate head


class ModelError(ValueError):
    """A model directory that cannot be used here; the message says why and what to do."""


def sklearn_version() -> str:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the project
        return "absent"


@dataclass(frozen=True, slots=True)
class _Window:
    message: int
    start: int  # offset of the piece in the message's text
    piece: str


@dataclass(frozen=True, slots=True)
class _Firing:
    """A label over its threshold in one window, with each token's contribution."""

    window: _Window
    label: str
    contributions: F32  # a first entry for whole-text features, then per token
    starts: I64  # token spans in the window's normalised text
    ends: I64
    normalised: Normalized | None  # the window's text normalised with offsets, if done already


@dataclass(frozen=True, slots=True)
class Scored:
    best: F32  # (texts, heads): highest window probability per head
    languages: list[str]
    firing: dict[int, list[_Firing]]


class LinearModel:
    """A trained model ready to classify (see module docstring)."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.meta = meta
        self.heads: tuple[str, ...] = tuple(meta["heads"])
        self.bits = int(meta["features"]["bits"])
        self.window = int(meta["features"].get("window", chunking.WINDOW))
        self.overlap = int(meta["features"].get("overlap", chunking.OVERLAP))
        self.powers = (
            float(meta["features"].get("char_power", 0.5)),
            float(meta["features"].get("word_power", 0.5)),
        )
        self.weights: F32 = np.ascontiguousarray(arrays["weights"], dtype=np.float32)
        self.bias: F32 = arrays["bias"].astype(np.float32)
        self.platt_a: F32 = arrays["platt_a"].astype(np.float32)
        self.platt_b: F32 = arrays["platt_b"].astype(np.float32)
        self.thresholds: dict[str, float] = {c: float(meta["thresholds"][c]) for c in CATEGORIES}
        # the model card's thresholds, and the categories `with_thresholds` overrides
        self._card_thresholds: dict[str, float] = dict(self.thresholds)
        self._overridden: frozenset[str] = frozenset()
        severity = meta["severity_thresholds"]
        self.abusive_threshold = float(severity["sev_abusive"])
        self.extreme_threshold = float(severity["sev_extreme"])
        # `extreme` also needs this much P(threat): a threat to safety is a threat (0 in models
        # trained before the floor existed)
        self.extreme_threat_floor = float(severity.get("threat_floor", 0.0))
        self._index = {head: i for i, head in enumerate(self.heads)}
        gate = meta.get("gate") or {}
        self.gate_threshold: float | None = (
            float(gate["threshold"]) if gate.get("threshold") is not None else None
        )
        expected = (1 << self.bits, len(self.heads))
        if self.weights.shape != expected:
            raise ModelError(f"weights have shape {self.weights.shape}, expected {expected}")

    # -- persistence -----------------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        path = Path(path)
        meta_file = path / META_FILE
        if not meta_file.exists():
            raise ModelError(f"{path}: no {META_FILE}; train one with `conduct train`")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(
                f"{meta_file}: not JSON ({exc}); retrain with `conduct train`"
            ) from exc
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise ModelError(f"{path}: model format {found!r}, this code reads {MODEL_FORMAT}")
        features = meta.get("features")
        version = features.get("version") if isinstance(features, dict) else None
        if version != FEATURE_VERSION:
            raise ModelError(
                f"{path}: features version {version!r}, this code "
                f"computes version {FEATURE_VERSION}; retrain with `conduct train`"
            )
        versions = meta.get("versions")
        made_with = versions.get("scikit-learn") if isinstance(versions, dict) else None
        if made_with is None:
            raise ModelError(
                f"{path}: {META_FILE} does not say which scikit-learn made the model; "
                "retrain with `conduct train`"
            )
        installed = sklearn_version()
        if made_with != installed:
            raise ModelError(
                f"{path}: model trained with scikit-learn {made_with}, but {installed} is "
                f"installed; install scikit-learn=={made_with} or retrain with `conduct train`"
            )
        with np.load(path / WEIGHTS_FILE, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return cls(meta, arrays)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path / WEIGHTS_FILE,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            platt_a=self.platt_a,
            platt_b=self.platt_b,
        )
        text = json.dumps(self.meta, indent=2, sort_keys=True) + "\n"
        (path / META_FILE).write_text(text, encoding="utf-8")

    def with_thresholds(self, thresholds: Mapping[str, float]) -> LinearModel:
        """The same model deciding labels with other thresholds (missing categories keep the
        model card's). A category whose threshold differs from the card's is labelled from its
        score alone; the others keep the model's decision, the abuse gate's included (as
        `Verdict.with_thresholds` re-derives a verdict)."""
        other = copy.copy(self)
        other.thresholds = {**self.thresholds, **{k: float(v) for k, v in thresholds.items()}}
        other._overridden = frozenset(
            c for c, t in other.thresholds.items() if t != self._card_thresholds[c]
        )
        return other

    # -- scoring ---------------------------------------------------------------------------
    def decision(self, features: Features) -> F32:
        """Raw linear scores, one row per featurised text, one column per head."""
        return self._decision(features)[0]

    def _decision(self, features: Features) -> tuple[F32, list[F32]]:
        """`decision`, and per feature group each feature's signed weights (features × heads),
        which evidence reuses instead of reading the weight matrix again."""
        out = np.empty((features.n, self.bias.size), dtype=np.float32)
        out[:] = self.bias  # (`np.tile` costs several times more on a one-window batch)
        gathered: list[F32] = []
        for group, scale in (
            (features.chars, features.char_scale),
            (features.words, features.word_scale),
        ):
            contributions = self.weights.take(group.bucket, axis=0) * group.sign[:, None]
            gathered.append(contributions)
            if group.row.size == 0:
                continue
            bounds = group.bounds(features.n)
            sums = np.add.reduceat(contributions, np.minimum(bounds[:-1], group.row.size - 1))
            sums[bounds[:-1] == bounds[1:]] = 0.0
            out += sums * scale[:, None]
        return out, gathered

    def calibrate(self, decision: F32) -> F32:
        result: F32 = 1.0 / (1.0 + np.exp(-(decision * self.platt_a + self.platt_b)))
        return result

    def probabilities(self, normalised: list[str]) -> F32:
        """Calibrated probabilities for normalised texts (one window each)."""
        return self.calibrate(self.decision(extract(normalised, self.bits, self.powers)))

    # -- classification --------------------------------------------------------------------
    def classify(self, text: str) -> Verdict:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Verdict]:
        """One Verdict per text, computed in batches of windows."""
        scored = self.score(texts, evidence=True)
        return [
            self._verdict(
                scored.best[i], scored.languages[i], scored.firing.get(i, []), bool(t.strip())
            )
            for i, t in enumerate(texts)
        ]

    def score(self, texts: Sequence[str], *, evidence: bool = False) -> Scored:
        """Per text: each head's highest window probability and the language guess; with
        `evidence`, the token contributions of each window where a category fires."""
        windows = [
            _Window(i, start, piece)
            for i, text in enumerate(texts)
            for start, piece in chunking.windows(storable(text), self.window, self.overlap)
        ]
        best = np.zeros((len(texts), len(self.heads)), dtype=np.float32)
        languages = ["en"] * len(texts)
        firing: dict[int, list[_Firing]] = {}
        thresholds = self.threshold_row()
        for batch in _batches(windows, _BATCH_WINDOWS):
            mapped: list[Normalized | None]
            if evidence and len(batch) <= _MAPPED_UP_TO:
                done = [normalize(w.piece, keep_offsets=True) for w in batch]
                normalised, mapped = [n.text for n in done], list(done)
            else:
                normalised = normalize_many([w.piece for w in batch])
                mapped = [None] * len(batch)
            features = extract(normalised, self.bits, self.powers)
            decision, gathered = self._decision(features)
            probs = self.calibrate(decision)
            # Each window's language: only English windows are scored, and a message is
            # English when any window is (else it takes its first window's language). A
            # foreign opening must not hide English abuse after it, and foreign text is never
            # scored for looking foreign.
            english = [True] * len(batch)
            for k, window in enumerate(batch):
                guessed = language.guess(window.piece, normalised[k])
                if guessed != "en":
                    english[k] = False
                    probs[k] = 0.0
                if window.start == 0 or guessed == "en":
                    languages[window.message] = guessed
            _keep_highest(best, [w.message for w in batch], probs)
            if not evidence:
                continue
            # which categories (and the gate) fire in each window, as Python lists: a one-
            # message batch has a few windows, where each numpy call costs more than the work
            over = (probs[:, : len(CATEGORIES)] >= thresholds).tolist()
            gated = [False] * len(batch)
            if self.gate_threshold is not None:
                gated = (probs[:, self._index[GATE_HEAD]] >= self.gate_threshold).tolist()
            rows = [
                k
                for k in range(len(batch))
                if (any(over[k]) or gated[k]) and english[k] and normalised[k]
            ]
            # evidence only for the heads that fire somewhere in these rows (each head's column
            # is summed on its own, so leaving the others out changes no value)
            heads = [c for c in range(len(CATEGORIES)) if any(over[k][c] for k in rows)]
            if any(gated[k] for k in rows):
                heads.append(self._index[GATE_HEAD])
            column = {head: i for i, head in enumerate(heads)}
            contributions = self._batch_contributions(features, rows, heads, gathered)
            for k in rows:
                window = batch[k]
                totals, starts, ends = contributions[k]
                entries = firing.setdefault(window.message, [])
                for c, fires in enumerate(over[k]):
                    if not fires:
                        continue
                    entries.append(
                        _Firing(window, CATEGORIES[c], totals[column[c]], starts, ends, mapped[k])
                    )
                if gated[k]:
                    gate = totals[column[self._index[GATE_HEAD]]]
                    entries.append(_Firing(window, _GATE, gate, starts, ends, mapped[k]))
        return Scored(best, languages, firing)

    def threshold_row(self) -> F32:
        """The category thresholds in force, in `CATEGORIES` order."""
        return np.array([self.thresholds[c] for c in CATEGORIES], dtype=np.float32)

    def _verdict(
        self,
        probs: F32,
        lang: str,
        firing: list[_Firing],
        has_text: bool,
    ) -> Verdict:
        # four decimals, rounded down: a threshold of 1.0 never fires
        scores = {
            c: min(math.floor(float(probs[i]) * 1e4) / 1e4, 0.9999)
            for i, c in enumerate(CATEGORIES)
        }
        if lang != "en":
            return Verdict(scores, (), "none", self.version, {}, lang, False, dict(self.thresholds))
        if not has_text:
            zero = dict.fromkeys(CATEGORIES, 0.0)
            return Verdict(zero, (), "none", self.version, {}, lang, True, dict(self.thresholds))
        # The rounded scores decide, as `Verdict.with_thresholds` re-derives labels from them:
        # the model's own decision (the card's thresholds, and the abuse gate when no category
        # reaches its threshold), then each category a policy overrides re-derived from its
        # score alone. So a policy that switches insult off does not see the gate give the
        # message some other category instead, and the command and the worker agree.
        row = [scores[c] for c in CATEGORIES]
        decided = _decide_one(
            row,
            [self._card_thresholds[c] for c in CATEGORIES],
            self.gate_threshold,
            float(probs[self._gate_index()]),
        )
        gate_label: str | None = None
        if any(decided) and all(
            score < self._card_thresholds[c] for c, score in zip(CATEGORIES, row, strict=True)
        ):
            gate_label = CATEGORIES[decided.index(True)]
        for i, c in enumerate(CATEGORIES):
            if c in self._overridden:
                decided[i] = row[i] >= self.thresholds[c]
        if gate_label in self._overridden:
            gate_label = None
        labels = tuple(c for c, on in zip(CATEGORIES, decided, strict=True) if on)
        flagged_severity = self.flagged_severity(probs)
        severity: Severity = flagged_severity if labels else "none"
        evidence: dict[str, list[Span]] = {}
        # per window start: normalised once and its tokens as lists, shared by its labels
        windows: dict[int, _WindowTokens] = {}
        fired_in: dict[str, list[_Window]] = {}
        for fired in firing:
            label = gate_label if fired.label == _GATE else fired.label
            if label is not None and label in labels:
                start = fired.window.start
                if start not in windows:
                    windows[start] = _WindowTokens.of(fired)
                evidence.setdefault(label, []).extend(_evidence(fired, windows[start]))
                fired_in.setdefault(label, []).append(fired.window)
        for label, fired_windows in fired_in.items():
            if not evidence.get(label):
                # No word stands out (a threat carried by the whole sentence, such as "I know
                # what bus you take"): the evidence is the text of the windows that fired.
                evidence[label] = [_whole(w) for w in fired_windows if w.piece.strip()]
        evidence = {k: _merge(v, _EVIDENCE_MAX_SPANS) for k, v in evidence.items()}
        return Verdict(
            scores,
            labels,
            severity,
            self.version,
            evidence,
            lang,
            True,
            dict(self.thresholds),
            flagged_severity,
        )

    def _gate_index(self) -> int:
        return self._index[GATE_HEAD] if self.gate_threshold is not None else -1

    def flagged_severity(self, probs: F32) -> Severity:
        """The severity of this text whenever a label fires (by the model or a policy)."""
        if (
            probs[self._index["sev_extreme"]] >= self.extreme_threshold
            and probs[self._index["threat"]] >= self.extreme_threat_floor
        ):
            return "extreme"
        if probs[self._index["sev_abusive"]] >= self.abusive_threshold:
            return "abusive"
        return "minor"

    def _batch_contributions(
        self,
        features: Features,
        rows: list[int],
        heads: Sequence[int],
        gathered: Sequence[F32] | None = None,
    ) -> dict[int, tuple[F32, I64, I64]]:
        """Per row of `rows` (sorted): per head of `heads`, how much the row's whole-text
        features (first column) and each of its tokens (the other columns) pushed the score up
        (heads × 1 + tokens), and the tokens' start and end in the row's normalised text.

        One pass per feature group serves every row: token starts and anchors are positions in
        one batch buffer, so one searchsorted maps every anchor to its token and one `add.at`
        sums every row (the test keeps a one-row reference and checks the floats are equal).
        `gathered`: each group's signed weights per feature, as `_decision` read them."""
        if not rows:
            return {}
        if gathered is None:
            gathered = self._decision(features)[1]
        wanted = np.asarray(rows, dtype=np.int64)
        lo = features.token_row.searchsorted(wanted)
        hi = features.token_row.searchsorted(wanted, side="right")
        # Row i's lines (columns of `totals`): its whole-text line, then one per token. With
        # `s` the number of the batch's tokens starting at or before a feature's anchor, the
        # feature's line is `s + shift[i]`, and an anchor before the row's first token (s =
        # lo[i]) lands on the whole-text line by itself.
        first = np.zeros(len(rows), dtype=np.int64)  # each row's whole-text line
        (hi[:-1] - lo[:-1] + 1).cumsum(out=first[1:])
        shift = first - lo
        lines = int(first[-1] + hi[-1] - lo[-1]) + 1
        totals = np.zeros((len(heads), lines), dtype=np.float32)
        # heads × lines, one flat index per (head, feature): each head's features in their own
        # order, so every cell gets the same additions in the same order as in features ×
        # heads, and the operands broadcast along the long axis (several times cheaper than
        # along a short one of a few heads)
        head_offset = (np.arange(len(heads)) * lines)[:, None]
        consecutive = rows[-1] - rows[0] == len(rows) - 1
        slot: I64 | None = None
        for group, scale, signed, whole_text in (
            (features.chars, features.char_scale, gathered[0], False),
            (features.words, features.word_scale, gathered[1], True),
        ):
            entries: I64 | slice
            if consecutive:
                # consecutive rows (a message's windows): their features are one slice, as the
                # rows are sorted, and a row's place is its distance from the first
                entries = slice(
                    int(group.row.searchsorted(rows[0])),
                    int(group.row.searchsorted(rows[-1], side="right")),
                )
                place = group.row[entries] - rows[0]
            else:
                if slot is None:
                    slot = np.full(features.n, -1, dtype=np.int64)  # row -> its place
                    slot[wanted] = np.arange(len(rows))
                places = slot[group.row]
                entries = (places >= 0).nonzero()[0]
                place = places[entries]
            if place.size == 0:
                continue
            anchors = group.anchor[entries]
            if whole_text:
                # a whole-text feature (anchor -1) counts from its row's padding space, which
                # no token of the row starts at or before (character n-grams are anchored on
                # positions: never -1)
                anchors = np.where(anchors < 0, features.starts[group.row[entries]], anchors)
            line = features.token_start.searchsorted(anchors, side="right")
            if len(rows) == 1:
                # one row (often a message's only firing window): one shift and one scale
                line += int(shift[0])
                weights = signed[entries].T[heads] * scale[rows[0]]
            else:
                line += place - int(lo[0]) if consecutive else shift[place]
                weights = signed[entries].T[heads] * scale[group.row[entries]]
            # `add.at` on the flattened table: per cell the same additions in the same order as
            # on a 2-D one (bit for bit), about 3x faster (numpy's 1-D fast path)
            np.add.at(totals.reshape(-1), (line + head_offset).reshape(-1), weights.reshape(-1))
        result: dict[int, tuple[F32, I64, I64]] = {}
        origins = features.starts[wanted] + 1
        for i, row in enumerate(rows):
            tokens = slice(int(lo[i]), int(hi[i]))
            origin = int(origins[i])
            line0 = int(first[i])
            result[row] = (
                totals[:, line0 : line0 + tokens.stop - tokens.start + 1],
                features.token_start[tokens] - origin,
                features.token_end[tokens] - origin,
            )
        return result


def decide_labels(
    probs: npt.NDArray[np.floating[Any]],
    thresholds: npt.NDArray[np.floating[Any]],
    gate: float | None,
    gate_index: int,
) -> npt.NDArray[np.bool_]:
    """Which categories each row gets (rows × categories), from head probabilities (rows ×
    heads): every category at or over its threshold; for a row with none, when `gate` is set and
    the gate head reaches it, the one category with the highest score / threshold. A category
    whose threshold is 1 or more is switched off (a policy's way to say "never"): the gate never
    gives it, and when every category is off the gate gives nothing."""
    n_cat = thresholds.size
    labels: npt.NDArray[np.bool_] = probs[:, :n_cat] >= thresholds
    usable = thresholds < 1.0
    if gate is None or not usable.any():
        return labels
    gated = ~labels.any(axis=1) & (probs[:, gate_index] >= gate)
    if gated.any():
        ratio = np.where(usable, probs[gated, :n_cat] / np.maximum(thresholds, 1e-6), -np.inf)
        labels[gated.nonzero()[0], np.argmax(ratio, axis=1)] = True
    return labels


def _decide_one(
    scores: list[float], thresholds: list[float], gate: float | None, gate_probability: float
) -> list[bool]:
    """`decide_labels` for one row, in Python floats (the same float64 comparisons and
    division): its dozen numpy calls on five numbers cost more than a message's verdict
    otherwise. `gate_probability` is the gate head's probability (unused without a gate)."""
    labels = [score >= threshold for score, threshold in zip(scores, thresholds, strict=True)]
    usable = [threshold < 1.0 for threshold in thresholds]
    if gate is None or not any(usable) or any(labels) or not gate_probability >= gate:
        return labels
    ratios = [
        score / max(threshold, 1e-6) if on else -math.inf
        for score, threshold, on in zip(scores, thresholds, usable, strict=True)
    ]
    labels[ratios.index(max(ratios))] = True  # the first highest, as `np.argmax`
    return labels


def _keep_highest(best: F32, messages: list[int], probs: F32) -> None:
    """`best[m]` becomes the element-wise highest of itself and the rows of `probs` of message
    `m` (`messages`: each row's message; one message's rows are consecutive). A maximum is
    exact in any order, so one `maximum.reduceat` replaces a call per window."""
    firsts = [k for k in range(len(messages)) if k == 0 or messages[k] != messages[k - 1]]
    ids = [messages[k] for k in firsts]
    best[ids] = np.maximum(best[ids], np.maximum.reduceat(probs, firsts, axis=0))


def _strong_of(values: list[float], top: float) -> list[int]:
    """The tokens whose contribution is at least 0.35 of the highest one (`top`, the numpy
    maximum of `values`), if that is positive: `np.flatnonzero(category >= 0.35 * top)` in a
    list comprehension (a window has a few dozen tokens). numpy makes that comparison in
    float32 (it casts the Python float to the array's type), so the bar is rounded to float32
    here too."""
    if not top > 0:
        return []
    bar = float(np.float32(0.35 * top))
    return [i for i, value in enumerate(values) if value >= bar]


def _float32_sum(values: list[float]) -> float:
    """`np.float32` array `values`' `.sum()`, from the values as Python floats. Below eight
    values numpy adds them one after the other from 0 in float32 (its pairwise sum starts
    with a plain loop); each float32 addition is the sum in float64 rounded once to float32,
    exact as float64 has more than twice float32's precision plus two bits. Longer runs (rare)
    go to numpy. The test checks every length against numpy."""
    if len(values) >= 8:
        return float(np.array(values, dtype=np.float32).sum())
    total = 0.0
    for value in values:
        total = float(np.float32(total + value))
    return total


@dataclass(slots=True)
class _WindowTokens:
    """A firing window's normalised text with offsets, its token spans as Python lists and
    the original positions looked up so far: built once per window, shared by its labels."""

    normalised: Normalized
    starts: list[int]
    ends: list[int]
    originals: dict[int, int]  # span starts followed back
    original_ends: dict[int, int]  # span ends followed back

    @classmethod
    def of(cls, fired: _Firing) -> _WindowTokens:
        normalised = fired.normalised or normalize(fired.window.piece, keep_offsets=True)
        return cls(normalised, fired.starts.tolist(), fired.ends.tolist(), {}, {})

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """`Normalized.original_span`, each position followed back through the layers once."""
        originals, ends = self.originals, self.original_ends
        if start not in originals:
            originals[start] = self.normalised.original_position(start)
        if end not in ends:
            ends[end] = self.normalised.original_end(end)
        return originals[start], ends[end]


def _evidence(fired: _Firing, tokens: _WindowTokens) -> list[Span]:
    """Spans in the original text of the tokens that pushed this label most (`tokens`: the
    window's tokens and offsets)."""
    starts, ends, text = tokens.starts, tokens.ends, tokens.normalised.text
    n_tokens = len(starts)
    if n_tokens == 0:
        return []
    category = fired.contributions[1 : n_tokens + 1]
    values = category.tolist()
    chosen = _strong_of(values, float(category.max()))
    if not chosen:
        return []
    runs: list[list[int]] = []
    for i in chosen:
        if runs and i - runs[-1][-1] <= 2:
            runs[-1].append(i)
        else:
            runs.append([i])
    spans: list[tuple[float, Span]] = []
    offset = fired.window.start
    for run in runs:
        if all(text[starts[i] : ends[i]] in _QUIET_WORDS for i in run):
            continue
        a, b = tokens.original_span(starts[run[0]], ends[run[-1]])
        weight = values[run[0]] if len(run) == 1 else _float32_sum([values[i] for i in run])
        spans.append((weight, (offset + a, offset + b)))
    spans.sort(key=lambda item: -item[0])
    return [span for _, span in spans]


def _whole(window: _Window) -> Span:
    """A window's text as a span of the message, without its surrounding white space."""
    piece = window.piece
    lead = len(piece) - len(piece.lstrip())
    return (window.start + lead, window.start + len(piece.rstrip()))


def _merge(spans: list[Span], limit: int) -> list[Span]:
    """The first `limit` spans in order of strength, overlapping ones (from window overlaps)
    merged into the first kept span they overlap.

    Only the first `limit` kept spans are ever returned, and a span changes a kept span only
    by overlapping it (the kept ones are tried in order), so a span that overlaps none of them
    once `limit` are kept cannot change the answer and is dropped: linear in the number of
    spans (1 MB of abuse gives tens of thousands), where keeping them all was quadratic."""
    result: list[Span] = []
    for span in spans:
        for i, kept in enumerate(result):
            if span[0] < kept[1] and kept[0] < span[1]:
                result[i] = (min(span[0], kept[0]), max(span[1], kept[1]))
                break
        else:
            if len(result) < limit:
                result.append(span)
    return result


def _batches(items: list[_Window], size: int) -> Iterator[list[_Window]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
