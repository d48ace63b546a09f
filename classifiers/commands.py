"""Click commands for the classifier: `conduct classify`, `train`, `evaluate`, `bench classify`.

Registered in cli.py. Heavy imports happen inside each command, so `conduct classify` starts
cold with numpy and the model only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

# Paths without importing config.settings (pydantic) when the command line starts.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_ROOT / "classifiers" / "model"
_PUBLIC_DIR = PROJECT_ROOT.parent / "shared" / "data"


F = TypeVar("F", bound=Callable[..., Any])


def _model_option(f: F) -> F:
    return click.option(
        "--model",
        "model_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Model directory (default: CONDUCT_MODEL, else classifiers/model).",
    )(f)


def _resolve_model(model_path: Path | None) -> Path:
    if model_path is not None:
        return model_path
    from config.settings import Settings

    return Settings().conduct_model


@click.command()
@_model_option
@click.option(
    "--policy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Policy YAML whose `thresholds:` override the model card's.",
)
def classify(model_path: Path | None, policy: Path | None) -> None:
    """Classify JSON lines {"id", "text"} from standard input, one result line each."""
    from classifiers.classify_cli import main

    sys.exit(main(_resolve_model(model_path), policy))


@click.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    help="Add training data: a public set (olid, hasoc) read from --public-dir, or a JSON-lines "
    "file of labelled messages in the corpus schema (e.g. agent feedback). Repeatable.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MODEL,
    show_default=True,
    help="Directory to write the model and its card into.",
)
@click.option(
    "--public-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=_PUBLIC_DIR,
    show_default=True,
    help="Where the public sets live (Davidson is always used).",
)
@click.option(
    "--offensive-head",
    type=click.Choice(["support", "public"]),
    default="support",
    show_default=True,
    help="With --data olid/hasoc: `public` trains the `offensive` head (the abuse gate, and what "
    "the OLID/HASOC benchmarks score) for the public sets: better on them, worse on support "
    "messages (both variants' figures are in the model card).",
)
@click.option(
    "--out-of-fold",
    "out_of_fold",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write, per English train/dev message (ids, no text), what the fold model that "
    "never saw it decided: the decisions the thresholds and the card's cross-validated "
    "figures come from.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(
    data: tuple[str, ...],
    out: Path,
    public_dir: Path,
    offensive_head: str,
    out_of_fold: Path | None,
    quiet: bool,
) -> None:
    """Train the classifier (fixed seeds) and write it with its model card."""
    from classifiers.card import write_card
    from classifiers.corpus import CorpusError
    from classifiers.public import SHIPPABLE, TRAIN_READERS, PublicDataError
    from classifiers.train import config_for
    from classifiers.train import train as run_training

    sets = ["davidson"]
    files = []
    for item in data:
        if item in TRAIN_READERS:
            if item not in sets:
                sets.append(item)
        elif Path(item).is_file():
            files.append(Path(item))
        else:
            raise click.BadParameter(
                f"{item!r} is neither a public set nor a file", param_hint="--data"
            )
    public_head = offensive_head == "public"
    if public_head and set(sets) <= SHIPPABLE:
        raise click.BadParameter(
            "`public` needs a public set to tune for: add --data olid and/or --data hasoc",
            param_hint="--offensive-head",
        )
    config = config_for(sets, public_head=public_head, public_dir=public_dir, extra_files=files)
    try:
        model, _facts = run_training(config, show_progress=not quiet, out_of_fold=out_of_fold)
    except (PublicDataError, CorpusError) as exc:
        click.echo(f"conduct train: {exc}", err=True)
        sys.exit(2)
    model.save(out)
    write_card(out)
    cv = model.meta["cross_validated"]
    click.echo(
        f"conduct train: wrote {out} ({model.version}); cross-validated F1 "
        f"{cv['abusive_vs_acceptable']['f1']:.3f}, false flags {cv['false_flag_rate']:.1%}; "
        f"thresholds {model.thresholds}"
    )


@click.command()
@_model_option
@click.option(
    "--public-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=_PUBLIC_DIR,
    show_default=True,
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "reports",
    show_default=True,
    help="Where the Markdown report and PNG curves go.",
)
@click.option("--no-card", is_flag=True, help="Do not write the figures into a model card.")
@click.option(
    "--card",
    "card_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the figures into this model's card instead (e.g. the shipped model's card, "
    "for the --data variant's figures).",
)
def evaluate(
    model_path: Path | None, public_dir: Path, reports: Path, no_card: bool, card_dir: Path | None
) -> None:
    """Figures for the model beside alt-profanity-check and better-profanity, and a report."""
    from classifiers.evaluate import run_evaluation

    model = _resolve_model(model_path)
    sys.exit(run_evaluation(model, public_dir, reports, not no_card, card_dir))


@click.command("classify")
@_model_option
@click.option("--messages", default=20000, show_default=True, help="Messages in the batch run.")
@click.option("--no-card", is_flag=True, help="Do not write the figures into the model card.")
def bench_classify(model_path: Path | None, messages: int, no_card: bool) -> None:
    """Throughput and latency of the classifier against alt-profanity-check, same messages."""
    from classifiers.bench import run_bench

    sys.exit(run_bench(_resolve_model(model_path), messages, not no_card))
