"""The project's own support corpus: reading it, splitting it by family, checking the split.

Files in `classifiers/data/` (JSON lines, one message each): `support_acceptable.jsonl`,
`support_abusive.jsonl`, `non_english.jsonl` (and `ordinary_probe.jsonl` and
`identity_audit.json`, read only by `conduct evaluate`); extra labelled files (agent feedback)
use the same schema. Each message belongs to a *family* (variations of one idea); a family goes
wholly to one split, chosen by a hash of its name, so the split is stable as the files grow.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from classifiers.verdict import CATEGORIES, SEVERITIES

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_FILES = ("support_acceptable.jsonl", "support_abusive.jsonl", "non_english.jsonl")
# Evaluation only, never trained on and outside the splits: ordinary support traffic (mostly
# short, firm but acceptable requests) and short abusive messages, by another writer.
PROBE_FILE = "ordinary_probe.jsonl"
Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
_DEV_FROM, _TEST_FROM = 70, 85  # hash bucket (0-99) where dev and held-out test start


class CorpusError(ValueError):
    """A corpus line that does not fit the schema (file:line and reason)."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    family: str
    text: str
    labels: tuple[str, ...]
    severity: str
    target: str = "none"
    lang: str = "en"
    channel: str = "email"
    evidence: tuple[str, ...] = ()
    source: str = ""
    assigned_split: Split | None = None  # extra labelled files (feedback): always "train"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def abusive(self) -> bool:
        return bool(self.labels)

    @property
    def split(self) -> Split:
        return self.assigned_split or split_of(self.family)


def split_of(family: str) -> Split:
    """train (70 %), dev (15 %) or test (15 %), from a hash of the family name."""
    bucket = int.from_bytes(hashlib.sha256(family.encode("utf-8")).digest()[:4], "big") % 100
    if bucket >= _TEST_FROM:
        return "test"
    return "dev" if bucket >= _DEV_FROM else "train"


def read_messages(
    path: Path, *, strict: bool = False, split: Split | None = None
) -> Iterator[Message]:
    """Messages of one JSON-lines file. Bad lines raise `CorpusError` when `strict`, else are
    skipped (the corpus files are written while we train; a half-written last line is normal).
    `split` puts every message in that split instead of the one its family hashes to."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                message = _message(json.loads(line), path.name, number)
            except (ValueError, KeyError, TypeError) as exc:
                if strict:
                    raise CorpusError(f"{path}:{number}: {exc}") from None
                continue
            yield message if split is None else replace(message, assigned_split=split)


def _message(row: dict[str, Any], source: str, number: int) -> Message:
    labels = tuple(row.get("labels") or ())
    unknown = [label for label in labels if label not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown labels {unknown}")
    severity = row.get("severity") or ("abusive" if labels else "none")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    text = row["text"]
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    ident = str(row.get("id") or f"{source}:{number}")
    return Message(
        id=ident,
        family=str(row.get("family") or ident),
        text=text,
        labels=labels,
        severity=severity,
        target=str(row.get("target") or "none"),
        lang=str(row.get("lang") or "en"),
        channel=str(row.get("channel") or "email"),
        evidence=tuple(row.get("evidence") or ()),
        source=source,
    )


def load_corpus(directory: Path = DATA_DIR, extra: Iterable[Path] = ()) -> list[Message]:
    """The corpus files present in `directory`, then any extra labelled files (agent feedback).

    Extra files are read strictly (a bad line stops training with its file and line number:
    a feedback row silently dropped is a correction lost) and are training data only: their
    rows go to the train split whatever their family, so none is held out unseen."""
    paths = [directory / name for name in CORPUS_FILES if (directory / name).exists()]
    messages = [message for path in paths for message in read_messages(path)]
    for path in extra:
        messages += read_messages(path, strict=True, split="train")
    return messages


def load_probe(directory: Path = DATA_DIR) -> list[Message]:
    """The ordinary-traffic probe (`PROBE_FILE`), empty when the file is absent."""
    path = directory / PROBE_FILE
    return list(read_messages(path, strict=True)) if path.exists() else []


def file_digests(paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """sha256 and line count per file, for the model card."""
    result = {}
    for path in paths:
        data = path.read_bytes()
        result[path.name] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "lines": data.count(b"\n"),
        }
    return result


# -- near-duplicate check -------------------------------------------------------------------
_TOKEN = re.compile(r"[a-z0-9]+")


def _shingles(text: str, size: int = 3) -> frozenset[str]:
    words = _TOKEN.findall(text.lower())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    first: str
    second: str
    splits: tuple[str, str]
    similarity: float


def _index(shingles: list[frozenset[str]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    for i, found in enumerate(shingles):
        for shingle in found:
            index[shingle].append(i)
    return index


def _jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def near_duplicates(messages: list[Message], threshold: float = 0.7) -> list[NearDuplicate]:
    """Pairs in different splits whose word 3-gram sets overlap (Jaccard) at `threshold`+."""
    shingles = [_shingles(m.text) for m in messages]
    index = _index(shingles)
    seen: set[tuple[int, int]] = set()
    result = []
    for i, found in enumerate(shingles):
        candidates = {j for s in found for j in index[s] if j > i}
        for j in candidates:
            if messages[i].split == messages[j].split or (i, j) in seen:
                continue
            seen.add((i, j))
            similarity = _jaccard(found, shingles[j])
            if similarity >= threshold:
                pair = (messages[i].split, messages[j].split)
                result.append(
                    NearDuplicate(messages[i].id, messages[j].id, pair, round(similarity, 3))
                )
    return result


def near_duplicates_between(
    new: list[Message], old: list[Message], threshold: float = 0.7
) -> list[NearDuplicate]:
    """Pairs of a `new` and an `old` message, in any split, whose word 3-gram sets overlap
    (Jaccard) at `threshold`+: how data kept apart (the probe) is checked against the corpus."""
    shingles = [_shingles(m.text) for m in old]
    index = _index(shingles)
    result = []
    for message in new:
        found = _shingles(message.text)
        for j in {j for s in found for j in index[s]}:
            similarity = _jaccard(found, shingles[j])
            if similarity >= threshold:
                pair = (message.split, old[j].split)
                result.append(NearDuplicate(message.id, old[j].id, pair, round(similarity, 3)))
    return result
