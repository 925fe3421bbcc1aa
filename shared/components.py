"""Registry of the suite's components (for the CLI and tests): import paths, not imports."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Component:
    name: str
    metadata: str  # "module:attribute" of the declarative base
    migrations: Path
    app_factory: str | None = None  # "module:function"
    has_worker: bool = False
    outbox: str | None = None  # "module:Model" of the service's outbox table
    periodic: str | None = None  # "module:function(ctx)" the worker calls every few seconds
    state_metrics: str | None = None  # "module:function(session)" yielding scrape-time metrics

    def state_metrics_hook(self) -> Any:
        if not self.state_metrics:
            return None
        module, attr = self.state_metrics.split(":")
        return getattr(importlib.import_module(module), attr)

    def periodic_hook(self) -> Any:
        if not self.periodic:
            return None
        module, attr = self.periodic.split(":")
        return getattr(importlib.import_module(module), attr)

    def outbox_model(self) -> Any:
        assert self.outbox
        module, attr = self.outbox.split(":")
        return getattr(importlib.import_module(module), attr)

    def base(self) -> Any:
        module, attr = self.metadata.split(":")
        return getattr(importlib.import_module(module), attr)

    def create_app(self, settings: Any = None) -> Any:
        assert self.app_factory
        module, attr = self.app_factory.split(":")
        return getattr(importlib.import_module(module), attr)(settings)


COMPONENTS: dict[str, Component] = {
    "accounts": Component(
        "accounts", "shared.auth.models:AccountsBase", ROOT / "shared" / "auth" / "migrations"
    ),
    "intake": Component(
        "intake",
        "services.intake.models:Base",
        ROOT / "services" / "intake" / "migrations",
        "services.intake.app:create_app",
        has_worker=True,
        outbox="services.intake.models:OutboxEvent",
        periodic="services.intake.jobs:periodic",
    ),
    "matching": Component(
        "matching",
        "services.matching.models:Base",
        ROOT / "services" / "matching" / "migrations",
        "services.matching.app:create_app",
        has_worker=True,
        outbox="services.matching.models:OutboxEvent",
        periodic="services.matching.jobs:periodic",
        state_metrics="services.matching.metrics:run_state",
    ),
    "rapportage": Component(
        "rapportage",
        "services.rapportage.models:Base",
        ROOT / "services" / "rapportage" / "migrations",
        "services.rapportage.app:create_app",
        has_worker=True,
        outbox="services.rapportage.models:OutboxEvent",
        periodic="services.rapportage.jobs:periodic",
    ),
}


def services() -> list[Component]:
    """Components that are web services (have an app)."""
    return [c for c in COMPONENTS.values() if c.app_factory]


def workers() -> list[Component]:
    """Components that run an RQ worker."""
    return [c for c in COMPONENTS.values() if c.has_worker]
