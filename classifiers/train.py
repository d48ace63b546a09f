"""Training: corpus + public rows → hashed features → one logistic regression per head.

Reproducible: splits come from hashes of family names and row ids, the solver is deterministic
(liblinear with a fixed seed), and the files' digests go into the model card. Steps:

1. Examples. Our corpus's *train* split, one example per window of each message (`chunking`);
   in a long abusive message only the windows holding its evidence carry its labels (the
   others are left out), in an acceptable one every window is a negative. Public training rows
   (their 85 % train part) follow the mapping in `public`. Each head learns only from rows that
   say something about it; a public set's rows teach only its heads (`TrainConfig.heads_of`)
   and are weighted so that, per head, they weigh `public_weight` times our own rows in total.
2. Features: `features.extract` on normalised text, as a sparse matrix.
3. Per head a `LogisticRegression` (the category heads on NB-scaled features, `SHIPPED_HEADS`);
   its coefficients become a column of the weight matrix.
4. On our *dev* split: Platt calibration per head, then thresholds (best F1 per category, then
   raised, jointly, until at most `false_flag_limit` of acceptable dev messages get any label,
   losing the least abusive weight: `thresholds.choose_under_budget`), the
   `sev_extreme` threshold for recall, and the `sev_abusive` threshold for accuracy.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers import chunking, corpus, counterfactual, metrics, public, thresholds
from classifiers.features import CHAR_NS, FEATURE_VERSION, extract
from classifiers.model import (
    GATE_HEAD,
    HEADS,
    MODEL_FORMAT,
    SEVERITY_HEADS,
    LinearModel,
    decide_labels,
    sklearn_version,
)
from classifiers.normalize import normalize_many
from classifiers.verdict import CATEGORIES

F32 = npt.NDArray[np.float32]
Progress = Callable[[int], None]
SEED = 20240611


@dataclass(frozen=True, slots=True)
class HeadSettings:
    """Per-head settings that replace `TrainConfig`'s for one head (None: keep the config's)."""

    c: float | None = None
    public_weight: float | None = None
    # Naive-Bayes feature scaling (NB-LR, Wang & Manning 2012): each feature column is scaled by
    # |log-count ratio| of the head's positives vs negatives (weighted presence, `nb_alpha`
    # smoothing) before the fit and the coefficients multiplied back, so the saved weights score
    # unscaled features as before; a feature-wise prior, not a new feature.
    nb_alpha: float | None = None


# Every variant: NB scaling (alpha 1, the shared C 30) on the five category heads. Chosen on
# out-of-fold F1 over train+dev (abusive vs acceptable, ≤ 2.5 % false flags; test split unseen):
# 0.823 without it, 0.839 with it at the same 2.4 % false flags, extreme recall 0.683 either
# way; better in each of the 4 family folds (+0.009 to +0.021), family bootstrap 95 % interval
# +0.010 to +0.022. Category F1: profanity 0.868 -> 0.906, insult 0.628 -> 0.664, threat
# 0.673 -> 0.690, identity_attack 0.400 -> 0.419, unrealistic_demand 0.612 -> 0.687. A plateau:
# alpha 0.5-2 with C 10-100 gave 0.831-0.841 (C 1-3 0.806-0.825). NB scaling on `offensive`
# (0.751-0.786 for alpha 0.5-2, C 1-30) or on every head (0.732-0.808) costs F1; on the severity
# heads it changes no flag and lowers extreme F1 (0.602 -> 0.566-0.590); per-head C alone
# (3, 10, 100 on any of these groups) gave 0.797-0.824.
SHIPPED_HEADS: dict[str, HeadSettings] = {c: HeadSettings(nb_alpha=1.0) for c in CATEGORIES}

# `conduct train --data olid/hasoc --offensive-head public` only (not the default, because it
# costs support messages): the `offensive` head is what the OLID and HASOC benchmarks score.
# Chosen on the public *dev* parts (threshold on one hash half, macro-F1 on the other, both
# ways, averaged; test sets unseen), TF-IDF baseline 0.709 on OLID dev, 0.654 on HASOC dev;
# out-of-fold F1 on our corpus (2.5 % false flags) in brackets. Shared settings (C 30, weight
# 1): 0.691 / 0.634 (0.766). NB scaling with C 3, weight 5: 0.734 / 0.671 (0.706), the least
# own cost among settings at least 0.02 over the baseline on OLID dev (C 1, weight 10: 0.731 /
# 0.666 (0.669)); nearer our corpus, C 10, weight 3: 0.727 / 0.666 (0.728). Without NB scaling
# no C (0.3-30) or weight (1-30) got past 0.709 on OLID dev. The public tweets pull the abuse
# gate away from support messages: this head trades own F1 for the public benchmarks.
# (Out-of-fold figures in brackets were measured before `SHIPPED_HEADS`; with it, held-out F1
# 0.802 for the plain public variant and 0.739 for this one.)
PUBLIC_VARIANT_HEADS: dict[str, HeadSettings] = {
    "offensive": HeadSettings(c=3.0, public_weight=5.0, nb_alpha=1.0)
}


@dataclass
class TrainConfig:
    corpus_dir: Path = corpus.DATA_DIR
    extra_files: list[Path] = field(default_factory=list)
    public_sets: tuple[str, ...] = ("davidson",)
    public_dir: Path = public.DEFAULT_PUBLIC_DIR
    bits: int = 19
    # Feature-count scaling (chars, words): each feature of a window weighs count ** -power.
    # 0.5 (unit length) until session 26. It put a short line's whole weight on its few
    # words, so "Let's see how it goes." scored as a threat and "Hiring" as identity abuse.
    # Out of fold over train+dev (session 26, corpus with batches 29 and 30), 0.5 -> 0.35: F1
    # 0.914 -> 0.914 at 2.5 % false flags, extreme recall 0.855 -> 0.865, and the sentences of
    # held-fold acceptable messages scored alone by the fold's model flagged 1.58 % -> 1.03 %
    # (208 -> 178 of them `extreme`; docs/classifier-quality.md, session 26). Scanned in session
    # 27 (corpus with batch 31), chars/words: 0.25/0.25, 0.35/0.25, 0.25/0.35 flag a quarter fewer
    # sentences alone but give F1 0.910, 0.908, 0.913 against 0.915 (insult F1 down to 0.690 when
    # the word power falls) and extreme recall at most 0.006 higher: 0.35 stays.
    powers: tuple[float, float] = (0.35, 0.35)
    window: int = chunking.WINDOW
    overlap: int = chunking.OVERLAP
    public_weight: float = 1.0
    # Heads public rows teach (the others learn from our corpus only), and their weight. Chosen
    # on out-of-fold F1 over train+dev (abusive vs acceptable at ≤ 2.5 % false flags): Davidson
    # on every head at 0.4 gave 0.760; on `identity_attack` and `offensive` only, at 1.0,
    # 0.786 (its tweets taught `profanity` and `insult` the wrong lessons for support
    # messages: 0.855 → 0.914 and 0.587 → 0.719 without them); no Davidson at all 0.783, but
    # `identity_attack` then fell to 0.29. Other C and boost values were no better.
    public_heads: tuple[str, ...] = ("identity_attack", "offensive")
    # Sets that teach fewer heads than `public_heads`. Davidson taught `offensive` too until
    # session 4; on the corpus of session 4 (3,817 English messages) out-of-fold F1 was 0.760
    # with it there and 0.783 without (its tweets pull the abuse gate away from support
    # messages); without Davidson at all 0.784. It stays on `identity_attack` because our corpus
    # writes slurs masked ("p*ki") and its tweets hold them as customers may type them.
    set_heads: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"davidson": ("identity_attack",)}
    )
    c: float = 30.0
    positive_boost: float = 0.5  # positives weighted by (negatives/positives) ** boost
    false_flag_limit: float = 0.025
    # When the false-flag budget forces thresholds up, losing a threat to staff safety counts as
    # losing this many other abusive messages, so the budget goes to the threat head before the
    # others (the policy sends safety threats straight to senior management). Chosen on
    # out-of-fold figures over train+dev (session 11, corpus with batch 19, 2.5 % false flags):
    # weights 1-2 change nothing (extreme messages flagged 0.877, extreme recall 0.825, F1
    # 0.906); 4-6 lower the threat threshold 0.949 -> 0.894 (0.888, 0.836, F1 0.907); 3 sits on
    # that step (a scan and a training run fell on either side of it); 7 and more lower it to
    # 0.625 and raise the gate's (0.908, 0.855, but F1 0.898, under the 0.90 target). 5: the
    # middle of the best range that keeps F1 at or over 0.90, away from both steps. With the
    # joint search (session 19, corpus with batch 26 and counterfactual copies, out of fold):
    # weight 5: F1 0.911, extreme recall 0.867; 8: 0.910, 0.868.
    extreme_weight: float = 5.0
    extreme_recall: float = 0.95
    # `extreme` also needs P(threat) at a floor that keeps this share of the extreme messages
    # the severity head alone catches (out of fold): swearing at a printer is never a safety case
    extreme_threat_recall: float = 0.99
    # The abuse gate (model.py): the `offensive` head also flags, with its own threshold chosen
    # with the category thresholds under the one false-flag budget. Chosen on out-of-fold F1
    # over train+dev at the same 2.5 % false flags: 0.747 without it, 0.808 with it (extreme
    # recall 0.39 -> 0.57, 198 extreme messages), on the corpus of session 3.
    abuse_gate: bool = True
    head_settings: dict[str, HeadSettings] = field(default_factory=lambda: dict(SHIPPED_HEADS))
    # Per acceptable training window that names a group of people, this many copies naming
    # other groups (`counterfactual`), each weighing `counterfactual_weight`. Measured in session
    # 18 out of fold over train+dev (24,077 English messages, 2.5 % false flags; test split
    # unseen), none / 2 copies at 0.5 / 3 at 1: F1 0.912 / 0.910 / 0.910; acceptable messages
    # naming a group (identity_audit's words) flagged 42 / 35 / 33 of 1,319, the others 250 /
    # 259 / 261 of 10,441; identity abuse caught 2,162 / 2,128 / 2,128 of 2,589. Shipped from
    # session 19, with the twenty-sixth batch and the joint threshold search (the copies'
    # gain is fairness: audit neutral flags 6 -> 2 held out): docs/classifier-quality.md,
    # sessions 18 and 19.
    counterfactual_copies: int = 2
    counterfactual_weight: float = 0.5
    # liblinear's stopping tolerance. At scikit-learn's 1e-4 the solver stops where rounding
    # (most likely which BLAS kernel the CPU gets) has already moved the weights: the shipped
    # model trained again on another machine in session 20 had weights up to 0.17 apart and
    # other insult and gate thresholds (0.804 -> 0.892, 0.891 -> 0.887). Measured on one head
    # over half the corpus, two OpenBLAS kernels (OPENBLAS_CORETYPE Zen / Prescott) end 3e-3
    # apart at 1e-4, 5e-5 at 1e-6, 2e-6 at 1e-8; 1e-6 costs about a third more fitting time.
    # At 1e-6 the whole shipped recipe trained with either kernel gave the same thresholds and
    # out-of-fold figures, its saved weights at most one float16 step (0.016) apart.
    solver_tol: float = 1e-6

    def heads_of(self, origin: str) -> tuple[str, ...]:
        """The heads rows from public set `origin` teach."""
        return self.set_heads.get(origin, self.public_heads)

    def head(self, head: str) -> HeadSettings:
        """`head`'s settings, the config's own where `head_settings` says nothing."""
        own = self.head_settings.get(head, HeadSettings())
        return HeadSettings(
            c=self.c if own.c is None else own.c,
            public_weight=self.public_weight if own.public_weight is None else own.public_weight,
            nb_alpha=own.nb_alpha,
        )


def config_for(sets: Sequence[str], *, public_head: bool = False, **kwargs: Any) -> TrainConfig:
    """The config `conduct train` uses for these public sets; with `public_head` (and a set
    outside `public.SHIPPABLE` among them) the `offensive` head gets `PUBLIC_VARIANT_HEADS`."""
    heads = PUBLIC_VARIANT_HEADS if public_head and set(sets) - public.SHIPPABLE else {}
    return TrainConfig(public_sets=tuple(sets), head_settings=SHIPPED_HEADS | heads, **kwargs)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    labels: dict[str, int]
    weight: float
    origin: str  # "corpus" or a public set name
    family: str = ""


def corpus_examples(
    messages: Sequence[corpus.Message],
    window: int = chunking.WINDOW,
    overlap: int = chunking.OVERLAP,
    counterfactual_copies: int = 0,
    counterfactual_weight: float = 0.5,
) -> list[Example]:
    """Training examples (one per window) from our own messages; an acceptable window that
    names a group also gives `counterfactual_copies` copies naming other groups (same family,
    so the same fold)."""
    result = []
    for message in messages:
        labels = {c: int(c in message.labels) for c in CATEGORIES}
        labels["offensive"] = int(message.abusive)
        if message.abusive:
            labels["sev_abusive"] = int(message.severity in ("abusive", "extreme"))
            labels["sev_extreme"] = int(message.severity == "extreme")
        pieces = chunking.windows(message.text, window, overlap)
        family = message.family
        if not message.abusive:
            for start, piece in pieces:
                result.append(Example(piece, labels, 1.0, "corpus", family))
                seed = f"{message.id}:{start}"
                for copy in counterfactual.copies(piece, counterfactual_copies, seed):
                    result.append(Example(copy, labels, counterfactual_weight, "corpus", family))
            continue
        if len(pieces) == 1:
            result += [Example(p, labels, 1.0, "corpus", family) for _, p in pieces]
            continue
        spans = _evidence_spans(message)
        for start, piece in pieces:
            end = start + len(piece)
            if any(start <= a and b <= end for a, b in spans):
                result.append(Example(piece, labels, 1.0, "corpus", family))
    return result


def _evidence_spans(message: corpus.Message) -> list[tuple[int, int]]:
    spans = []
    for quote in message.evidence:
        at = message.text.find(quote)
        if at >= 0:
            spans.append((at, at + len(quote)))
    return spans or [(0, len(message.text))]


def public_examples(rows: Sequence[public.PublicRow]) -> list[Example]:
    return [Example(r.text, dict(r.labels), 1.0, r.source) for r in rows if r.split == "train"]


def featurise(
    texts: Sequence[str],
    bits: int,
    progress: Progress | None = None,
    group_weights: tuple[float, float] = (1.0, 1.0),
    *,
    powers: tuple[float, float],
) -> Any:
    """Sparse matrix (texts × 2**bits) of the features `LinearModel.decision` sums, scaled
    with the model's `powers` (no default: 0.5 here once silently differed from TrainConfig's)."""
    from scipy import sparse

    blocks = []
    step = 2000
    for start in range(0, len(texts), step):
        chunk = list(texts[start : start + step])
        features = extract(normalize_many(chunk), bits, powers)
        rows, cols, values = [], [], []
        for group, scale, weight in (
            (features.chars, features.char_scale, group_weights[0]),
            (features.words, features.word_scale, group_weights[1]),
        ):
            rows.append(group.row)
            cols.append(group.bucket)
            values.append(group.sign * scale[group.row] * weight)
        matrix = sparse.csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(chunk), 1 << bits),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        blocks.append(matrix)
        if progress:
            progress(len(chunk))
    return sparse.vstack(blocks, format="csr")


def _head_weights(examples: Sequence[Example], head: str, config: TrainConfig) -> F32:
    """Per example its weight for `head` (0 when the example says nothing about the head)."""
    own = np.array([e.origin == "corpus" for e in examples])
    taught = {o: head in config.heads_of(o) for o in {e.origin for e in examples}}
    known = np.array(
        [head in e.labels and (e.origin == "corpus" or taught[e.origin]) for e in examples]
    )
    weights = np.where(known, np.array([e.weight for e in examples]), 0.0)
    own_total = float(weights[own].sum())
    public_total = float(weights[~own].sum())
    if public_total and own_total:
        public_weight = config.head(head).public_weight or 0.0
        weights[~own] *= public_weight * own_total / public_total
    gold = np.array([e.labels.get(head, 0) for e in examples]) == 1
    positive, negative = float(weights[gold].sum()), float(weights[~gold].sum())
    if positive and negative > positive:
        weights[gold] *= (negative / positive) ** config.positive_boost
    return weights.astype(np.float32)


def fit_heads(
    matrix: Any, examples: Sequence[Example], config: TrainConfig, progress: Progress | None
) -> tuple[F32, F32]:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((matrix.shape[1], len(HEADS)), dtype=np.float32)
    bias = np.zeros(len(HEADS), dtype=np.float32)
    for h, head in enumerate(HEADS):
        if progress:
            progress(1)
        sample_weight = _head_weights(examples, head, config)
        rows = np.flatnonzero(sample_weight > 0)
        gold = np.array([examples[int(i)].labels.get(head, 0) for i in rows])
        if rows.size == 0 or gold.min() == gold.max():
            # nothing to learn (e.g. a fold without that label): a constant, never firing score
            bias[h] = 8.0 if rows.size and gold.min() == 1 else -8.0
            continue
        settings = config.head(head)
        x = matrix[rows]
        scale = None
        if settings.nb_alpha is not None:
            scale = nb_scale(x, gold, sample_weight[rows], settings.nb_alpha)
            x = x @ sparse.diags(scale)
        model = LogisticRegression(
            C=settings.c,
            solver="liblinear",
            max_iter=400,
            random_state=SEED,
            tol=config.solver_tol,
        )
        model.fit(x, gold, sample_weight=sample_weight[rows])
        weights[:, h] = model.coef_[0] if scale is None else model.coef_[0] * scale
        bias[h] = model.intercept_[0]
    return weights, bias


def nb_scale(matrix: Any, gold: npt.NDArray[Any], weights: F32, alpha: float) -> F32:
    """Per feature column |log((p_j / |p|) / (q_j / |q|))|, p and q the weighted counts of
    positive and negative rows where the feature is present, plus `alpha` (NB-LR)."""
    present = matrix.copy()
    present.data = (present.data != 0).astype(np.float64)
    positive = gold == 1
    p = present.T @ np.where(positive, weights, 0.0).astype(np.float64) + alpha
    q = present.T @ np.where(positive, 0.0, weights).astype(np.float64) + alpha
    scale: F32 = np.abs(np.log((p / p.sum()) / (q / q.sum()))).astype(np.float32)
    return scale


def _platt(decision: F32, gold: npt.NDArray[np.bool_]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if gold.sum() < 3 or (~gold).sum() < 3:
        return 1.0, 0.0
    fit = LogisticRegression(C=100.0, random_state=SEED)
    fit.fit(decision.reshape(-1, 1), gold.astype(int))
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _logit(p: F32) -> F32:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    result: F32 = np.log(p / (1 - p)).astype(np.float32)
    return result


def tune(
    model: LinearModel, english: Sequence[corpus.Message], decision: F32, config: TrainConfig
) -> None:
    """Platt calibration, category thresholds and severity thresholds from held-out decision
    values (`decision`: messages × heads, never from the test split)."""
    abusive = np.array([m.abusive for m in english])
    gold = {c: np.array([c in m.labels for m in english]) for c in CATEGORIES}
    gold["offensive"] = abusive
    gold["sev_abusive"] = np.array([m.severity in ("abusive", "extreme") for m in english])
    gold["sev_extreme"] = np.array([m.severity == "extreme" for m in english])
    for h, head in enumerate(HEADS):
        rows = abusive if head in SEVERITY_HEADS else np.ones(len(english), dtype=bool)
        a, b = _platt(decision[rows, h], gold[head][rows])
        model.platt_a[h], model.platt_b[h] = a, b
    probs = model.calibrate(decision)
    n_cat = len(CATEGORIES)
    gate = HEADS.index(GATE_HEAD)
    # the columns that can flag: the categories, and the gate head (gold: any abuse) if used
    columns = [*range(n_cat), *([gate] if config.abuse_gate else [])]
    gold_matrix = np.stack([gold[c] for c in CATEGORIES], axis=1)
    gold_columns = np.column_stack([gold_matrix, abusive])[:, : len(columns)]
    chosen = np.array(
        [
            thresholds.best_f1_threshold(probs[:, h], gold_columns[:, i])
            for i, h in enumerate(columns)
        ],
        dtype=np.float32,
    )
    chosen = thresholds.choose_under_budget(
        probs[:, columns],
        gold_columns,
        chosen,
        ~abusive,
        config.false_flag_limit,
        weights=np.where(gold["sev_extreme"], config.extreme_weight, 1.0),
    )
    chosen = np.array([round(float(t), 4) for t in chosen])  # as the model card shows them
    model.thresholds = {c: float(chosen[i]) for i, c in enumerate(CATEGORIES)}
    model.gate_threshold = float(chosen[n_cat]) if config.abuse_gate else None
    model.meta["gate"] = (
        {"head": GATE_HEAD, "threshold": model.gate_threshold} if config.abuse_gate else None
    )
    decided = decide_labels(probs, chosen[:n_cat], model.gate_threshold, gate)
    flagged = np.asarray(decided.any(axis=1), dtype=bool)
    extreme = HEADS.index("sev_extreme")
    severe = HEADS.index("sev_abusive")
    model.extreme_threshold = thresholds.recall_threshold(
        probs[:, extreme], gold["sev_extreme"] & flagged, config.extreme_recall
    )
    threat = HEADS.index("threat")
    caught = flagged & gold["sev_extreme"] & (probs[:, extreme] >= model.extreme_threshold)
    model.extreme_threat_floor = thresholds.recall_threshold(
        probs[:, threat], caught, config.extreme_threat_recall
    )
    among = abusive & flagged & ~gold["sev_extreme"]
    model.abusive_threshold = thresholds.best_f1_threshold(
        probs[among, severe], gold["sev_abusive"][among]
    )
    model.meta["thresholds"] = dict(model.thresholds)
    model.meta["severity_thresholds"] = {
        "sev_abusive": model.abusive_threshold,
        "sev_extreme": model.extreme_threshold,
        "threat_floor": model.extreme_threat_floor,
    }
    said_extreme = (
        flagged
        & (probs[:, extreme] >= model.extreme_threshold)
        & (probs[:, threat] >= model.extreme_threat_floor)
    )
    model.meta["cross_validated"] = {
        "note": "out-of-fold over train+dev with the thresholds chosen on them (optimistic)",
        "messages": len(english),
        "abusive_vs_acceptable": metrics.binary(flagged, abusive),
        "false_flag_rate": round(float(flagged[~abusive].mean()), 4) if (~abusive).any() else 0.0,
        "extreme": metrics.binary(said_extreme, gold["sev_extreme"]),
        "categories": {c: metrics.binary(decided[:, i], gold[c]) for i, c in enumerate(CATEGORIES)},
    }


FOLDS = 4


def _fold(family: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(b"fold:" + family.encode()).digest()[:4], "big") % FOLDS


def train(
    config: TrainConfig, show_progress: bool = True, out_of_fold: Path | None = None
) -> tuple[LinearModel, dict[str, Any]]:
    """Train a model as configured; returns it and the facts for its model card.

    The final model learns from our train and dev splits (plus public rows). Calibration and
    thresholds come from out-of-fold decisions over those same messages: `FOLDS` models, each
    trained without one group of families and scoring it. The test split is never touched.
    With `out_of_fold`, those decisions are also written there (`out_of_fold_rows`), so misses
    can be sorted without looking at the test split or replaying training outside the project.
    """
    from tqdm import tqdm  # type: ignore[import-untyped]

    messages = corpus.load_corpus(config.corpus_dir, config.extra_files)
    by_split = {s: [m for m in messages if m.split == s] for s in corpus.SPLITS}
    pool = by_split["train"] + by_split["dev"]
    examples = corpus_examples(
        pool,
        config.window,
        config.overlap,
        config.counterfactual_copies,
        config.counterfactual_weight,
    )
    public_counts: dict[str, int] = {}
    for name in config.public_sets:
        rows = public_examples(public.training_rows(name, config.public_dir))
        public_counts[name] = len(rows)
        examples += rows
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(examples))
    examples = [examples[i] for i in order]
    fold_of = np.array([_fold(e.family) if e.origin == "corpus" else -1 for e in examples])
    english = [m for m in pool if m.lang == "en"]

    meta = _meta(config, messages, public_counts, len(examples))
    total = len(examples) + len(HEADS) * (FOLDS + 1)
    with tqdm(total=total, desc="conduct train", unit="step", disable=not show_progress) as bar:
        matrix = featurise(
            [e.text for e in examples], config.bits, bar.update, powers=config.powers
        )
        decision = np.zeros((len(english), len(HEADS)), dtype=np.float32)
        for fold in range(FOLDS):
            keep = np.flatnonzero(fold_of != fold)
            weights, bias = fit_heads(matrix[keep], [examples[i] for i in keep], config, bar.update)
            held = [i for i, m in enumerate(english) if _fold(m.family) == fold]
            fold_model = LinearModel(meta, _arrays(weights, bias))
            scores = fold_model.score([english[i].text for i in held]).best
            decision[held] = _logit(scores)
        weights, bias = fit_heads(matrix, examples, config, bar.update)

    model = LinearModel(meta, _arrays(weights, bias))
    tune(model, english, decision, config)
    if out_of_fold is not None:
        decided = out_of_fold_rows(model, english, decision)
        out_of_fold.parent.mkdir(parents=True, exist_ok=True)
        out_of_fold.write_text("".join(json.dumps(r) + "\n" for r in decided), encoding="utf-8")
    duplicates = corpus.near_duplicates(messages)
    facts = {
        "splits": {
            s: {
                "messages": len(by_split[s]),
                "abusive": sum(m.abusive for m in by_split[s]),
                "families": len({m.family for m in by_split[s]}),
            }
            for s in corpus.SPLITS
        },
        "trained_on": "train + dev splits; calibration and thresholds from "
        f"{FOLDS}-fold out-of-fold decisions over them (folds by family)",
        "training_examples": {"corpus_windows": len(examples) - sum(public_counts.values())}
        | public_counts,
        "near_duplicates": {
            "threshold": 0.7,
            "method": "Jaccard similarity of word 3-gram sets, pairs in different splits",
            "pairs": len(duplicates),
            "examples": [asdict(d) for d in duplicates[:20]],
        },
    }
    model.meta["training"] = facts
    return model, facts


def out_of_fold_rows(
    model: LinearModel, english: Sequence[corpus.Message], decision: F32
) -> list[dict[str, Any]]:
    """Per message of `english` (the English train + dev messages), what the fold model that
    never saw its family decided, under the final calibration, thresholds and severity rule:
    the decisions `tune` chose on and the model card's cross-validated figures count. Ids, not
    text."""
    probs = model.calibrate(decision)
    cuts = model.threshold_row()
    decided = decide_labels(probs, cuts, model.gate_threshold, HEADS.index(GATE_HEAD))
    rows = []
    for i, message in enumerate(english):
        labels = [c for j, c in enumerate(CATEGORIES) if decided[i, j]]
        rows.append(
            {
                "id": message.id,
                "family": message.family,
                "split": message.split,
                "gold": {"labels": sorted(message.labels), "severity": message.severity},
                "labels": labels,
                "severity": model.flagged_severity(probs[i]) if labels else "none",
                "scores": {h: round(float(probs[i, j]), 4) for j, h in enumerate(HEADS)},
            }
        )
    return rows


def _arrays(weights: F32, bias: F32) -> dict[str, npt.NDArray[Any]]:
    return {
        "weights": weights,
        "bias": bias,
        "platt_a": np.ones(len(HEADS), dtype=np.float32),
        "platt_b": np.zeros(len(HEADS), dtype=np.float32),
    }


def _meta(
    config: TrainConfig,
    messages: Sequence[corpus.Message],
    public_counts: dict[str, int],
    n_examples: int,
) -> dict[str, Any]:
    import scipy
    import sklearn

    corpus_paths = [config.corpus_dir / n for n in corpus.CORPUS_FILES]
    corpus_paths = [p for p in corpus_paths if p.exists()] + list(config.extra_files)
    public_files = {
        name: corpus.file_digests(public.source_files(name, config.public_dir))
        for name in config.public_sets
    }
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    variant = "shipped" if set(config.public_sets) <= public.SHIPPABLE else "public"
    if config.head_settings != SHIPPED_HEADS:
        variant += "-tuned"  # `--offensive-head public`: reported apart from the plain variant
    digest = corpus.file_digests(corpus_paths)
    features = {
        "version": FEATURE_VERSION,
        "bits": config.bits,
        "char_power": config.powers[0],
        "word_power": config.powers[1],
        "char_ngrams": list(CHAR_NS),
        "window": config.window,
        "overlap": config.overlap,
    }
    settings = {
        "public_sets": list(config.public_sets),
        "public_weight": config.public_weight,
        "public_heads": list(config.public_heads),
        "set_heads": {name: list(config.heads_of(name)) for name in config.public_sets},
        "C": config.c,
        "positive_boost": config.positive_boost,
        "false_flag_limit": config.false_flag_limit,
        "threshold_search": "joint",
        "extreme_weight": config.extreme_weight,
        "extreme_recall": config.extreme_recall,
        "extreme_threat_recall": config.extreme_threat_recall,
        "abuse_gate": config.abuse_gate,
        # only when used, so that models trained without them keep their version names
        **(
            {
                "counterfactual_copies": config.counterfactual_copies,
                "counterfactual_weight": config.counterfactual_weight,
            }
            if config.counterfactual_copies
            else {}
        ),
        **(
            {"head_settings": {h: asdict(v) for h, v in config.head_settings.items()}}
            if config.head_settings
            else {}
        ),
        "solver_tol": config.solver_tol,
        "seed": SEED,
        "examples": n_examples,
    }
    # The version names the data (corpus digests) and how it was learnt (features, settings):
    # a retrain with other settings on the same data is another model.
    recipe = json.dumps([features, settings], sort_keys=True).encode()
    short = (
        "".join(v["sha256"][:2] for v in digest.values()) + hashlib.sha256(recipe).hexdigest()[:4]
    )
    return {
        "format": MODEL_FORMAT,
        "version": f"cg-linear-{variant}-{stamp}-{short}",
        "variant": variant,
        "heads": list(HEADS),
        "features": features,
        "thresholds": dict.fromkeys(CATEGORIES, 0.5),
        "severity_thresholds": {"sev_abusive": 0.5, "sev_extreme": 0.5},
        "config": settings,
        "data": {
            "corpus": digest,
            "public": public_files,
            "licences": {name: public.LICENCES[name] for name in config.public_sets},
            "mapping": {name: public.MAPPING[name] for name in config.public_sets},
        },
        "versions": {
            "scikit-learn": sklearn_version(),
            "sklearn_module": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "python": platform.python_version(),
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "messages": len(messages),
    }
