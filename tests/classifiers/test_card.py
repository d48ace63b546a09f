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
