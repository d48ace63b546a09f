"""Training end to end on a tiny corpus written here (fast; no public data)."""

import json
from pathlib import Path

import pytest

from classifiers.card import CARD_JSON, CARD_MD, write_card
from classifiers.model import LinearModel
from classifiers.train import TrainConfig, train

ABUSE = {
    "insult": ["you are a useless idiot", "what a moron you are", "you clueless clown",
               "your staff are idiots", "you pathetic fool", "absolute moron on the phone"],
    "profanity": ["this fucking printer again", "shit, the app crashed", "bloody router died",
                  "the damn screen froze", "fucking laptop won't boot", "crap, wrong file"],
    "threat": ["i will hurt you after work", "i know where you live", "watch your back mate",
               "i'll find you and hurt you", "you will regret this, i know your address",
               "i'm coming to your office with a knife"],
}  # fmt: skip
ACCEPTABLE = ["my invoice is wrong", "please reset my password", "the parcel is late",
              "can I change my address", "how do I export a report", "thanks for the help",
              "the app is slow today", "I want a refund", "is the service down",
              "where is my order", "can you call me tomorrow",
              "I will complain to the ombudsman"]  # fmt: skip


def _corpus(directory: Path) -> None:
    abusive, acceptable = [], []
    for label, texts in ABUSE.items():
        for i, text in enumerate(texts):
            severity = {"profanity": "minor", "insult": "abusive", "threat": "extreme"}[label]
            abusive.append({"id": f"{label}{i}", "family": f"{label}-{i}", "text": text,
                            "labels": [label], "severity": severity})  # fmt: skip
    for i, text in enumerate(ACCEPTABLE):
        acceptable.append({"id": f"ok{i}", "family": f"ok-{i}", "text": text, "labels": [],
                           "severity": "none"})  # fmt: skip
    for name, rows in (
        ("support_abusive.jsonl", abusive),
        ("support_acceptable.jsonl", acceptable),
    ):
        (directory / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_training_writes_a_loadable_model_with_a_card(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)
    extra = tmp_path / "feedback.jsonl"
    extra.write_text(json.dumps({"id": "fb", "text": "identity attack demo", "labels":
                                 ["identity_attack", "unrealistic_demand"], "severity": "abusive"})
                     + "\n")  # fmt: skip
    config = TrainConfig(
        corpus_dir=data, extra_files=[extra], public_sets=(), bits=14, counterfactual_copies=2
    )
    model, facts = train(config, show_progress=False)
    out = tmp_path / "model"
    model.save(out)
    card = write_card(out)
    loaded = LinearModel.load(out)
    assert loaded.version == model.version and loaded.version.startswith("cg-linear-shipped-")
    assert all(0.0 < t < 1.0 for t in loaded.thresholds.values())
    assert facts["splits"]["train"]["messages"] + facts["splits"]["dev"]["messages"] > 0
    assert "near_duplicates" in facts
    assert (out / CARD_JSON).exists() and "Thresholds" in (out / CARD_MD).read_text()
    assert "Counterfactual copies: each acceptable training window" in (out / CARD_MD).read_text()
    assert card["model"]["data"]["corpus"]["support_abusive.jsonl"]["lines"] == 18
    # every public set the card's figures may use is named with its licence and mapping, also
    # those this model did not train on (the `--data` sets, the test sets)
    licences = (out / CARD_MD).read_text().split("### Licences and label mapping")[1]
    for name, words in (("olid", "no licence stated"), ("hasoc", "FIRE 2019"),
                        ("ethos", "GPL-3.0"), ("hasoc_test", "test sets")):  # fmt: skip
        assert f"**{name}**" in licences and words in licences
    assert "OFF/TIN → insult" in licences and "HOF/HATE → identity_attack" in licences
    scores_bad = loaded.classify("you useless idiot").scores["insult"]
    scores_ok = loaded.classify("please reset my password").scores["insult"]
    assert scores_bad > scores_ok


def test_training_is_reproducible(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)
    config = TrainConfig(corpus_dir=data, public_sets=(), bits=12)
    first, _ = train(config, show_progress=False)
    second, _ = train(config, show_progress=False)
    assert (first.weights == second.weights).all()
    assert first.thresholds == second.thresholds


def test_out_of_fold_decisions_are_written_as_the_card_counts_them(tmp_path: Path) -> None:
    """`conduct train --out-of-fold FILE`: one row per train/dev message, ids and no text, and
    the rows add up to the card's cross-validated figures (the same decisions)."""
    from classifiers import corpus

    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)
    config = TrainConfig(corpus_dir=data, public_sets=(), bits=12)
    path = tmp_path / "oof" / "rows.jsonl"
    model, _ = train(config, show_progress=False, out_of_fold=path)
    plain, _ = train(config, show_progress=False)
    assert (model.weights == plain.weights).all()  # writing them changes nothing

    messages = corpus.load_corpus(data, [])
    pool = [m for m in messages if m.split in ("train", "dev")]
    content = path.read_text()
    rows = [json.loads(line) for line in content.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(m.id for m in pool)
    assert {r["split"] for r in rows} <= {"train", "dev"}
    assert all("text" not in r for r in rows)
    assert not any(m.text in content for m in messages)

    cv = model.meta["cross_validated"]
    acceptable = [r for r in rows if not r["gold"]["labels"]]
    flagged = [r for r in acceptable if r["labels"]]
    assert acceptable and round(len(flagged) / len(acceptable), 4) == cv["false_flag_rate"]
    abusive = [r for r in rows if r["gold"]["labels"]]
    caught = [r for r in abusive if r["labels"]]
    assert len(caught) == round(cv["abusive_vs_acceptable"]["recall"] * len(abusive))
    said_extreme = [r for r in rows if r["severity"] == "extreme"]
    gold_extreme = [r for r in rows if r["gold"]["severity"] == "extreme"]
    hits = [r for r in gold_extreme if r["severity"] == "extreme"]
    assert len(hits) == round(cv["extreme"]["precision"] * len(said_extreme))
    assert len(hits) == round(cv["extreme"]["recall"] * len(gold_extreme))
    assert all((r["severity"] == "none") == (not r["labels"]) for r in rows)


def test_conduct_train_writes_the_out_of_fold_file_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import classifiers.train
    from cli import main

    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)

    def tiny(sets: list[str], **kwargs: object) -> TrainConfig:  # the CLI's config, tiny corpus
        return TrainConfig(corpus_dir=data, public_sets=(), bits=12)

    monkeypatch.setattr(classifiers.train, "config_for", tiny)
    out, oof = tmp_path / "model", tmp_path / "oof.jsonl"
    args = ["train", "--quiet", "--out", str(out), "--out-of-fold", str(oof)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in oof.read_text().splitlines()]
    assert rows and {"id", "gold", "labels", "severity", "scores"} <= set(rows[0])
    assert LinearModel.load(out).version in result.output


def test_the_solver_tolerance_reaches_the_solver(tmp_path: Path) -> None:
    """`solver_tol` is what brings two machines' weights together (TrainConfig's comment):
    at the default the weights sit much nearer a tightly solved reference than at a loose one."""
    import numpy as np

    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)

    def weights(tol: float) -> np.ndarray:
        config = TrainConfig(corpus_dir=data, public_sets=(), bits=12, solver_tol=tol)
        return train(config, show_progress=False)[0].weights.astype(np.float64)

    reference = weights(1e-10)
    loose = np.abs(weights(1e-1) - reference).max()
    default = np.abs(weights(TrainConfig().solver_tol) - reference).max()
    assert default < loose / 10
    assert default < 1e-2


def test_public_rows_teach_only_the_public_heads() -> None:
    from classifiers.train import Example, _head_weights

    examples = [
        Example("you idiot", {"insult": 1, "profanity": 0, "offensive": 1}, 1.0, "corpus"),
        Example("thanks a lot", {"insult": 0, "profanity": 0, "offensive": 0}, 1.0, "corpus"),
        Example("some tweet", {"profanity": 1, "offensive": 1}, 1.0, "davidson"),
        Example("another tweet", {"profanity": 0, "offensive": 0}, 1.0, "davidson"),
    ]
    config = TrainConfig(public_heads=("offensive",), public_weight=1.0, set_heads={})
    profanity = _head_weights(examples, "profanity", config)
    assert profanity[2] == profanity[3] == 0.0  # the tweets say nothing to this head
    assert profanity[0] > 0 and profanity[1] > 0
    offensive = _head_weights(examples, "offensive", config)
    assert offensive[2] > 0 and offensive[3] > 0
    # public rows weigh public_weight times our own rows in total (before the positive boost)
    assert offensive[1] == offensive[3]


def test_a_set_can_teach_fewer_heads_than_the_others() -> None:
    from classifiers.train import Example, _head_weights

    examples = [
        Example("you idiot", {"identity_attack": 0, "offensive": 1}, 1.0, "corpus"),
        Example("slur tweet", {"identity_attack": 1, "offensive": 1}, 1.0, "davidson"),
        Example("rude post", {"identity_attack": 1, "offensive": 1}, 1.0, "olid"),
    ]
    config = TrainConfig(public_heads=("identity_attack", "offensive"))
    assert config.heads_of("davidson") == ("identity_attack",)
    offensive = _head_weights(examples, "offensive", config)
    assert offensive[1] == 0.0 and offensive[2] > 0  # Davidson is off the gate, OLID is not
    identity = _head_weights(examples, "identity_attack", config)
    assert identity[1] > 0 and identity[2] > 0


def test_the_abuse_gate_is_chosen_with_the_category_thresholds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)
    gated, _ = train(TrainConfig(corpus_dir=data, public_sets=(), bits=12), show_progress=False)
    plain, _ = train(
        TrainConfig(corpus_dir=data, public_sets=(), bits=12, abuse_gate=False),
        show_progress=False,
    )
    assert gated.meta["gate"]["head"] == "offensive"
    assert gated.gate_threshold is not None and 0.0 < gated.gate_threshold < 1.0
    assert gated.meta["gate"]["threshold"] == gated.gate_threshold
    assert plain.gate_threshold is None and plain.meta["gate"] is None
    assert gated.version != plain.version  # another recipe, another model
    out = tmp_path / "model"
    gated.save(out)
    assert LinearModel.load(out).gate_threshold == gated.gate_threshold
    # the out-of-fold figures are those of the labels the model gives (gate included)
    cv = gated.meta["cross_validated"]
    assert cv["false_flag_rate"] <= 0.025 + 1e-9


def test_only_a_public_head_on_request_gets_its_head_settings() -> None:
    from classifiers.train import PUBLIC_VARIANT_HEADS, SHIPPED_HEADS, config_for

    shipped = config_for(("davidson",))
    assert shipped == TrainConfig(public_sets=("davidson",))
    assert shipped.head("offensive").nb_alpha is None
    assert shipped.head("offensive").c == shipped.c
    assert shipped.head_settings == SHIPPED_HEADS  # NB scaling on the category heads only
    assert shipped.head("insult").nb_alpha == 1.0 and shipped.head("insult").c == shipped.c
    # --data olid hasoc alone keeps the support-first settings; Davidson alone has nothing
    # to tune for
    assert config_for(("davidson", "olid", "hasoc")).head_settings == SHIPPED_HEADS
    assert config_for(("davidson",), public_head=True).head_settings == SHIPPED_HEADS
    variant = config_for(("davidson", "olid", "hasoc"), public_head=True)
    assert variant.head_settings == SHIPPED_HEADS | PUBLIC_VARIANT_HEADS
    assert variant.head("offensive") == PUBLIC_VARIANT_HEADS["offensive"]
    assert variant.head("insult") == config_for(("davidson",)).head("insult")  # others as shipped


def test_nb_scale_favours_features_that_tell_the_classes_apart() -> None:
    import numpy as np
    import pytest
    from scipy import sparse

    from classifiers.train import nb_scale

    # column 0 only in positives, column 1 in every row: |log((3/6) / (1/4))|, |log((3/6) / (3/4))|
    matrix = sparse.csr_matrix(np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 1.0], [0.0, 1.0]]))
    gold = np.array([1, 1, 0, 0])
    scale = nb_scale(matrix, gold, np.ones(4, dtype=np.float32), 1.0)
    assert scale == pytest.approx([np.log(2.0), np.log(1.5)], rel=1e-5)


def test_extreme_needs_a_threat_floor_chosen_out_of_fold(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _corpus(data)
    model, _ = train(
        TrainConfig(corpus_dir=data, public_sets=(), bits=14, extreme_threat_recall=0.5),
        show_progress=False,
    )
    floor = model.meta["severity_thresholds"]["threat_floor"]
    assert floor == model.extreme_threat_floor and 0.0 < floor < 1.0
    assert model.meta["config"]["extreme_threat_recall"] == 0.5
    # the floor is in the saved model, and a model saved without one keeps the old rule
    model.save(tmp_path / "m")
    assert LinearModel.load(tmp_path / "m").extreme_threat_floor == floor
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    del meta["severity_thresholds"]["threat_floor"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    assert LinearModel.load(tmp_path / "m").extreme_threat_floor == 0.0


def test_bench_figures_render_in_a_fixed_order_whatever_order_they_come_in() -> None:
    from classifiers.card import _bench

    band = {"ours_p50_ms": 1, "ours_p99_ms": 2, "apc_p50_ms": 3, "apc_p99_ms": 4}
    figures = {"cpu_count": 2, "model": "m", "messages": 5,
               "latency": {"2000-10000": band, "500-2000": band, "0-100": band}}  # fmt: skip
    text = _bench(dict(sorted(figures.items())))  # as read back from sorted JSON
    assert text.index("| model |") < text.index("| messages |") < text.index("| cpu_count |")
    assert text.index("| 0-100 |") < text.index("| 500-2000 |") < text.index("| 2000-10000 |")
