"""Alembic per component: run upgrades programmatically, one version table per schema/file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from shared.db import Database


def alembic_config(db: Database, script_location: Path, metadata: MetaData) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["database"] = db
    cfg.attributes["metadata"] = metadata
    return cfg


def upgrade(db: Database, script_location: Path, metadata: MetaData, revision: str = "head") -> None:
    command.upgrade(alembic_config(db, script_location, metadata), revision)


def run_env(context) -> None:  # type: ignore[no-untyped-def]
    """Body of every component's alembic env.py: online migrations on the component's engine."""
    cfg = context.config
    db: Database | None = cfg.attributes.get("database")
    metadata: MetaData = cfg.attributes["metadata"]
    if db is None:  # invoked by the alembic CLI: build the engine from the URL
        raise RuntimeError("run migrations with `instap migrate`")
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
