"""`Settings`: the only reader of the environment and `.env` (pydantic-settings).

A vendor is enabled when its variables are set; a partly configured vendor stops start-up with
one line naming the missing variable (`SettingsError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = PROJECT_ROOT / "config" / "policy.yaml"
DEFAULT_MODEL = PROJECT_ROOT / "classifiers" / "model"
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"

# Variables a vendor needs before it is enabled (the *_API_URL ones are optional overrides).
ZENDESK_REQUIRED = (
    "ZENDESK_SUBDOMAIN",
    "ZENDESK_EMAIL",
    "ZENDESK_API_TOKEN",
    "ZENDESK_WEBHOOK_SECRET",
)
FRESHDESK_REQUIRED = ("FRESHDESK_DOMAIN", "FRESHDESK_API_KEY", "FRESHDESK_WEBHOOK_SECRET")


class SettingsError(Exception):
    """Settings that cannot work; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    redis_url: str | None = None

    zendesk_subdomain: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: str | None = None
    zendesk_webhook_secret: str | None = None
    zendesk_api_url: str | None = None

    freshdesk_domain: str | None = None
    freshdesk_api_key: str | None = None
    freshdesk_webhook_secret: str | None = None
    freshdesk_api_url: str | None = None

    conduct_policy: Path = DEFAULT_POLICY
    conduct_model: Path = DEFAULT_MODEL
    conduct_timezone: str = "Europe/London"
    conduct_data_dir: Path = DEFAULT_DATA_DIR
    # seconds a signed timestamp stays acceptable
    conduct_webhook_replay_window: int = Field(default=300, gt=0)
    conduct_alert_webhook_url: str | None = None
    # seconds a transient vendor failure is retried (0: straight to the failed registry)
    conduct_retry_horizon: int = Field(default=24 * 3600, ge=0)
    conduct_log_level: str = "INFO"

    @field_validator("zendesk_api_url", "freshdesk_api_url")
    @classmethod
    def _bare_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")) or value.count("/") > 2:
            raise ValueError("must be scheme, host and port only, e.g. http://127.0.0.1:5001")
        return value

    @model_validator(mode="after")
    def _vendors_complete(self) -> Settings:
        for required in (ZENDESK_REQUIRED, FRESHDESK_REQUIRED):
            present = [name for name in required if getattr(self, name.lower())]
            if present and len(present) < len(required):
                missing = next(n for n in required if not getattr(self, n.lower()))
                vendor = required[0].split("_")[0]
                raise ValueError(
                    f"{missing} is not set ({present[0]} is set: set every {vendor}_* "
                    "variable or none)"
                )
        if self.zendesk_webhook_secret and not self.zendesk_webhook_secrets:
            raise ValueError(
                "ZENDESK_WEBHOOK_SECRET holds no secret (a comma-separated list of signing "
                "secrets, one per webhook)"
            )
        return self

    # -- derived ---------------------------------------------------------------------------
    @property
    def zendesk_enabled(self) -> bool:
        return bool(self.zendesk_subdomain)

    @property
    def freshdesk_enabled(self) -> bool:
        return bool(self.freshdesk_domain)

    @property
    def enabled_vendors(self) -> tuple[str, ...]:
        flags = (("zendesk", self.zendesk_enabled), ("freshdesk", self.freshdesk_enabled))
        return tuple(vendor for vendor, on in flags if on)

    @property
    def zendesk_base_url(self) -> str:
        """Scheme, host and port of the Zendesk API (the adapter adds `/api/v2/...`)."""
        return self.zendesk_api_url or f"https://{self.zendesk_subdomain}.zendesk.com"

    @property
    def zendesk_webhook_secrets(self) -> tuple[str, ...]:
        """One signing secret per webhook, and two during a rotation (comma-separated)."""
        raw = self.zendesk_webhook_secret or ""
        return tuple(s.strip() for s in raw.split(",") if s.strip())


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`), or `SettingsError` with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{where}: {message}" if where else message) from None
