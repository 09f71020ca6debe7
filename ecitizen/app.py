"""The application context shared by the CLI, the scheduler and the web interface.

Owns: loading the config once, opening (and migrating) the database once, the clock.
Adapters get what they need from here; core functions get plain values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Engine

from ecitizen.config import Config, load_config
from ecitizen.db import get_engine, migrate
from ecitizen.pipeline import Rules, rules_from_config
from ecitizen.storage.types import utcnow

log = logging.getLogger("ecitizen")


class App:
    """Lazily loaded config + engine. ``now`` is injectable for tests."""

    def __init__(
        self,
        config_path: str | None = None,
        *,
        config: Config | None = None,
        now: Callable[[], datetime] = utcnow,
        auto_migrate: bool = True,
    ) -> None:
        self.config_path = config_path
        self._config = config
        self.now = now
        self.auto_migrate = auto_migrate

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @cached_property
    def database_url(self) -> str:
        return self.config.resolved_database_url()

    @cached_property
    def engine(self) -> Engine:
        engine = get_engine(self.database_url)
        if self.auto_migrate:
            migrate(self.database_url)
        return engine

    @cached_property
    def rules(self) -> Rules:
        return rules_from_config(self.config.topics, self.config.new_service_rules)
