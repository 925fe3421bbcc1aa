"""Alembic per component: run upgrades programmatically, one version table per schema/file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table (copy, drop the old one, rename) for what ALTER
            # cannot do, e.g. a downgrade's DROP COLUMN. With foreign keys on, dropping the old
            # table deletes every row that refers to it (ON DELETE CASCADE): a resident's stages,
            # consents and notes. Alembic's advice: keys off while migrating (outside a
            # transaction, where SQLite allows the switch), on again afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def behind_head(db: Database, script_location: Path) -> str | None:
    """Why this database is older than this code's newest migration, or None when it is not.

    A revision this code does not know is newer (a later release migrated already): not behind.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    script = ScriptDirectory.from_config(cfg)
    heads = set(script.get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return None
    known = {s.revision for s in script.walk_revisions()}
    if current and not current <= known:
        return None
    return f"{db.component}: at {sorted(current) or 'no schema'}, this version needs {sorted(heads)}"


def rename_code(tables: dict[str, str], old: str, new: str, *, outbox: bool) -> None:
    """In a data migration: a stored code renamed in `tables` (table -> column), and, with
    `outbox`, in the JSON payloads of the service's outbox, where a code only ever appears as a
    whole JSON string (used by the migrations that took the health-naming drop-out reason out)."""
    from alembic import op

    for table, column in tables.items():
        op.execute(f"UPDATE {table} SET {column} = '{new}' WHERE {column} = '{old}'")  # noqa: S608 - fixed names
    if outbox:
        op.execute(
            f"UPDATE outbox SET payload = REPLACE(payload, '\"{old}\"', '\"{new}\"') "  # noqa: S608 - fixed names
            f"WHERE payload LIKE '%\"{old}\"%'"
        )
