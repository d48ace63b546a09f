"""The classifier's public API: `classify(text) -> Verdict` and `load_classifier(path)`.

`classify` uses one process-wide classifier, loaded lazily the first time it is called, from
`Settings().conduct_model` (default `classifiers/model/`). `load_classifier(path)` returns a
cached `Classifier` per path (`.classify(text)`, `.version`).

STAND-IN: until the trained model is committed, `load_classifier` falls back to a tiny word
list (`_StandIn`) when the model directory holds no model; it is marked `stand-in` in
`model_version` so nobody mistakes it for the real thing.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Protocol

from classifiers.verdict import CATEGORIES, Verdict


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    def classify(self, text: str) -> Verdict: ...


_WORDS = {
    "profanity": r"f+u+c+k\w*|sh[i1]t\w*|bastard\w*|bitch\w*|cunt\w*",
    "insult": r"idiot\w*|moron\w*|useless|stupid|incompetent",
    "threat": r"kill you|hurt you|watch your back|find where you live|burn\w* down",
    "identity_attack": r"(?!)",
    "unrealistic_demand": r"(?!)",
}


class _StandIn:
    """A word list, only so the pipeline runs before the trained model exists."""

    version = "stand-in-0"

    def __init__(self) -> None:
        self._patterns = {c: re.compile(rf"\b(?:{p})\b", re.IGNORECASE) for c, p in _WORDS.items()}

    def classify(self, text: str) -> Verdict:
        evidence = {c: [m.span() for m in p.finditer(text)] for c, p in self._patterns.items()}
        evidence = {c: s for c, s in evidence.items() if s}
        scores = {c: (1.0 if c in evidence else 0.0) for c in CATEGORIES}
        labels = tuple(c for c in CATEGORIES if c in evidence)
        severity = "none"
        if "threat" in labels:
            severity = "extreme"
        elif labels:
            severity = "abusive"
        return Verdict(scores, labels, severity, self.version, evidence)  # type: ignore[arg-type]


_lock = threading.Lock()
_cache: dict[Path, Classifier] = {}


def load_classifier(path: str | Path) -> Classifier:
    """The classifier saved at `path` (cached per resolved path)."""
    key = Path(path).resolve()
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _load(key)
            _cache[key] = found
        return found


def _load(path: Path) -> Classifier:
    if (path / "model.json").exists():
        import importlib

        module = importlib.import_module("classifiers.model")
        loaded: Classifier = module.LinearModel.load(path)
        return loaded
    return _StandIn()


def default_classifier() -> Classifier:
    from config.settings import Settings

    return load_classifier(Settings().conduct_model)


def classify(text: str) -> Verdict:
    """Verdict for one message from the default model (`Settings().conduct_model`)."""
    return default_classifier().classify(text)
