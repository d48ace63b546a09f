"""Corpus reading, family splits and the near-duplicate check."""

import json
from pathlib import Path

import pytest

from classifiers.corpus import (
    CorpusError,
    Message,
    load_corpus,
    near_duplicates,
    read_messages,
    split_of,
)


def _write(path: Path, rows: list[dict[str, object]], tail: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail, encoding="utf-8")


def test_a_family_always_lands_in_one_split() -> None:
    splits = {split_of(f"family-{i}") for i in range(300)}
    assert splits == {"train", "dev", "test"}
    assert all(split_of("same-family") == split_of("same-family") for _ in range(3))


def test_half_written_lines_are_skipped_unless_strict(tmp_path: Path) -> None:
    path = tmp_path / "support_abusive.jsonl"
    row = {"id": "a", "family": "f", "text": "you idiot", "labels": ["insult"],
           "severity": "abusive"}  # fmt: skip
    _write(path, [row], tail='{"id": "b", "text": "unfinis')
    assert [m.id for m in read_messages(path)] == ["a"]
    with pytest.raises(CorpusError, match=r"support_abusive.jsonl:2"):
        list(read_messages(path, strict=True))


def test_unknown_labels_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    _write(path, [{"id": "a", "text": "t", "labels": ["rudeness"], "severity": "abusive"}])
    with pytest.raises(CorpusError, match="unknown labels"):
        list(read_messages(path, strict=True))


def test_load_corpus_reads_present_files_and_extras(tmp_path: Path) -> None:
    _write(
        tmp_path / "support_acceptable.jsonl",
        [{"id": "ok1", "family": "f1", "text": "hello", "labels": [], "severity": "none"}],
    )
    extra = tmp_path / "feedback.jsonl"
    _write(extra, [{"id": "fb1", "text": "not abusive after all", "labels": []}])
    messages = load_corpus(tmp_path, [extra])
    assert [m.id for m in messages] == ["ok1", "fb1"]
    assert messages[1].family == "fb1" and not messages[1].abusive


def test_extra_files_are_training_data_and_read_strictly(tmp_path: Path) -> None:
    """Agent feedback is trained on, all of it: no row is held out by its family's hash, and a
    bad row stops training naming its file and line instead of being dropped."""
    extra = tmp_path / "feedback.jsonl"
    rows = [{"id": f"fb{i}", "text": f"feedback {i}", "labels": []} for i in range(60)]
    _write(extra, rows)
    held_out_by_hash = [r["id"] for r in rows if split_of(str(r["id"])) != "train"]
    assert held_out_by_hash  # without the rule, some of these would be dev or test
    messages = load_corpus(tmp_path, [extra])
    assert {m.split for m in messages} == {"train"}
    _write(extra, [*rows[:2], {"id": "bad", "text": "x", "labels": ["rude"]}])
    with pytest.raises(CorpusError, match=r"feedback.jsonl:3: unknown labels"):
        load_corpus(tmp_path, [extra])


def test_conduct_train_stops_on_a_bad_feedback_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    bad = tmp_path / "feedback.jsonl"
    bad.write_text('{"id": "a", "text": "fine", "labels": []}\n{"text": 5}\n')
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "--quiet", "--data", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "feedback.jsonl:2" in result.output
    assert not out.exists()


def _message(ident: str, family: str, text: str) -> Message:
    return Message(id=ident, family=family, text=text, labels=(), severity="none")


def test_near_duplicates_across_splits_are_found() -> None:
    families = {}
    for i in range(200):
        families.setdefault(split_of(f"fam{i}"), f"fam{i}")
    text = "my parcel has not arrived after two weeks and nobody answers the phone at all"
    messages = [
        _message("a", families["train"], text),
        _message("b", families["test"], text.replace("two", "three")),
        _message("c", families["dev"], "completely different words about an invoice total"),
        _message("d", families["train"], text),  # same split: not reported
    ]
    found = near_duplicates(messages, threshold=0.6)
    pairs = {tuple(sorted((d.first, d.second))) for d in found}
    assert pairs == {("a", "b"), ("b", "d")}


@pytest.mark.parametrize(
    ("marker", "rows", "abusive"),
    [
        ("-b26", 720, 240),
        ("-b27", 610, 119),
        ("-b28", 125, 30),
        ("-b29", 300, 60),
        ("-b30", 210, 140),
        ("-b31", 597, 74),
    ],
    ids=["batch26", "batch27", "batch28", "batch29", "batch30", "batch31"],
)
def test_a_late_batch_is_in_the_corpus_whole_and_apart_from_the_probe(
    marker: str, rows: int, abusive: int
) -> None:
    """Batches 26 (kept back in session 18, merged in session 19), 27 (session 24), 28
    (session 25), 29 (kept back in session 25, merged in session 26), 30 and 31 (session 26), in
    classifiers/data/README.md: every row present, ids unique, acceptable rows never labelled,
    evidence quoted exactly, and nothing near the probe, which is only for evaluation."""
    from classifiers import corpus

    messages = corpus.load_corpus()
    assert len({m.id for m in messages}) == len(messages)
    batch = [m for m in messages if marker in m.family]
    assert len(batch) == rows and sum(m.abusive for m in batch) == abusive
    assert all(m.severity == "none" and not m.labels for m in batch if not m.abusive)
    assert all(e in m.text for m in batch for e in m.evidence)
    assert corpus.near_duplicates_between(batch, corpus.load_probe()) == []
