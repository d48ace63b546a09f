"""The ordinary-traffic probe (`classifiers/data/ordinary_probe.jsonl`): evaluation data that
no model is trained on, and what the shipped model must do on it."""

from classifiers import corpus
from classifiers.api import load_model
from classifiers.evaluate import probe_figures
from config.settings import DEFAULT_MODEL


def test_the_probe_is_outside_the_corpus() -> None:
    probe = corpus.load_probe()
    assert len(probe) >= 200 and len({m.id for m in probe}) == len(probe)
    assert all(m.id.startswith("probe-") and m.lang == "en" for m in probe)
    assert {m.abusive for m in probe} == {True, False}
    # no text of the probe repeats or nearly repeats (word 3-gram Jaccard 0.7) a corpus message
    messages = corpus.load_corpus()
    texts = {m.text for m in messages}
    assert not [m.id for m in probe if m.text in texts]
    assert corpus.near_duplicates_between(probe, messages) == []


def test_near_duplicates_between_finds_pairs_in_any_split() -> None:
    def message(ident: str, text: str) -> corpus.Message:
        return corpus.Message(id=ident, family="same", text=text, labels=(), severity="none")

    old = [
        message("a", "please can you refund the delivery charge on order 51"),
        message("b", "hi"),
    ]
    new = [message("p1", "please can you refund the delivery charge on order 52")]
    (pair,) = corpus.near_duplicates_between(new, old)
    assert (pair.first, pair.second) == ("p1", "a") and 0.7 <= pair.similarity < 1.0
    assert corpus.near_duplicates_between(new, old, threshold=0.99) == []


def test_the_shipped_model_leaves_ordinary_traffic_alone_and_catches_short_abuse() -> None:
    figures = probe_figures(load_model(DEFAULT_MODEL), corpus.load_probe())
    assert figures["acceptable"] >= 150 and figures["abusive"] >= 50
    assert figures["false_flag_rate"] <= 0.03, figures
    assert figures["recall"] >= 0.9, figures


def test_the_shipped_model_leaves_alone_the_everyday_words_threats_use() -> None:
    """Batch 27 (classifiers/data/README.md): ordinary messages in the phrases the corpus's
    threats leaned on ("found your", "call ended", "let's see how", "works at"), and threats in
    other words. Session 23's model, never trained on them, flagged 15 of the 128 acceptable
    messages of the batch's dev and held-out families; the threats must still be caught."""
    unseen = [m for m in corpus.load_corpus() if "-b27" in m.family and m.split != "train"]
    verdicts = load_model(DEFAULT_MODEL).classify_many([m.text for m in unseen])
    acceptable = [(m, v) for m, v in zip(unseen, verdicts, strict=True) if not m.abusive]
    abusive = [(m, v) for m, v in zip(unseen, verdicts, strict=True) if m.abusive]
    assert len(acceptable) == 128 and len(abusive) == 44
    flagged = [m.id for m, v in acceptable if v.labels]
    assert len(flagged) <= 5, flagged
    missed = [m.id for m, v in abusive if not v.labels]
    assert len(missed) <= 4, missed
