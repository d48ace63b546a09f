"""`conduct classify`: JSON lines in and out, in order, bad lines named, policy thresholds."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classifiers.api import load_model
from classifiers.classify_cli import PolicyFileError, policy_thresholds, run
from config.settings import DEFAULT_MODEL, PROJECT_ROOT


def _run(lines: list[str]) -> tuple[list[dict[str, object]], str, int]:
    out, err = io.StringIO(), io.StringIO()
    bad = run(load_model(DEFAULT_MODEL), io.StringIO("\n".join(lines) + "\n"), out, err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue(), bad


def test_one_output_line_per_input_line_in_order() -> None:
    rows, _, bad = _run(
        [json.dumps({"id": i, "text": t}) for i, t in enumerate(["hello", "you fucking idiot", ""])]
    )
    assert bad == 0
    assert [r["id"] for r in rows] == [0, 1, 2]
    assert set(rows[1]) == {
        "id", "labels", "scores", "severity", "evidence", "language", "assessed"
    }  # fmt: skip
    assert rows[1]["labels"] and not rows[0]["labels"] and not rows[2]["labels"]


def test_a_bad_line_gets_an_error_naming_it_and_the_rest_goes_on() -> None:
    rows, err, bad = _run(
        [
            json.dumps({"id": "a", "text": "fine"}),
            "{not json",
            json.dumps({"id": "c"}),
            json.dumps(["a", "list"]),
            json.dumps({"id": "e", "text": "you absolute moron"}),
        ]
    )
    assert bad == 3
    assert [r.get("line") for r in rows] == [None, 2, 3, 4, None]
    assert "line 2: invalid JSON" in rows[1]["error"]
    assert rows[2]["id"] == "c" and "`text`" in rows[2]["error"]
    assert "line 2" in err and "line 4" in err
    assert rows[4]["id"] == "e" and rows[4]["labels"]


def test_streams_in_batches_without_reading_everything_first() -> None:
    """Output for the first batch is written before the input is exhausted."""
    seen: list[int] = []

    class Source(io.StringIO):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for i in range(600):
                seen.append(i)
                yield json.dumps({"id": i, "text": "hello there"}) + "\n"

    class Sink(io.StringIO):
        first_write_at: int | None = None

        def write(self, data: str) -> int:
            if self.first_write_at is None:
                self.first_write_at = len(seen)
            return super().write(data)

    sink = Sink()
    run(load_model(DEFAULT_MODEL), Source(), sink, io.StringIO())
    assert sink.first_write_at is not None and sink.first_write_at < 600
    assert len(sink.getvalue().splitlines()) == 600


def test_policy_file_thresholds(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("mode: observe\nthresholds:\n  insult: 0.99\n  threat: 0.3\nother: 1\n")
    assert policy_thresholds(policy) == {"insult": 0.99, "threat": 0.3}
    policy.write_text("thresholds:\n  rudeness: 0.5\n")
    with pytest.raises(PolicyFileError, match=r"thresholds\.rudeness"):
        policy_thresholds(policy)
    policy.write_text("thresholds:\n  insult: 2\n")
    with pytest.raises(PolicyFileError, match="from 0 to 1"):
        policy_thresholds(policy)


def test_the_command_applies_a_policy_override(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("thresholds:\n  insult: 1.0\n  profanity: 1.0\n")
    line = json.dumps({"id": 7, "text": "you are a fucking idiot"}) + "\nnot json\n"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "cli", "classify"]
    plain = subprocess.run(command, input=line, capture_output=True, text=True, env=env)
    strict = subprocess.run(
        [*command, "--policy", str(policy)], input=line, capture_output=True, text=True, env=env
    )
    assert plain.returncode == strict.returncode == 1  # the bad second line
    first_plain = json.loads(plain.stdout.splitlines()[0])
    first_strict = json.loads(strict.stdout.splitlines()[0])
    assert {"insult", "profanity"} <= set(first_plain["labels"])
    assert not {"insult", "profanity"} & set(first_strict["labels"])
    assert first_plain["scores"] == first_strict["scores"]
    assert "line 2" in strict.stderr
