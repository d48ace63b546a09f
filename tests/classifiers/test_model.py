"""The shipped model (classifiers/model/, committed): behaviour on hand-written messages.

These messages are written here, not taken from the corpus. They test what the product must
do: catch obvious and obfuscated abuse, point evidence at the right words, leave hard
negatives and foreign text alone, read long text to the end.
"""

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifiers.api import classify, load_classifier, load_model
from classifiers.model import ModelError, _merge
from config.settings import DEFAULT_MODEL


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model(DEFAULT_MODEL)


def _word_spans(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


@pytest.mark.parametrize(
    ("text", "label", "word"),
    [
        ("You are a useless fucking idiot and I want my money back.", "profanity", "fucking"),
        ("You are a useless fucking idiot and I want my money back.", "insult", "idiot"),
        ("Listen you f*cking moron, fix my router", "profanity", "f*cking"),
        ("this is sh1t service from a bunch of clowns, you absolute morons", "insult", "morons"),
    ],
)
def test_evidence_points_at_the_abusive_words(model, text: str, label: str, word: str) -> None:  # type: ignore[no-untyped-def]
    verdict = model.classify(text)
    assert label in verdict.labels
    found = _word_spans(text, verdict.evidence[label])
    assert any(word in piece for piece in found), found
    assert all(len(piece) < len(text) / 2 for piece in found)


@pytest.mark.parametrize(
    "text",
    [
        "what a f u c k i n g joke of a company",
        "F.U.C.K you and your refund policy",
        "you stupid b!tch, answer the phone",
        "Ｙｏｕ ａｒｅ ａ ｆｕｃｋｉｎｇ ｉｄｉｏｔ",
        "you're a fuuuuucking muppet",
    ],
)
def test_obfuscated_abuse_is_flagged(model, text: str) -> None:  # type: ignore[no-untyped-def]
    verdict = model.classify(text)
    assert verdict.flagged, verdict.scores


HARD_NEGATIVES = [
    "This is the third time I'm asking. If it isn't fixed by Friday I'll take it to the ombudsman.",
    "I've spoken to my solicitor and will be leaving a one-star review if this isn't refunded.",
    "How do I kill the process that keeps the sync client hanging? The job died overnight.",
    "Can you shoot me an email with the new invoice please?",
    "Our office moved from Scunthorpe to Penistone, please update the delivery address.",
    "A customer on your forum called me a stupid cow and I'd like you to remove the post.",
    "I'm such an idiot, I typed my own email address wrong. Can you resend the link?",
    "I'm deaf, so please email me rather than phoning.",
    "I am absolutely furious. Nobody has answered me for two weeks and I want this escalated.",
    "I want to cancel my contract and I expect a full refund for the broken handset.",
    "The app crashes every time I open the settings page on my Pixel.",
    "Please stop charging my card twice, this is unacceptable and I will dispute it with my bank.",
]


def test_hard_negatives_are_not_flagged(model) -> None:  # type: ignore[no-untyped-def]
    verdicts = model.classify_many(HARD_NEGATIVES)
    flagged = [t for t, v in zip(HARD_NEGATIVES, verdicts, strict=True) if v.flagged]
    assert len(flagged) <= 1, flagged


# Greetings and one-liners open most chats. Session 6's first model with the fourth corpus batch
# flagged some through the abuse gate (short texts were mostly abusive in the corpus, and
# "hello" shares character n-grams with "hell"); none of these texts is in the corpus.
SHORT_OPENERS = [
    "Hello, about my invoice.",
    "hello hello",
    "Hello again",
    "Hello",
    "hi, about my account",
    "Hello, about my refund.",
    "hello? anyone",
    "Good morning, about my order.",
]


# Firm, blunt everyday requests: the bulk of a helpdesk's traffic, never abuse. Written for this
# test (none is in the corpus); session 9's model flagged two of them as unrealistic demands.
FIRM_REQUESTS = [
    "I want my refund processed today, order 55102.",
    "i want the money for the broken kettle back on my card",
    "I want a supervisor to look at this.",
    "I demand to know why my tariff changed without notice.",
    "fix the wifi please, it's dropped 5 times today",
    "I want the engineer booked for Monday morning.",
    "stop sending me paper bills, I asked for email only",
    "what time does the Leeds branch shut on Sundays?",
    "I want my account closed and a final statement sent.",
    "can u ring me back after 6",
    "I expect the duplicate payment refunded by the end of the week.",
    "I want the cancellation fee waived, your website said there wasn't one.",
]


@pytest.mark.parametrize("texts", [SHORT_OPENERS, FIRM_REQUESTS], ids=["openers", "firm"])
def test_ordinary_short_messages_are_not_flagged(model, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    verdicts = model.classify_many(texts)
    flagged = {t: v.labels for t, v in zip(texts, verdicts, strict=True) if v.flagged}
    assert flagged == {}


def test_threats_to_staff_are_extreme(model) -> None:  # type: ignore[no-untyped-def]
    verdict = model.classify("I know where you live and I'm going to hurt you after your shift.")
    assert "threat" in verdict.labels
    assert verdict.severity == "extreme"


def test_swearing_at_a_thing_is_minor(model) -> None:  # type: ignore[no-untyped-def]
    verdict = model.classify("this fucking printer has jammed again, can you send an engineer?")
    assert verdict.labels == ("profanity",)
    assert verdict.severity == "minor"


def test_a_long_html_email_with_a_style_block_is_assessed(model) -> None:  # type: ignore[no-untyped-def]
    """A `<style>` block longer than a window, in a message of more than eight windows (the
    batch path), once raised IndexError in the worker's `assess` job."""
    rules = " ".join(f".c{i} {{ color: #333; margin: 0 auto; padding: 4px; }}" for i in range(12))
    wait = "<p>I have been waiting for my order for two weeks and nobody answers. </p>" * 12
    text = (
        f'<html><head><style type="text/css">{rules}</style></head><body><p>Hello team,</p>'
        f"{wait}<p>You are all fucking useless idiots.</p></body></html>"
    )
    verdict = model.classify(text)
    assert "insult" in verdict.labels
    assert any("idiots" in text[a:b] for a, b in verdict.evidence["insult"])


def test_evidence_merge_keeps_the_first_spans_as_the_plain_form_does() -> None:
    """With no limit `_merge` keeps and merges every span (the plain form, quadratic on 1 MB);
    with one it must give the same first spans."""
    rng = np.random.default_rng(7)
    for _ in range(3000):
        starts = rng.integers(0, 60, size=int(rng.integers(0, 30)))
        spans = [(int(a), int(a + rng.integers(1, 12))) for a in starts]
        plain = _merge(spans, len(spans))
        for limit in (1, 2, 4):
            assert _merge(spans, limit) == plain[:limit]


def test_empty_text_has_no_labels(model) -> None:  # type: ignore[no-untyped-def]
    for text in ("", "   \n\t"):
        verdict = model.classify(text)
        assert verdict.labels == () and verdict.severity == "none" and not verdict.evidence


def test_non_english_text_is_not_assessed(model) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Bonjour, ma facture est fausse depuis trois mois et personne ne me répond, c'est nul.",
        "Hallo, ich warte seit zwei Wochen auf meine Rückerstattung, das ist eine Frechheit.",
        "Hola, el paquete llegó roto y nadie contesta mis correos, estoy muy enfadado.",
    ]
    for verdict in model.classify_many(texts):
        assert not verdict.assessed and not verdict.flagged and verdict.language != "en"


FRENCH = (
    "Bonjour, je vous écris au sujet de ma commande qui n'est toujours pas arrivée. Le numéro "
    "de suivi ne fonctionne pas et le service client ne répond jamais. "
)
RUSSIAN = "Здравствуйте, я пишу по поводу моего заказа, который до сих пор не пришёл. "
THREAT = "Listen to me you fucking idiot, I know where you live and I will come and hurt you."


@pytest.mark.parametrize("opening", [FRENCH, RUSSIAN * 3])
def test_a_foreign_opening_does_not_hide_english_abuse(model, opening: str) -> None:  # type: ignore[no-untyped-def]
    """Each window's language is guessed: a message is assessed on its English windows."""
    text = opening + THREAT
    for verdict in (model.classify(text), model.classify_many([text, "hello"])[0]):
        assert verdict.assessed and verdict.language == "en"
        assert "threat" in verdict.labels and verdict.severity == "extreme"
        assert all(a >= len(opening) - 60 for a, _ in verdict.evidence["threat"])


def test_foreign_windows_are_not_scored_in_an_english_message(model) -> None:  # type: ignore[no-untyped-def]
    """A long French body after an English greeting is French; a French paragraph inside an
    English message adds nothing to its scores."""
    verdict = model.classify("Hello team, " + FRENCH * 3)
    assert not verdict.assessed and not verdict.labels and verdict.language == "fr"
    english = "Thanks for the quick reply, the replacement arrived this morning and works. "
    alone = model.classify(english * 3)
    mixed = model.classify(english * 3 + FRENCH * 4)
    assert mixed.assessed and not mixed.labels
    # the windows wholly in French add nothing; the one where the languages meet is English
    assert all(abs(mixed.scores[c] - alone.scores[c]) < 0.01 for c in alone.scores)


def test_abuse_at_the_end_of_a_megabyte_is_found_in_bounded_time(model) -> None:  # type: ignore[no-untyped-def]
    filler = "My order has not arrived and I would like an update on the delivery please. "
    text = filler * (1_000_000 // len(filler)) + "You are a worthless fucking idiot."
    started = time.perf_counter()
    verdict = model.classify(text)
    elapsed = time.perf_counter() - started
    assert verdict.flagged and "profanity" in verdict.labels
    assert all(a > 990_000 for a, _ in verdict.evidence["profanity"])
    assert elapsed < 10


def test_html_is_stripped_before_classifying(model) -> None:  # type: ignore[no-untyped-def]
    text = "<div><p>Hello,</p><p>you are a <b>fucking</b> idiot</p></div>"
    verdict = model.classify(text)
    assert "profanity" in verdict.labels
    assert _word_spans(text, verdict.evidence["profanity"]) == ["fucking"]


def test_thresholds_can_be_overridden(model) -> None:  # type: ignore[no-untyped-def]
    text = "you are an idiot"
    assert "insult" in model.classify(text).labels
    strict = model.with_thresholds({"insult": 1.0})
    assert "insult" not in strict.classify(text).labels
    assert strict.thresholds["threat"] == model.thresholds["threat"]


def test_api_uses_the_default_model() -> None:
    verdict = classify("you are a fucking idiot")
    assert verdict.flagged and verdict.model_version == load_classifier(DEFAULT_MODEL).version


def test_a_model_from_another_scikit_learn_version_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, copy)
    meta = json.loads((copy / "model.json").read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2.*conduct train"):
        load_model(copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda meta: meta.pop("versions"), "which scikit-learn"),
        (lambda meta: meta.pop("features"), "features version None"),
        (lambda meta: meta.pop("format"), "model format None"),
    ],
)
def test_a_model_file_missing_a_section_is_refused_clearly(
    tmp_path: Path, change: Any, message: str
) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, copy)
    meta = json.loads((copy / "model.json").read_text())
    change(meta)
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        load_model(copy)
    (copy / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match="not JSON"):
        load_model(copy)


def test_a_missing_model_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="conduct train"):
        load_model(tmp_path)


def test_shipped_model_is_small() -> None:
    size = sum(f.stat().st_size for f in DEFAULT_MODEL.iterdir())
    assert size <= 20_000_000


def test_a_batch_gives_each_message_the_verdict_it_gets_alone(model) -> None:  # type: ignore[no-untyped-def]
    # The batch path shares windows, features and evidence bookkeeping across messages; any
    # slip in its row bounds would give one message another's scores or spans.
    from classifiers import corpus

    messages = corpus.load_corpus()
    texts = [m.text for m in messages[::9]] + ["", "   ", "x" * 1500 + " you idiot"]
    batch = model.classify_many(texts)
    assert sum(bool(v.labels) for v in batch) > 20  # the sample has abuse in it
    assert batch == [model.classify(text) for text in texts]


def _one_row_contributions(model, features, row: int, heads):  # type: ignore[no-untyped-def]
    """The straightforward reference for `_batch_contributions`: one row alone."""
    import numpy as np

    lo, hi = np.searchsorted(features.token_row, [row, row + 1])
    tokens = np.arange(int(lo), int(hi))
    starts = features.token_start[tokens]
    totals = np.zeros((tokens.size + 1, len(heads)), dtype=np.float32)
    for group, scale in (
        (features.chars, features.char_scale),
        (features.words, features.word_scale),
    ):
        lo, hi = np.searchsorted(group.row, [row, row + 1])
        part = slice(int(lo), int(hi))
        weights = np.take(model.weights, group.bucket[part], axis=0)[:, heads]
        weights = weights * group.sign[part, None]
        anchors = group.anchor[part]
        which = np.searchsorted(starts, anchors, side="right") - 1
        # line 0: whole-text features and any anchored before the first token; then per token
        which = np.where((anchors < 0) | (which < 0), -1, which) + 1
        np.add.at(totals, which, weights * scale[row])
    origin = int(features.starts[row]) + 1  # the text starts after its padding space
    return np.ascontiguousarray(totals.T), starts - origin, features.token_end[tokens] - origin


def test_batched_evidence_contributions_equal_the_one_row_path(model) -> None:  # type: ignore[no-untyped-def]
    # `_batch_contributions` serves every firing window of a batch at once; it must give each
    # row exactly (bit for bit) what the one-row reference above gives that row alone.
    import numpy as np

    from classifiers import corpus
    from classifiers.features import extract
    from classifiers.normalize import normalize_many

    texts = [*[m.text for m in corpus.load_corpus()][:600], "", "plain", "you f*cking idiot"]
    normalised = normalize_many(texts)
    features = extract(normalised, model.bits, model.powers)
    rows = [k for k, text in enumerate(normalised) if text]
    heads = [0, 1, 2, 3, 4, model.heads.index("offensive")]  # the categories and the gate head
    batched = model._batch_contributions(features, rows, heads)
    assert sorted(batched) == rows
    assert rows != list(range(rows[0], rows[-1] + 1))  # rows with gaps: the general path
    # consecutive rows (a message's windows) take a slice instead of a mask
    consecutive = {
        **model._batch_contributions(features, list(range(10, 30)), heads),
        **model._batch_contributions(features, [40], heads),
    }
    for row in rows:
        expected = _one_row_contributions(model, features, row, heads)
        for got, want in zip(batched[row], expected, strict=True):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
        for got, want in zip(consecutive.get(row, expected), expected, strict=True):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    assert any(batched[row][0].any() for row in rows)
    assert any(consecutive[row][0].any() for row in consecutive)


# -- the abuse gate ---------------------------------------------------------------------------
def test_the_gate_gives_the_category_closest_to_its_threshold_and_respects_switched_off() -> None:
    import numpy as np

    from classifiers.model import decide_labels

    thresholds = np.array([0.8, 0.5, 0.9, 0.6, 1.0])
    # columns: five categories, then the gate head
    probs = np.array(
        [
            [0.1, 0.45, 0.2, 0.1, 0.99, 0.95],  # nothing over; insult is closest (0.9 of it)
            [0.1, 0.45, 0.2, 0.1, 0.99, 0.50],  # the gate head is under its threshold
            [0.85, 0.1, 0.1, 0.1, 0.1, 0.99],  # profanity over its own threshold: no gate
        ]
    )
    labels = decide_labels(probs, thresholds, 0.9, 5)
    assert labels.tolist() == [
        [False, True, False, False, False],  # never the switched-off fifth (threshold 1.0)
        [False] * 5,
        [True, False, False, False, False],
    ]
    assert not decide_labels(probs, thresholds, None, 5)[0].any()  # no gate: nothing
    assert not decide_labels(probs, np.ones(5), 0.9, 5).any()  # every category off


def test_a_gated_verdict_has_one_label_severity_and_evidence_from_the_gate_head(
    tmp_path: Path,
) -> None:
    import copy

    text = "Honestly the manager there is a weasel."
    # a model whose card's thresholds are all 0.9999 (a policy override would be re-derived
    # from the scores alone, without the gate)
    shutil.copytree(DEFAULT_MODEL, tmp_path / "strict")
    meta = json.loads((tmp_path / "strict" / "model.json").read_text())
    meta["thresholds"] = dict.fromkeys(meta["thresholds"], 0.9999)
    (tmp_path / "strict" / "model.json").write_text(json.dumps(meta))
    strict = load_model(tmp_path / "strict")
    gated = copy.copy(strict)
    gated.gate_threshold = 0.0  # every English message reaches the gate
    without = copy.copy(strict)
    without.gate_threshold = None
    assert without.classify(text).labels == ()
    verdict = gated.classify(text)
    (label,) = verdict.labels
    ratio = {c: verdict.scores[c] / strict.thresholds[c] for c in verdict.scores}
    assert label == max(ratio, key=ratio.__getitem__)
    assert verdict.severity in ("minor", "abusive", "extreme")
    spans = verdict.evidence[label]
    assert spans and all(0 <= a < b <= len(text) for a, b in spans)
    assert any("weasel" in text[a:b] or "spineless" in text[a:b] for a, b in spans)
    assert gated.classify_many([text, "Thanks, that worked."])[0] == verdict


@pytest.mark.parametrize(
    "text",
    [
        "got a crowbar in the boot and I know which car park you use",
        "you are a useless idiot",
        "this stupid fucking printer jammed again",
        "Thanks, that worked.",
    ],
)
def test_a_policy_override_on_the_verdict_matches_a_model_with_those_thresholds(  # type: ignore[no-untyped-def]
    model, text: str
) -> None:
    low = dict.fromkeys(model.thresholds, 0.0001)
    rederived = model.classify(text).with_thresholds(low)
    direct = model.with_thresholds(low).classify(text)
    assert rederived.labels == direct.labels
    assert rederived.severity == direct.severity == direct.flagged_severity


@pytest.mark.parametrize(
    "text",
    [
        "call centre zombies, all of you",  # insult from the gate (under its threshold)
        "you are a useless idiot",
        "got a crowbar in the boot and I know which car park you use",
        "Thanks, that worked.",
    ],
)
def test_the_worker_and_the_command_agree_under_a_policy(model, text: str) -> None:  # type: ignore[no-untyped-def]
    """The worker classifies under the policy's thresholds and the policy then re-derives the
    verdict with the same thresholds; `conduct classify --policy` uses the model alone. Both
    must give the same labels, severity and evidence: with insult lowered (a label the card's
    thresholds do not give, which needs evidence) and with a category named at the card's own
    threshold (a label the abuse gate gave must stay)."""
    from ticket_actions.runtime import Runtime

    for policy in ({"insult": 0.5}, {"insult": model.thresholds["insult"]}, {"threat": 0.3}):
        command = model.with_thresholds(policy).classify(text)
        runtime = Runtime.__new__(Runtime)
        runtime.settings = type("S", (), {"conduct_model": DEFAULT_MODEL})()  # type: ignore[assignment]
        worker = runtime.classify(text, policy).with_thresholds(policy)
        assert worker == command
        for label in command.labels:
            assert command.evidence.get(label), (label, policy)


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("you are a fucking idiot", {"insult": 1.0, "profanity": 1.0}),
        ("you lot are a joke", {"insult": 1.0}),
        ("call centre zombies, all of you", {"threat": 0.3}),
        ("call centre zombies, all of you", {"insult": 1.0}),
        ("got a crowbar in the boot and I know which car park you use", {"insult": 0.2}),
    ],
)
def test_a_policy_never_makes_the_gate_give_another_category(  # type: ignore[no-untyped-def]
    model, text: str, policy: dict[str, float]
) -> None:
    """Under a policy, an overridden category is labelled from its score alone, and the gate
    only gives what it gives under the card's thresholds: switching insult off must not turn
    an insult into a `threat` at a score of 0.005. The command and the re-derived verdict
    agree, and every label under the policy is either over its threshold in force or the
    gate's own label under the card."""
    plain = model.classify(text)
    command = model.with_thresholds(policy).classify(text)
    rederived = plain.with_thresholds(policy)
    assert command.labels == rederived.labels
    for label in command.labels:
        over = command.scores[label] >= command.thresholds[label]
        assert over or (label in plain.labels and label not in policy), label
        assert command.evidence.get(label), label


def test_naming_a_category_at_its_own_threshold_keeps_a_gate_label(model) -> None:  # type: ignore[no-untyped-def]
    # A line the abuse gate labels with its category under the category's threshold (insult
    # 0.64 < 0.80). Until session 26 it was "who trained you, a cereal box?", which the model
    # trained at feature-count power 0.35 no longer flags at all (insult 0.38).
    verdict = model.classify("call centre zombies, all of you")
    assert verdict.labels == ("insult",)
    assert verdict.scores["insult"] < model.thresholds["insult"]  # the gate gave it
    same = verdict.with_thresholds({"insult": model.thresholds["insult"]})
    assert same.labels == ("insult",) and same.evidence == verdict.evidence


def test_one_row_decision_in_python_equals_decide_labels() -> None:
    # `_verdict` decides its one row with `_decide_one`; it must agree with `decide_labels`
    # everywhere, ties, switched-off categories, thresholds of 0 and a missing gate included.
    import numpy as np

    from classifiers.model import _decide_one, decide_labels

    rng = np.random.default_rng(4)
    gated = 0
    for case in range(4000):
        scores = np.floor(rng.random(5) * 1e4) / 1e4
        if case % 5 == 0:
            scores[1] = scores[3]  # a tie for the gate's pick
        thresholds = rng.choice([0.0, 0.3, 0.5, 0.7, 0.9, 1.0, 1.5], 5)
        if case % 7 == 0:
            thresholds[:] = 1.0
        gate = [None, 0.4, 0.8][case % 3]
        probability = float(rng.random())
        heads = np.array([*scores, probability, 0.0, 0.0])
        want = decide_labels(heads[None, :], thresholds, gate, 5)[0].tolist()
        got = _decide_one(scores.tolist(), thresholds.tolist(), gate, probability)
        assert got == want, (scores, thresholds, gate, probability)
        gated += sum(got) == 1 and not any(scores >= thresholds)
    assert gated > 50  # the gate's pick is exercised


def test_highest_window_per_message_equals_the_per_window_maximum() -> None:
    import numpy as np

    from classifiers.model import _keep_highest

    rng = np.random.default_rng(6)
    probs = rng.random((9, 4)).astype(np.float32)
    probs[4, 1] = np.nan  # a NaN wins, as `np.maximum` lets it
    messages = [0, 0, 1, 2, 2, 2, 3, 5, 5]
    best = rng.random((6, 4)).astype(np.float32) * 0.5
    expected = best.copy()
    for k, message in enumerate(messages):
        np.maximum(expected[message], probs[k], out=expected[message])
    _keep_highest(best, messages, probs)
    np.testing.assert_array_equal(best, expected)


def test_strong_tokens_equal_the_float32_comparison() -> None:
    # The bar 0.35 * top is compared in float32 by numpy; values just around it (in float32
    # and in float64) must come out as numpy says.
    import numpy as np

    from classifiers.model import _strong_of

    rng = np.random.default_rng(8)
    near_bar = 0
    for case in range(3000):
        category = (rng.standard_normal(rng.integers(1, 40)) * 3).astype(np.float32)
        top = float(category.max())
        if top > 0 and case % 2:
            bar = np.float32(0.35 * top)
            around = [np.nextafter(bar, np.float32(-np.inf)), bar, np.nextafter(bar, np.float32(1))]
            category[: min(3, category.size - 1)] = around[: min(3, category.size - 1)]
            near_bar += 1
        expected = np.flatnonzero(category >= 0.35 * float(category.max())).tolist()
        if not float(category.max()) > 0:
            expected = []
        assert _strong_of(category.tolist(), float(category.max())) == expected
    assert near_bar > 500


def test_float32_sum_equals_numpy_sum() -> None:
    # `_evidence` sums a run's float32 contributions as Python floats; numpy's pairwise sum
    # must come out the same, bit for bit, for every length (long runs go to numpy itself).
    import numpy as np

    from classifiers.model import _float32_sum

    rng = np.random.default_rng(12)
    for case in range(20000):
        size = 1 + case % 20
        values = rng.standard_normal(size) * 10.0 ** rng.uniform(-4, 4, size)
        values = values.astype(np.float32)
        if case % 3 == 0:
            values = np.abs(values)  # evidence sums positive values
        got = np.float32(_float32_sum(values.tolist()))
        assert got.tobytes() == values.sum().tobytes(), values


def _reference_evidence(fired, normalised):  # type: ignore[no-untyped-def]
    """`_evidence` in its plain numpy form: the reference for the list-based one (and the
    length of its longest run of tokens)."""
    import numpy as np

    from classifiers.model import _QUIET_WORDS

    starts, ends = fired.starts, fired.ends
    if starts.size == 0:
        return []
    category = fired.contributions[1 : starts.size + 1]
    top = float(category.max())
    chosen = np.flatnonzero(category >= 0.35 * top).tolist() if top > 0 else []
    runs: list[list[int]] = []
    for i in chosen:
        if runs and i - runs[-1][-1] <= 2:
            runs[-1].append(i)
        else:
            runs.append([i])
    spans = []
    for run in runs:
        if {normalised.text[starts[i] : ends[i]] for i in run} <= _QUIET_WORDS:
            continue
        a, b = normalised.original_span(int(starts[run[0]]), int(ends[run[-1]]))
        start = fired.window.start
        spans.append((float(category[run].sum()), (start + a, start + b)))
    spans.sort(key=lambda item: -item[0])
    return [span for _, span in spans], max(map(len, runs), default=0)


def test_evidence_equals_the_numpy_reference(model) -> None:  # type: ignore[no-untyped-def]
    # Python lists, the float32 sum in Python and original positions looked up once per window
    # must give the spans (and their order) of the plain numpy form, labels of one window
    # sharing the lookups.
    from classifiers import corpus
    from classifiers.model import _evidence, _WindowTokens
    from classifiers.normalize import normalize

    low = model.with_thresholds(dict.fromkeys(model.thresholds, 0.05))
    texts = [m.text for m in corpus.load_corpus()][::3]
    firing = low.score(texts, evidence=True).firing
    compared = 0
    longest = set()
    for fired_list in firing.values():
        windows: dict[int, _WindowTokens] = {}
        for fired in fired_list:
            start = fired.window.start
            tokens = windows.setdefault(start, _WindowTokens.of(fired))
            normalised = normalize(fired.window.piece, keep_offsets=True)
            want, longest_run = _reference_evidence(fired, normalised)
            assert _evidence(fired, tokens) == want
            compared += 1
            longest.add(min(longest_run, 8))
    assert compared > 500
    assert longest >= set(range(1, 9))  # runs of each length, 8 and more included


# Innocent words with a rude word inside, each in an ordinary request (none is in the corpus).
INNOCENT_LOOK_ALIKES = [
    "The finger-prick test kit came without any lancets, can you send some?",
    "Is spotted dick still on the school lunch menu this Friday?",
    "the gear knob on my car came loose two days after your service",
    "My brood bitch is due next week. Does the policy cover a vet visit for whelping?",
    "Cockburn is my surname, please correct the spelling on my account.",
    "Parcel for Scunthorpe has been stuck at the depot since Monday.",
]


def test_innocent_look_alikes_are_not_flagged(model) -> None:  # type: ignore[no-untyped-def]
    verdicts = model.classify_many(INNOCENT_LOOK_ALIKES)
    pairs = zip(INNOCENT_LOOK_ALIKES, verdicts, strict=True)
    flagged = {t: v.labels for t, v in pairs if v.flagged}
    assert flagged == {}


def test_the_rude_word_alone_is_still_flagged(model) -> None:  # type: ignore[no-untyped-def]
    verdict = model.classify("you absolute prick, refund me now")
    assert verdict.flagged


# Swearing at a thing, in the demo's own words and others: `minor`, never a safety case.
SWEARING_AT_THINGS = [
    "Morning. The label printer in dispatch has gone offline again and the bloody thing won't "
    "print the 2pm run. Can you help?",
    "the damn scanner has frozen again, how do I reset it?",
    "my fucking laptop won't charge, is the adapter covered?",
]


def test_swearing_at_a_thing_is_never_extreme(model) -> None:  # type: ignore[no-untyped-def]
    for verdict in model.classify_many(SWEARING_AT_THINGS):
        assert verdict.labels == ("profanity",)
        assert verdict.severity == "minor"


def test_extreme_needs_the_threat_floor_as_well(model) -> None:  # type: ignore[no-untyped-def]
    index = {head: i for i, head in enumerate(model.heads)}
    probs = np.zeros(len(model.heads), dtype=np.float32)
    probs[index["sev_extreme"]] = 0.99
    assert model.extreme_threat_floor > 0
    probs[index["threat"]] = model.extreme_threat_floor - 0.01
    assert model.flagged_severity(probs) != "extreme"
    probs[index["threat"]] = model.extreme_threat_floor
    assert model.flagged_severity(probs) == "extreme"


def test_nul_and_lone_surrogates_are_read_as_spaces_not_fatal(model) -> None:  # type: ignore[no-untyped-def]
    """The worker's path: a message carrying NUL or a lone surrogate (both valid JSON escapes
    in a webhook) is classified as if they were spaces, alone or in a batch, spans unchanged."""
    texts = ["you absolute moron\x00 fix it", "lone \ud800 surrogate, you absolute moron", "ok"]
    spaced = [t.replace("\x00", " ").replace("\ud800", " ") for t in texts]
    assert model.classify_many(texts) == model.classify_many(spaced)
    assert [model.classify(t) for t in texts] == [model.classify(t) for t in spaced]
    assert "insult" in model.classify(texts[0]).labels


SAID_AGAIN = [
    "REFUND NOW.",
    "I want my refund.",
    "Please call me back.",
    "where is my parcel?",
    "this is a joke",
    "You are a useless idiot.",
    "I will find where you live.",
    "the fucking printer jammed again!",
]


@pytest.mark.parametrize("copies", [2, 3])
def test_saying_a_sentence_again_does_not_change_the_verdict(model, copies: int) -> None:  # type: ignore[no-untyped-def]
    # Each copy once added its features again: "REFUND NOW. REFUND NOW." was a threat, called
    # extreme, and "I want my refund." twice an unrealistic demand (session 22).
    once = model.classify_many(SAID_AGAIN)
    again = model.classify_many([" ".join([t] * copies) for t in SAID_AGAIN])
    for text, alone, repeated in zip(SAID_AGAIN, once, again, strict=True):
        assert (repeated.labels, repeated.severity) == (alone.labels, alone.severity), text
        assert repeated.scores == pytest.approx(alone.scores, abs=1e-6), text
    assert [v.labels for v in once[:5]] == [()] * 5  # the ordinary ones stay unflagged
    assert once[6].severity == "extreme" and "profanity" in once[7].labels


def test_a_word_said_over_and_over_counts_once(model) -> None:  # type: ignore[no-untyped-def]
    plain = model.classify("why won't this work")
    repeated = model.classify("why why why why why won't this work")
    assert repeated.labels == plain.labels == ()
    # a word said over and over is no pasted demand (normalize.PASTED_WORDS)
    for said_over in ("please please please please please", "why " * 7, "no no no no no no"):
        assert model.classify(said_over).labels == (), said_over
    text = "liar liar liar, you lied to me about the refund"
    insult = model.classify(text)
    assert "insult" in insult.labels
    # the kept word's span covers the run it stands for
    assert next(text[a:b] for a, b in insult.evidence["insult"]).startswith("liar liar liar")


def test_a_demand_pasted_over_and_over_is_still_seen(model) -> None:  # type: ignore[no-untyped-def]
    # the corpus labels a demand pasted twenty times a harassing demand; five copies or more
    # keep the pasting in view (normalize.PASTED_MARKER), one copy is an ordinary request
    assert model.classify("CALL ME BACK TODAY.").labels == ()
    pasted = model.classify("CALL ME BACK TODAY. " * 20)
    assert "unrealistic_demand" in pasted.labels


@pytest.mark.parametrize(
    ("line", "copies"),
    [
        ("Where is my parcel? ", 5),
        ("Thank you so much. ", 5),
        ("Is anyone there? ", 6),
        ("Can someone help me please? ", 8),
        ("Please reply to my email. ", 7),
    ],
)
def test_a_reasonable_line_pasted_over_and_over_is_no_demand(  # type: ignore[no-untyped-def]
    model, line: str, copies: int
) -> None:
    # Pasting is not abuse by itself: the policy's demands are unrealistic ones, and "requests
    # will be met wherever possible". Session 24's model flagged all but the thank-you and the
    # plea for help as unrealistic demands (0.95 to 0.998): its pasted rows were nearly all
    # demands (batch 28 added reasonable questions and accidental pastes). The corpus pastes
    # none of these lines; two of them occur in it once, as ordinary sentences.
    verdict = model.classify(line * copies)
    assert verdict.labels == (), (line, verdict.scores)


# One-line chat messages written in session 26, after reading which sentences of held-out
# acceptable messages the model flagged when each was scored alone, and before the feature-power
# change and batch 31 (whose brief reserved them); none is in the corpus. They are ordinary, but
# most chat traffic is lines like these.
SHORT_ORDINARY_LINES = (
    "Let's see how it goes.",
    "Dear Hiring Team,",
    "I'll be there at ten.",
    "It won't be ready until Monday then?",
    "I've got all the receipts.",
    "She deserves a pay rise.",
    "Which one is right?",
    "I know where the problem is.",
    "My daughter walks to school past the shop.",
    "My brothers and cousins are with you too.",
    "Will you be hiring over summer?",
    "I'll go back to the old tariff.",
    "Next time I'll order earlier.",
    "See you on Tuesday.",
    "I'll think about it and let you know.",
    "We are deaf, please use text.",
    "You were great, thanks.",
    "Your car park was full.",
)


def test_short_ordinary_chat_lines_are_held_where_they_are(model) -> None:  # type: ignore[no-untyped-def]
    # Not a target met: a guard against getting worse. Session 25's model flagged 10 of the 18
    # (8 `extreme`; "Dear Hiring Team," as identity abuse at 0.97); trained on batches 29 and 30
    # it still flagged 10, with the feature-count power at 0.35 (train.TrainConfig.powers) 7, and
    # with batch 31's 597 short chat lines as well, the shipped model, 4, all `extreme`: "Let's
    # see how it goes.", "I'll be there at ten.", "My daughter walks to school past the shop.",
    # "My brothers and cousins are with you too." (docs/classifier-quality.md, session 26).
    verdicts = model.classify_many(list(SHORT_ORDINARY_LINES))
    flagged = [line for line, v in zip(SHORT_ORDINARY_LINES, verdicts, strict=True) if v.labels]
    assert len(flagged) <= 4, flagged
    assert "Dear Hiring Team," not in flagged
    assert "I'll think about it and let you know." not in flagged
