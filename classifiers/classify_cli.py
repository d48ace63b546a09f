"""`conduct classify`: JSON lines in, JSON lines out, in order, in constant memory.

Each input line is `{"id": ..., "text": ...}`; each output line is `{"id", "labels", "scores",
"severity", "evidence", "language", "assessed"}`. Lines are read and classified in small
batches (so throughput is that of the batch path, and memory does not grow with the input).
A line that is not a JSON object with a string `text` (blank, not UTF-8, not JSON) gets, in its
place, `{"id": ..., "line": N, "error": "line N: ..."}`, the same message on standard error, and
the rest goes on; the exit status is then 1. Output is ASCII JSON (non-ASCII escaped), so an id
holding a lone surrogate (valid JSON) cannot stop the output either.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import IO, Any

from classifiers.model import LinearModel
from classifiers.verdict import CATEGORIES, Verdict

BATCH = 256


class PolicyFileError(ValueError):
    """A `--policy` file whose `thresholds:` cannot be used (file and reason)."""


def policy_thresholds(path: Path) -> dict[str, float]:
    """The `thresholds:` mapping of a policy YAML file (only that key is read)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyFileError(f"{path}: {exc}") from None
    raw = data.get("thresholds") if isinstance(data, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyFileError(f"{path}: thresholds: must be a mapping of category to number")
    result = {}
    for key, value in raw.items():
        if key not in CATEGORIES:
            raise PolicyFileError(
                f"{path}: thresholds.{key}: unknown category (one of {', '.join(CATEGORIES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise PolicyFileError(f"{path}: thresholds.{key}: must be a number from 0 to 1")
        result[key] = float(value)
    return result


def output_row(ident: Any, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": ident,
        "labels": list(verdict.labels),
        "scores": verdict.scores,
        "severity": verdict.severity,
        "evidence": {k: [list(span) for span in v] for k, v in verdict.evidence.items()},
        "language": verdict.language,
        "assessed": verdict.assessed,
    }


def _parse(number: int, line: str | bytes) -> tuple[Any, str | None, str | None]:
    """(id, text, error) of one input line (bytes from standard input, str from a test)."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, None, f"line {number}: not valid UTF-8 (byte {exc.start + 1})"
    if not line.strip():
        return None, None, f"line {number}: empty line"
    try:
        row = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as exc:
        return None, None, f"line {number}: invalid JSON: {exc}"
    except RecursionError:
        return None, None, f"line {number}: invalid JSON: nested too deeply"
    if not isinstance(row, Mapping):
        return None, None, f"line {number}: expected a JSON object"
    ident = row.get("id")
    try:
        _ENCODE(ident)  # echoed back on the output line, so it must be writable as JSON
    except (ValueError, RecursionError):
        return None, None, f"line {number}: `id` cannot be written back as JSON"
    text = row.get("text")
    if not isinstance(text, str):
        return ident, None, f"line {number}: `text` must be a string"
    return ident, text, None


_ENCODE = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def _refuse_constant(name: str) -> float:
    """NaN and Infinity are not JSON (RFC 8259); Python's reader accepts them by default."""
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999: valid JSON, but no JSON number can hold it
        raise ValueError(f"number {text} is out of range")
    return value


def _batches(lines: Iterable[str | bytes], size: int) -> Iterator[list[tuple[int, str | bytes]]]:
    numbered = enumerate(lines, start=1)
    while batch := list(islice(numbered, size)):
        yield batch


def run(model: LinearModel, source: Iterable[str | bytes], sink: IO[str], errors: IO[str]) -> int:
    """Classify every line of `source` onto `sink`; returns the number of bad lines."""
    bad = 0
    dumps = _ENCODE
    for batch in _batches(source, BATCH):
        parsed = [_parse(number, line) for number, line in batch]
        texts = [text for _, text, error in parsed if error is None and text is not None]
        verdicts = iter(model.classify_many(texts))
        out = []
        for (number, _), (ident, _text, error) in zip(batch, parsed, strict=True):
            if error is not None:
                bad += 1
                print(error, file=errors)
                out.append(dumps({"id": ident, "line": number, "error": error}))
            else:
                out.append(dumps(output_row(ident, next(verdicts))))
        sink.write("\n".join(out) + "\n")
        sink.flush()
    return bad


def main(model_path: Path, policy: Path | None) -> int:
    """The command: exit status 0, 1 when some line was bad, 2 when nothing could run."""
    from classifiers.api import load_model

    try:
        model = load_model(model_path)
        if policy is not None:
            model = model.with_thresholds(policy_thresholds(policy))
    except (PolicyFileError, OSError, ValueError) as exc:
        print(f"conduct classify: {exc}", file=sys.stderr)
        return 2
    bad = run(model, sys.stdin.buffer, sys.stdout, sys.stderr)  # bytes: each line decoded alone
    return 1 if bad else 0
