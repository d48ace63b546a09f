from classifiers.corpus import Message
from classifiers.metrics import corpus_figures
from classifiers.verdict import CATEGORIES, Severity, Verdict


def _message(number: int, labels: tuple[str, ...], severity: str) -> Message:
    return Message(f"m-{number}", f"fam-{number}", "text", labels, severity)


def _verdict(labels: tuple[str, ...], severity: Severity) -> Verdict:
    return Verdict(dict.fromkeys(CATEGORIES, 0.0), labels, severity, "test")


def test_the_figures_count_what_is_called_extreme_without_being_a_threat_to_safety() -> None:
    messages = [
        _message(1, (), "none"),  # acceptable, called extreme
        _message(2, (), "none"),  # acceptable, flagged abusive
        _message(3, (), "none"),  # acceptable, left alone
        _message(4, ("insult",), "abusive"),  # other abuse, called extreme
        _message(5, ("insult",), "abusive"),  # other abuse, called abusive
        _message(6, ("threat",), "extreme"),  # a threat to safety, called extreme
    ]
    verdicts = [
        _verdict(("threat",), "extreme"),
        _verdict(("insult",), "abusive"),
        _verdict((), "none"),
        _verdict(("threat",), "extreme"),
        _verdict(("insult",), "abusive"),
        _verdict(("threat",), "extreme"),
    ]
    figures = corpus_figures(messages, verdicts)
    assert figures["acceptable"] == 3
    assert figures["false_flags"] == 2
    assert figures["false_flags_extreme"] == 1
    assert figures["other_abuse"] == 2
    assert figures["other_abuse_called_extreme"] == 1
    assert figures["extreme"]["recall"] == 1.0
    assert figures["extreme"]["precision"] == round(1 / 3, 4)
