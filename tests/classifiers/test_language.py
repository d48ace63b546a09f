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
