"""`conduct bench classify`: throughput and latency, ours beside alt-profanity-check.

Same messages, same run:
- batch throughput: N messages through `conduct classify` (a subprocess reading and writing
  JSON lines, as a user runs it) against alt-profanity-check's in-process `predict_prob` on the
  same list (its best case); our in-process `classify_many` too;
- single-message latency in process (p50, p99) by message length, for both;
- cold start: `conduct classify` on one message, wall clock, a fresh process each time;
- model size on disk.

Messages: our corpus (in the tree), plus OLID training tweets when `../shared/data` has them,
shuffled with a fixed seed and cycled to N.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import corpus, public
from classifiers.api import load_model
from classifiers.card import write_card
from config.settings import PROJECT_ROOT

BANDS = ((0, 100), (100, 500), (500, 2000), (2000, 10000))
SEED = 7


def bench_messages(count: int) -> list[str]:
    texts = [m.text for m in corpus.load_corpus()]
    with contextlib.suppress(public.PublicDataError):
        texts += [row.text for row in public.training_rows("olid")]
    rng = np.random.default_rng(SEED)
    texts = [texts[i] for i in rng.permutation(len(texts))]
    return [texts[i % len(texts)] for i in range(count)]


def band_messages(texts: Sequence[str], low: int, high: int, count: int) -> list[str]:
    """`count` messages with lengths in (low, high], glued from real ones when needed."""
    rng = np.random.default_rng(SEED + low)
    result: list[str] = []
    while len(result) < count:
        target = int(rng.integers(low + 1, high + 1))
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < target:
            parts.append(texts[int(rng.integers(len(texts)))])
        result.append("\n\n".join(parts)[:target])
    return result


def _percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.array(samples) * 1000
    return round(float(np.percentile(values, 50)), 3), round(float(np.percentile(values, 99)), 3)


def _latency(function: Callable[[str], Any], texts: Sequence[str]) -> list[float]:
    for text in texts[:20]:
        function(text)
    samples = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        samples.append(time.perf_counter() - started)
    return samples


def _conduct(model_path: Path) -> list[str]:
    return [sys.executable, "-m", "cli", "classify", "--model", str(model_path)]


def run_bench(model_path: Path, count: int, write: bool) -> int:
    from profanity_check import predict_prob

    model = load_model(model_path)
    texts = bench_messages(count)
    figures: dict[str, Any] = {
        "model": model.version,  # the figures below are this model's
        "messages": count,
        "mean_length": round(float(np.mean([len(t) for t in texts])), 1),
    }

    lines = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        _conduct(model_path), input=lines, capture_output=True, text=True, env=env, check=False
    )
    ours_cli = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.count("\n") != count:
        print(f"conduct bench: conduct classify failed: {done.stderr[-500:]}", file=sys.stderr)
        return 1
    predict_prob(texts[:10])
    started = time.perf_counter()
    predict_prob(texts)
    apc_batch = time.perf_counter() - started
    started = time.perf_counter()
    model.classify_many(texts)
    ours_batch = time.perf_counter() - started
    figures["ours_conduct_classify_msgs_per_s"] = round(count / ours_cli)
    figures["ours_in_process_batch_msgs_per_s"] = round(count / ours_batch)
    figures["apc_in_process_batch_msgs_per_s"] = round(count / apc_batch)
    figures["throughput_ratio_cli_vs_apc"] = round(apc_batch / ours_cli, 3)
    flagged = sum(1 for line in done.stdout.splitlines() if '"labels":[]' not in line)
    figures["flagged_share"] = round(flagged / count, 3)

    latency: dict[str, Any] = {}
    for low, high in BANDS:
        sample = band_messages(texts, low, high, 300 if high <= 500 else 100)
        ours = _percentiles(_latency(model.classify, sample))
        apc = _percentiles(_latency(lambda t: predict_prob([t]), sample))
        latency[f"{low}-{high}"] = {
            "ours_p50_ms": ours[0],
            "ours_p99_ms": ours[1],
            "apc_p50_ms": apc[0],
            "apc_p99_ms": apc[1],
        }
    figures["latency"] = latency
    long_texts = band_messages(texts, 9000, 10000, 30)
    samples = _latency(model.classify, long_texts)
    per_kb = np.array(samples) / (np.array([len(t) for t in long_texts]) / 1000)
    figures["ours_ms_per_kb_long_text"] = round(float(np.median(per_kb)) * 1000, 3)
    megabyte = band_messages(texts, 999_000, 1_000_000, 1)[0]
    started = time.perf_counter()
    model.classify(megabyte)
    figures["ours_1mb_seconds"] = round(time.perf_counter() - started, 2)

    colds = []
    one = json.dumps({"id": 1, "text": texts[0]}) + "\n"
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            _conduct(model_path), input=one, capture_output=True, text=True, env=env, check=True
        )
        colds.append(time.perf_counter() - started)
    figures["cold_classify_one_message_s"] = round(float(np.median(colds)), 3)
    size = sum(f.stat().st_size for f in model_path.iterdir() if f.is_file())
    figures["model_dir_mb"] = round(size / 1e6, 2)
    figures["cpu_count"] = os.cpu_count()

    print(json.dumps(figures, indent=2))
    print(
        f"conduct bench classify: ours {figures['ours_conduct_classify_msgs_per_s']}/s through "
        f"`conduct classify` vs alt-profanity-check {figures['apc_in_process_batch_msgs_per_s']}/s"
        f" in process: ratio {figures['throughput_ratio_cli_vs_apc']} (target >= 0.33)",
        file=sys.stderr,
    )
    if write:
        write_card(model_path, bench=figures)
    return 0
