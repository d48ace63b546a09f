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
