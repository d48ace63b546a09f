"""The classifier's public API: `classify(text) -> Verdict` and `load_classifier(path)`.

`classify` uses one process-wide model, loaded the first time it is called from
`Settings().conduct_model` (default `classifiers/model/`). `load_classifier(path)` returns the
model saved at `path`, cached per path, with `.classify(text)`, `.classify_many(texts)` and
`.version`. A missing or incompatible model raises `ModelError` with a message saying what to do
(e.g. a model trained under another scikit-learn version).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from classifiers.model import LinearModel, ModelError
from classifiers.verdict import Verdict

__all__ = ["Classifier", "ModelError", "classify", "classify_many", "load_classifier"]


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    def classify(self, text: str) -> Verdict: ...

    def classify_many(self, texts: Sequence[str]) -> list[Verdict]: ...

    def with_thresholds(self, thresholds: Mapping[str, float]) -> Classifier: ...


_lock = threading.Lock()
_cache: dict[Path, LinearModel] = {}


def load_model(path: str | Path) -> LinearModel:
    """The model saved at `path` (loaded once per resolved path)."""
    key = Path(path).resolve()
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = LinearModel.load(key)
            _cache[key] = found
        return found


def load_classifier(path: str | Path) -> Classifier:
    """The classifier saved at `path` (loaded once per resolved path)."""
    return load_model(path)


def default_classifier() -> Classifier:
    from config.settings import Settings

    return load_classifier(Settings().conduct_model)


def classify(text: str) -> Verdict:
    """Verdict for one message from the default model (`Settings().conduct_model`)."""
    return default_classifier().classify(text)


def classify_many(texts: Sequence[str]) -> list[Verdict]:
    """Verdicts for several messages at once (faster than one by one)."""
    return default_classifier().classify_many(texts)
