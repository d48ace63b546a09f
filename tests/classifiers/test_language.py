"""The language guess: foreign text is recognised, English (even short or mixed) stays English."""

import pytest

from classifiers.language import guess
from classifiers.normalize import normalize


def _guess(text: str) -> str:
    return guess(text, normalize(text).text)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour, je n'arrive pas à me connecter depuis hier soir", "fr"),
        ("Hallo, ich kann mich nicht anmelden, bitte helfen Sie mir", "de"),
        ("Hola, no puedo acceder a mi cuenta desde ayer, gracias", "es"),
        ("Olá, não consigo entrar na minha conta", "pt"),
        ("Goedemorgen, ik kan niet inloggen op mijn account", "nl"),
        ("Здравствуйте, не могу войти в личный кабинет", "und-Cyrl"),
        ("こんにちは、ログインできません", "ja"),
        ("مرحبا، لا أستطيع تسجيل الدخول إلى حسابي", "ar"),
    ],
)
def test_foreign_text_is_recognised(text: str, lang: str) -> None:
    assert _guess(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "merci",
        "you are a useless idiot",
        "No, I am in a meeting, can you call me back at 3?",
        "My name is José and the app crashes when I open it",
        "Die Hard is my favourite film, but the stream keeps buffering",
    ],
)
def test_english_stays_english(text: str) -> None:
    assert _guess(text) == "en"


def _reference_script(text: str) -> str:
    """`language._script` as first written: every character looked at."""
    from bisect import bisect_right

    from classifiers import language

    if text.isascii():
        return ""
    counts: dict[str, int] = {}
    letters = 0
    for char in text:
        if not char.isalpha():
            continue
        letters += 1
        code = ord(char)
        if code < 0x0370:
            continue
        script = language._SCRIPTS[bisect_right(language._STARTS, code) - 1][1]
        if script:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return ""
    script, hits = max(counts.items(), key=lambda item: item[1])
    return script if hits * 2 > letters and hits >= 3 else ""


def test_script_looks_only_at_high_characters_and_answers_the_same() -> None:
    import random

    from classifiers import language

    rng = random.Random(11)
    latin = [chr(c) for c in (*range(0x20, 0x7F), *range(0xC0, 0x250, 3), 0x1F600)]
    blocks = [0x370, 0x400, 0x5D0, 0x620, 0x905, 0xE01, 0x10D0, 0x3041, 0x4E00, 0xAC00, 0xFF21]
    texts = []
    for _ in range(20000):  # Latin text with some letters of one or two other scripts
        high = [chr(rng.choice(blocks) + rng.randrange(40)) for _ in range(rng.randint(0, 12))]
        texts.append("".join(rng.sample(latin, rng.randint(0, 6)) + high))
    texts += ["привет мир", "hello 😀😀😀", "日本語 text", "abc αβγ", "ok"]
    found = 0
    for text in texts:
        assert language._script(text) == _reference_script(text), text
        found += language._script(text) != ""
    assert found > 50  # the texts exercise the script count, not only the ASCII exit
