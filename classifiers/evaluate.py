"""`conduct evaluate`: our figures beside alt-profanity-check and better-profanity, in one run.

- Own held-out test split (English): abusive-vs-acceptable, false flags, per category, extreme
  recall, severity; the two other tools on the same messages (flagged = any abuse).
- Language: the `non_english.jsonl` file (not assessed, never flagged) and English test
  messages wrongly called foreign.
- Public test sets (when `--public-dir` has them): OLID test, HASOC 2019 test, ETHOS
  (out-of-domain), with a TF-IDF (word 1-2 + char 2-5) + logistic regression baseline trained
  here, now, on the same data as the model. Every threshold comes from the public *dev* parts
  (the 15 % of each training set no model trains on): OLID dev for OLID test, HASOC dev for
  HASOC test, both for ETHOS.
- A Markdown report with precision-recall curves (PNG) under `reports/`, and the figures in the
  model card.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers import corpus, identity_audit, metrics, public
from classifiers.api import load_model
from classifiers.card import write_card
from classifiers.model import HEADS, LinearModel
from classifiers.verdict import CATEGORIES

F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Scorer = Callable[[Sequence[str]], F64]


def _apc(texts: Sequence[str]) -> F64:
    from profanity_check import predict_prob

    result: F64 = np.asarray(predict_prob(list(texts)), dtype=np.float64)
    return result


def _better(texts: Sequence[str]) -> F64:
    from better_profanity import profanity

    profanity.load_censor_words()
    return np.array([float(profanity.contains_profanity(t)) for t in texts])


def own_figures(model: LinearModel, messages: Sequence[corpus.Message]) -> dict[str, Any]:
    texts = [m.text for m in messages]
    gold = np.array([m.abusive for m in messages])
    verdicts = model.classify_many(texts)
    result: dict[str, Any] = {"ours": metrics.corpus_figures(messages, verdicts)}
    for name, scorer in (("alt-profanity-check", _apc), ("better-profanity", _better)):
        flagged = scorer(texts) >= 0.5
        result[name] = {
            "abusive_vs_acceptable": metrics.binary(flagged, gold),
            "false_flag_rate": round(float(flagged[~gold].mean()), 4) if (~gold).any() else 0.0,
        }
    return result


def language_figures(
    model: LinearModel, foreign: Sequence[corpus.Message], english: Sequence[corpus.Message]
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if foreign:
        verdicts = model.classify_many([m.text for m in foreign])
        figures["non_english_messages"] = len(foreign)
        figures["non_english_not_assessed"] = round(
            float(np.mean([not v.assessed for v in verdicts])), 4
        )
        figures["non_english_flagged"] = sum(v.flagged for v in verdicts)
        figures["non_english_language_right"] = round(
            float(np.mean([v.language == m.lang for v, m in zip(verdicts, foreign, strict=True)])),
            4,
        )
        figures["languages"] = ", ".join(sorted({m.lang for m in foreign}))
    verdicts = model.classify_many([m.text for m in english])
    figures["english_called_foreign"] = sum(not v.assessed for v in verdicts)
    figures["english_messages"] = len(english)
    return figures


def probe_figures(model: LinearModel, probe: Sequence[corpus.Message]) -> dict[str, Any]:
    """The ordinary-traffic probe: false flags on its acceptable messages, recall on its short
    abusive ones (never trained on; `corpus.PROBE_FILE`)."""
    verdicts = model.classify_many([m.text for m in probe])
    acceptable = [v for m, v in zip(probe, verdicts, strict=True) if not m.abusive]
    abusive = [(m, v) for m, v in zip(probe, verdicts, strict=True) if m.abusive]
    extreme = [v for m, v in abusive if m.severity == "extreme"]
    return {
        "acceptable": len(acceptable),
        "false_flags": sum(v.flagged for v in acceptable),
        "false_flags_extreme": sum(v.severity == "extreme" for v in acceptable),
        "false_flag_rate": round(sum(v.flagged for v in acceptable) / len(acceptable), 4)
        if acceptable
        else 0.0,
        "abusive": len(abusive),
        "recall": round(sum(v.flagged for _, v in abusive) / len(abusive), 4) if abusive else 0.0,
        "extreme": len(extreme),
        "extreme_recall": round(sum(v.severity == "extreme" for v in extreme) / len(extreme), 4)
        if extreme
        else 0.0,
    }


# -- public sets ----------------------------------------------------------------------------
def _best_macro_threshold(scores: F64, gold: Bools) -> float:
    candidates = np.unique(np.quantile(scores, np.linspace(0.01, 0.99, 197)))
    values = [metrics.macro_f1(scores >= t, gold) for t in candidates]
    return float(candidates[int(np.argmax(values))])


def _public_result(scores: F64, gold: Bools, threshold: float) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    flagged = scores >= threshold
    return {
        "macro_f1": metrics.macro_f1(flagged, gold),
        "f1_offensive": metrics.binary(flagged, gold)["f1"],
        "roc_auc": round(float(roc_auc_score(gold, scores)), 4) if len(set(gold)) > 1 else 0.0,
        "threshold": round(threshold, 4),
    }


def _baseline(
    model: LinearModel, pool: Sequence[corpus.Message], public_dir: Path
) -> tuple[Scorer, int]:
    """TF-IDF (word 1-2 + char 2-5) + logistic regression on the model's own training data."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [m.text for m in pool if m.lang == "en"]
    gold = [int(m.abusive) for m in pool if m.lang == "en"]
    for name in model.meta["config"]["public_sets"]:
        for row in public.training_rows(name, public_dir):
            if row.split == "train":
                texts.append(row.text)
                gold.append(row.labels["offensive"])
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    matrix = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    classifier = LogisticRegression(C=1.0, max_iter=1000, solver="liblinear")
    classifier.fit(matrix, gold)

    def score(batch: Sequence[str]) -> F64:
        features = sparse.hstack([words.transform(batch), chars.transform(batch)]).tocsr()
        result: F64 = classifier.predict_proba(features)[:, 1]
        return result

    return score, len(texts)


def public_figures(
    model: LinearModel, pool: Sequence[corpus.Message], public_dir: Path
) -> dict[str, Any]:
    offensive = HEADS.index("offensive")

    def ours(texts: Sequence[str]) -> F64:
        return model.score(texts).best[:, offensive].astype(np.float64)

    started = time.perf_counter()
    baseline, baseline_rows = _baseline(model, pool, public_dir)
    tools: dict[str, Scorer] = {
        "ours": ours,
        "tfidf-lr baseline": baseline,
        "alt-profanity-check": _apc,
        "better-profanity": _better,
    }
    dev_rows = {
        name: [r for r in public.training_rows(name, public_dir) if r.split == "dev"]
        for name in ("olid", "hasoc")
    }
    dev_for = {"olid_test": ["olid"], "hasoc_test": ["hasoc"], "ethos": ["olid", "hasoc"]}
    dev_scores: dict[str, dict[str, F64]] = {tool: {} for tool in tools}
    for tool, scorer in tools.items():
        for name, rows in dev_rows.items():
            dev_scores[tool][name] = scorer([r.text for r in rows])
    tests: dict[str, dict[str, Any]] = {}
    curves: dict[str, dict[str, tuple[F64, Bools]]] = {}
    for test in public.TEST_SETS:
        pairs = public.test_rows(test, public_dir)
        texts = [t for t, _ in pairs]
        gold = np.array([label == 1 for _, label in pairs])
        dev_gold = np.concatenate(
            [np.array([r.labels["offensive"] == 1 for r in dev_rows[d]]) for d in dev_for[test]]
        )
        tests[test] = {}
        curves[test] = {}
        for tool, scorer in tools.items():
            scores = scorer(texts)
            if tool == "better-profanity":
                threshold = 0.5
            else:
                dev = np.concatenate([dev_scores[tool][d] for d in dev_for[test]])
                threshold = _best_macro_threshold(dev, dev_gold)
            tests[test][tool] = _public_result(scores, gold, threshold)
            curves[test][tool] = (scores, gold)
    margin = {
        test: round(
            tests[test]["ours"]["macro_f1"] - tests[test]["tfidf-lr baseline"]["macro_f1"], 4
        )
        for test in ("olid_test", "hasoc_test")
    }
    return {
        "tests": tests,
        "margin_over_baseline": margin,
        "baseline_training_rows": baseline_rows,
        "seconds": round(time.perf_counter() - started, 1),
        "note": "ours = the `offensive` head (any abuse). ETHOS is out-of-domain (hate speech "
        "comments). alt-profanity-check was trained on Davidson and Jigsaw data. Thresholds "
        "from the public dev parts; better-profanity is a yes/no word list.",
        "_curves": curves,
    }


# -- report ---------------------------------------------------------------------------------
def _plot_curves(path: Path, panels: dict[str, dict[str, tuple[F64, Bools]]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    columns = min(3, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), squeeze=False)
    for ax, (name, tools) in zip(axes.flat, panels.items(), strict=False):
        for tool, (scores, gold) in tools.items():
            if gold.any():
                precision, recall, _ = precision_recall_curve(gold, scores)
                ax.plot(recall, precision, label=tool)
        ax.set_title(name)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower left", fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _own_curves(
    model: LinearModel, messages: Sequence[corpus.Message]
) -> dict[str, dict[str, tuple[F64, Bools]]]:
    texts = [m.text for m in messages]
    best = model.score(texts).best.astype(np.float64)
    panels: dict[str, dict[str, tuple[F64, Bools]]] = {}
    gold_any = np.array([m.abusive for m in messages])
    panels["abusive vs acceptable"] = {
        "ours (offensive head)": (best[:, HEADS.index("offensive")], gold_any),
        "alt-profanity-check": (_apc(texts), gold_any),
    }
    for i, category in enumerate(CATEGORIES):
        gold = np.array([category in m.labels for m in messages])
        panels[category] = {"ours": (best[:, i], gold)}
    return panels


def _targets(figures: dict[str, Any], variant: str) -> dict[str, str]:
    own = figures["own_test"]
    ours = own["ours"]
    f1 = ours["abusive_vs_acceptable"]["f1"]
    apc_f1 = own["alt-profanity-check"]["abusive_vs_acceptable"]["f1"]
    recall = ours["extreme"]["recall"]
    false_flags = ours["false_flag_rate"]

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    result = {
        "held-out F1 >= 0.90": f"{f1:.3f} {mark(f1 >= 0.90)}",
        "false flags <= 3%": f"{false_flags:.1%} {mark(false_flags <= 0.03)}",
        "extreme recall >= 0.95": f"{recall:.3f} {mark(recall >= 0.95)}",
        "F1 >= alt-profanity-check + 0.15": f"{f1 - apc_f1:+.3f} {mark(f1 - apc_f1 >= 0.15)}",
    }
    language = figures.get("language", {})
    if "non_english_flagged" in language:
        flagged = language["non_english_flagged"]
        result["non-English never flagged"] = f"{flagged} flagged {mark(flagged == 0)}"
    public_part = figures.get("public")
    if public_part:
        for test, margin in public_part["margin_over_baseline"].items():
            goal = "target" if variant.startswith("public") else "for information (shipped variant)"
            result[f"{test} macro-F1 >= baseline + 0.02"] = (
                f"{margin:+.3f} {mark(margin >= 0.02)} ({goal})"
            )
    return result


def run_evaluation(
    model_path: Path, public_dir: Path, reports: Path, write: bool, card_dir: Path | None = None
) -> int:
    model = load_model(model_path)
    variant = str(model.meta.get("variant", "shipped"))
    messages = corpus.load_corpus()
    test = [m for m in messages if m.split == "test" and m.lang == "en"]
    pool = [m for m in messages if m.split != "test"]
    foreign = [m for m in messages if m.lang != "en"]
    figures: dict[str, Any] = {"model": model.version}
    figures["own_test"] = own_figures(model, test)
    figures["language"] = language_figures(model, foreign, test)
    probe = corpus.load_probe()
    if probe:
        figures["ordinary_probe"] = probe_figures(model, probe)
    if identity_audit.AUDIT_FILE.exists():
        audit_data = identity_audit.load()
        figures["identity_audit"] = identity_audit.audit_figures(model, audit_data)
        figures["identity_audit"]["held_out_acceptable"] = identity_audit.acceptable_by_mention(
            model, [m.text for m in test if not m.abusive], audit_data
        )
    public_curves: dict[str, dict[str, tuple[F64, Bools]]] = {}
    if (public_dir / "olid").exists():
        figures["public"] = public_figures(model, pool, public_dir)
        public_curves = figures["public"].pop("_curves")
    else:
        print(f"conduct evaluate: {public_dir} not found; public figures skipped", file=sys.stderr)
    figures["targets"] = _targets(figures, variant)

    reports.mkdir(parents=True, exist_ok=True)
    own_png = reports / f"pr_own_{variant}.png"
    _plot_curves(own_png, _own_curves(model, test), f"Own held-out test split ({variant})")
    pngs = [own_png]
    if public_curves:
        public_png = reports / f"pr_public_{variant}.png"
        _plot_curves(public_png, public_curves, f"Public test sets ({variant})")
        pngs.append(public_png)
    from classifiers.card import _evaluation

    report = reports / f"evaluation_{variant}.md"
    body = [f"# Evaluation of {model.version}", "", _evaluation(figures), ""]
    body += [f"![{p.stem}]({p.name})" for p in pngs]
    report.write_text("\n".join(body) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(f"conduct evaluate: report {report}", file=sys.stderr)
    if write:
        write_card(card_dir or model_path, evaluation={variant: figures})
    return 0
