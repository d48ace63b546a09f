from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings

ZENDESK = {
    "ZENDESK_SUBDOMAIN": "acme",
    "ZENDESK_EMAIL": "bot@example.com",
    "ZENDESK_API_TOKEN": "token",
    "ZENDESK_WEBHOOK_SECRET": "s1, s2",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("ZENDESK_", "FRESHDESK_", "CONDUCT_", "REDIS_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the project root


def test_nothing_configured_enables_no_vendor() -> None:
    settings = load_settings()
    assert settings.enabled_vendors == ()
    assert settings.redis_url is None


def test_complete_zendesk_is_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ZENDESK.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.enabled_vendors == ("zendesk",)
    assert settings.zendesk_base_url == "https://acme.zendesk.com"
    assert settings.zendesk_webhook_secrets == ("s1", "s2")


@pytest.mark.parametrize("missing", sorted(ZENDESK))
def test_partial_zendesk_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    for key, value in ZENDESK.items():
        if key != missing:
            monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert missing in message
    assert "\n" not in message


def test_partial_freshdesk_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHDESK_DOMAIN", "acme")
    with pytest.raises(SettingsError, match="FRESHDESK_API_KEY"):
        load_settings()


def test_api_url_must_be_an_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ZENDESK.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZENDESK_API_URL", "http://127.0.0.1:5001/api/v2")
    with pytest.raises(SettingsError, match="ZENDESK_API_URL"):
        load_settings()
    monkeypatch.setenv("ZENDESK_API_URL", "http://127.0.0.1:5001/")
    assert load_settings().zendesk_base_url == "http://127.0.0.1:5001"


def test_a_webhook_secret_list_with_no_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ZENDESK.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZENDESK_WEBHOOK_SECRET", " , ")
    with pytest.raises(SettingsError, match="ZENDESK_WEBHOOK_SECRET holds no secret"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONDUCT_WEBHOOK_REPLAY_WINDOW", "0"),
        ("CONDUCT_WEBHOOK_REPLAY_WINDOW", "-5"),
        ("CONDUCT_RETRY_HORIZON", "-5"),
    ],
)
def test_windows_cannot_be_negative(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^{name}: "):
        load_settings()


def test_dotenv_is_read(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    Path(".env").write_text("REDIS_URL=redis://127.0.0.1:6399/0\n")
    assert load_settings().redis_url == "redis://127.0.0.1:6399/0"
