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
