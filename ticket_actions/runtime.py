"""What a worker process holds once: settings, its Redis connection, helpdesk adapters and the
classifier, each built the first time a job needs it (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import redis

from config.redis_server import redis_url_for
from config.settings import Settings, load_settings

if TYPE_CHECKING:
    from classifiers.verdict import Verdict
    from integration.helpdesk import Helpdesk


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    _helpdesks: dict[str, Helpdesk] = field(default_factory=dict)

    def helpdesk(self, vendor: str) -> Helpdesk:
        if vendor not in self._helpdesks:
            from integration.registry import helpdesk_for

            self._helpdesks[vendor] = helpdesk_for(vendor, self.settings, self.redis)
        return self._helpdesks[vendor]

    def classify(self, text: str, thresholds: Mapping[str, float] | None = None) -> Verdict:
        """The verdict under `thresholds` (the policy's overrides), decided by the model as
        `conduct classify --policy` decides it: evidence for every label, the abuse gate alike."""
        from classifiers.api import load_classifier

        classifier = load_classifier(self.settings.conduct_model)
        if thresholds:
            classifier = classifier.with_thresholds(thresholds)
        return classifier.classify(text)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        settings = load_settings()
        _runtime = Runtime(settings, redis.Redis.from_url(redis_url_for(settings)))
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Install a runtime (tests, the demo); None forgets it."""
    global _runtime
    _runtime = runtime
