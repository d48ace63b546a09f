import shutil
from pathlib import Path

from classifiers.card import markdown, read_card
from config.settings import DEFAULT_MODEL


def test_the_card_lists_the_variants_in_a_fixed_order() -> None:
    # `conduct evaluate` merges one variant at a time; whichever ran last, the shipped model's
    # figures come first, then the public variants, then anything else by name
    card = read_card(DEFAULT_MODEL)  # only rendered here, never written back
    evaluations = card["evaluation"]
    assert {"shipped", "public", "public-tuned"} <= set(evaluations)
    extra = dict(evaluations["public"], model="x")
    card["evaluation"] = {
        "zzz": extra,
        "public-tuned": evaluations["public-tuned"],
        "aaa": extra,
        "public": evaluations["public"],
        "shipped": evaluations["shipped"],
    }
    headings = [
        line.removeprefix("## Evaluation: ").removesuffix(" variant")
        for line in markdown(card).splitlines()
        if line.startswith("## Evaluation: ")
    ]
    assert headings == ["shipped", "public", "public-tuned", "aaa", "zzz"]


def test_the_card_says_how_the_false_flag_budget_was_spent() -> None:
    from classifiers.card import _budget_lines

    weighted = " ".join(_budget_lines({"false_flag_limit": 0.025, "extreme_weight": 5.0}))
    assert "at most 2.5% of acceptable messages" in weighted
    assert "a threat to staff safety counting as 5 of them" in weighted
    plain = " ".join(_budget_lines({"false_flag_limit": 0.025, "extreme_weight": 1.0}))
    assert "2.5%" in plain and "safety" not in plain
    assert "one step at a time" in plain  # models made before the joint search
    joint = " ".join(
        _budget_lines(
            {"false_flag_limit": 0.025, "extreme_weight": 5.0, "threshold_search": "joint"}
        )
    )
    assert "all the thresholds at once" in joint and "counting as 5 of them" in joint
    assert _budget_lines({}) == []  # a model made before the budget was recorded


def test_the_card_names_the_solver_tolerance_when_the_model_records_it() -> None:
    from classifiers.card import _tolerance

    assert _tolerance({"config": {"solver_tol": 1e-6}}).startswith(", stopping tolerance 1e-06")
    assert _tolerance({"config": {}}) == ""  # models before session 20 (scikit-learn's 1e-4)


def test_the_card_says_how_many_false_flags_are_called_extreme() -> None:
    from classifiers.card import _summary

    figures = {
        "abusive_vs_acceptable": {"precision": 0.9, "recall": 0.9, "f1": 0.9},
        "extreme": {"precision": 0.9, "recall": 0.9, "f1": 0.9},
        "categories": {},
        "false_flag_rate": 0.0287,
        "acceptable": 2197,
        "false_flags": 63,
        "false_flags_extreme": 23,
        "other_abuse": 1398,
        "other_abuse_called_extreme": 50,
    }
    text = _summary(figures)
    assert "2.9% (63 of 2197; 23 of them called `extreme`" in text
    assert "threaten no one's safety called `extreme`: 50 of 1398." in text
    older = {k: v for k, v in figures.items() if "extreme" not in k or k == "extreme"}
    del older["false_flags"], older["other_abuse"]
    assert _summary(older).endswith("False flags on acceptable messages: 2.9%")


def test_the_markdown_is_the_same_whichever_command_wrote_the_card_last(tmp_path: Path) -> None:
    # `conduct evaluate` passes its figures in the order it measured them, `conduct bench` reloads
    # the card from JSON (keys sorted): both must render the same Markdown
    from classifiers.card import CARD_MD, META_FILE, WEIGHTS_FILE, write_card

    shutil.copy(DEFAULT_MODEL / META_FILE, tmp_path / META_FILE)
    (tmp_path / WEIGHTS_FILE).write_bytes(b"weights")
    shipped = read_card(DEFAULT_MODEL)["evaluation"]["shipped"]
    reordered = {key: shipped[key] for key in reversed(list(shipped))}
    reordered["targets"] = {key: shipped["targets"][key] for key in reversed(shipped["targets"])}
    write_card(tmp_path, evaluation={"shipped": reordered})
    written = (tmp_path / CARD_MD).read_text(encoding="utf-8")
    assert written == markdown(read_card(tmp_path))
    write_card(tmp_path)  # what `conduct bench classify` does: nothing new in this order
    assert (tmp_path / CARD_MD).read_text(encoding="utf-8") == written
