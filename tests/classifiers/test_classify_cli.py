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


def test_lines_python_reads_but_json_does_not_allow_get_an_error_line() -> None:
    """NaN, Infinity, numbers beyond a float and nesting too deep to write back: each is an
    error line naming it, and the output stays valid JSON (`json.loads` is strict here only
    because the test parses with `parse_constant` refusing the constants)."""
    deep = '{"id": ' + "[" * 1500 + "]" * 1500 + ', "text": "hi"}'
    out, err = io.StringIO(), io.StringIO()
    lines = [
        json.dumps({"id": 1, "text": "hello"}),
        '{"id": NaN, "text": "hello"}',
        '{"id": 1e999, "text": "hello"}',
        deep,
        '{"id": -Infinity, "text": "hello"}',
        json.dumps({"id": 6, "text": "you absolute moron"}),
    ]
    bad = run(load_model(DEFAULT_MODEL), io.StringIO("\n".join(lines) + "\n"), out, err)

    def strict(name: str) -> None:
        raise AssertionError(f"{name} in the output")

    rows = [json.loads(line, parse_constant=strict) for line in out.getvalue().splitlines()]
    assert bad == 4
    assert [r.get("line") for r in rows] == [None, 2, 3, 4, 5, None]
    assert "NaN is not a JSON value" in rows[1]["error"]
    assert "out of range" in rows[2]["error"]
    assert "nested too deeply" in rows[3]["error"]
    assert rows[0]["id"] == 1 and rows[5]["id"] == 6 and rows[5]["labels"]


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


def test_blank_and_non_utf8_lines_get_an_error_line_of_their_own() -> None:
    """One output line per input line: a blank line or bytes that are not UTF-8 are named."""
    out, err = io.StringIO(), io.StringIO()
    source = [
        json.dumps({"id": 1, "text": "hello"}).encode() + b"\n",
        b"\n",
        b'{"id": 3, "text": "caf\xe9"}\n',  # Latin-1, not UTF-8
        json.dumps({"id": 4, "text": "you absolute moron"}).encode() + b"\n",
    ]
    bad = run(load_model(DEFAULT_MODEL), source, out, err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert bad == 2
    assert [r.get("line") for r in rows] == [None, 2, 3, None]
    assert rows[1]["error"] == "line 2: empty line"
    assert rows[2]["error"].startswith("line 3: not valid UTF-8")
    assert rows[3]["id"] == 4 and rows[3]["labels"]


def test_nul_and_lone_surrogates_in_valid_json_are_classified_not_fatal() -> None:
    r"""`\u0000` and `\ud800` are valid JSON escapes; they once crashed the whole batch."""
    lines = [
        json.dumps({"id": "\ud800", "text": "you absolute moron\u0000 fix it"}),
        json.dumps({"id": 2, "text": "lone \ud800 surrogate, you absolute moron"}),
        json.dumps({"id": 3, "text": "fine, thanks"}),
    ]
    rows, _, bad = _run(lines)
    assert bad == 0
    assert [r["id"] for r in rows] == ["\ud800", 2, 3]
    assert "insult" in rows[0]["labels"] and "insult" in rows[1]["labels"]
    text = "lone \ud800 surrogate, you absolute moron"
    [(start, end)] = rows[1]["evidence"]["insult"]
    assert "moron" in text[start:end]  # spans still index the text as given
    assert not rows[2]["labels"]


def test_the_command_reads_bytes_and_writes_ascii_json() -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    data = b'{"id": "\xc3\xa9", "text": "merci"}\n\n{"id": 2, "text": "\xff"}\n'
    done = subprocess.run(
        [sys.executable, "-m", "cli", "classify"], input=data, capture_output=True, env=env
    )
    assert done.returncode == 1
    lines = done.stdout.decode("ascii").splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0])["id"] == "é"
    assert "line 2: empty line" in lines[1] and "line 3: not valid UTF-8" in lines[2]
