"""`instap backup` / `instap restore`: every component's database, the signing keys, a manifest.

A backup is a directory:
    manifest.json      format, app version, per component its backend, Alembic revision, file
                       checksum and a row count + checksum per table; checksums of the key files
    <component>.dump   PostgreSQL: `pg_dump --format=custom` of the component's schema
    <component>.db     SQLite: a copy made with SQLite's online backup API
    keys/              the signing keys directory (INSTAP_DATA_DIR/keys), when present

PostgreSQL components that share a database are dumped from one exported snapshot, and their
table checksums are computed in that same snapshot, so the manifest describes exactly what the
dumps hold even while the suite keeps writing. A restore checks every file checksum and refuses
a backup whose schema is newer than this code (an Alembic revision it does not know) before it
touches anything; after restoring it recomputes the table checksums and compares them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from shared.components import COMPONENTS, Component
from shared.config import Settings

FORMAT = 1
MANIFEST = "manifest.json"
KEYS_DIR = "keys"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


def app_version() -> str:
    try:
        return version("instap")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def known_revisions(component: Component) -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(component.migrations))
    return {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}


# --- table checksums ---------------------------------------------------------------------------


def _row_text(row: Any) -> str:
    return json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False)


def table_checksums(conn: Connection, schema: str | None) -> dict[str, dict[str, Any]]:
    """Row count and SHA-256 over all rows (in primary-key order) of every table."""
    result: dict[str, dict[str, Any]] = {}
    names = sorted(n for n in inspect(conn).get_table_names(schema=schema) if not n.startswith("sqlite_"))
    for name in names:
        table = Table(name, MetaData(), schema=schema, autoload_with=conn)
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        for row in conn.execute(select(table).order_by(*order)):
            digest.update(_row_text(row).encode())
            digest.update(b"\n")
            rows += 1
        result[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _revision(checksummed: dict[str, Any], conn: Connection, schema: str | None) -> str | None:
    if "alembic_version" not in checksummed:
        return None
    table = f'"{schema}".alembic_version' if schema else "alembic_version"
    return conn.execute(text(f"SELECT version_num FROM {table}")).scalar()  # noqa: S608 - fixed names


# --- PostgreSQL ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgTarget:
    """A libpq connection string without the password, and the password for PGPASSWORD."""

    conninfo: str
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        parsed = make_url(url)
        bare = parsed.set(drivername="postgresql", password=None)
        return cls(bare.render_as_string(hide_password=False), parsed.password)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def pg_tool(settings: Settings, name: str) -> str:
    """pg_dump / pg_restore: from INSTAP_PG_BIN_DIR, else PATH, else Debian's newest install."""
    if settings.pg_bin_dir:
        return str(Path(settings.pg_bin_dir) / name)
    found = shutil.which(name)
    if found:
        return found
    from shared.localservers import find_postgres_bindir

    try:
        return str(find_postgres_bindir() / name)
    except Exception as exc:
        raise BackupError(f"{name} not found: install postgresql-client or set INSTAP_PG_BIN_DIR") from exc


def _run(command: list[str], target: PgTarget) -> None:
    done = subprocess.run(command, env=target.env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _schema_exists(conn: Connection, name: str) -> bool:
    query = text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s")
    return conn.execute(query, {"s": name}).scalar() is not None


@contextmanager
def _exported_snapshot(url: str) -> Iterator[tuple[Connection, str]]:
    """A repeatable-read transaction held open, and the id other sessions can join it by."""
    engine = create_engine(url)
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
        ):
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            yield conn, snapshot
    finally:
        engine.dispose()


def _backup_postgres(settings: Settings, names: list[str], url: str, dest: Path) -> dict[str, Any]:
    target = PgTarget.from_url(url)
    entries: dict[str, Any] = {}
    with _exported_snapshot(url) as (conn, snapshot):
        for name in names:
            if not _schema_exists(conn, name):
                continue  # never migrated here (e.g. a service not deployed yet)
            out = dest / f"{name}.dump"
            _run(
                [
                    pg_tool(settings, "pg_dump"),
                    "--format=custom",
                    f"--schema={name}",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={out}",
                    f"--dbname={target.conninfo}",
                ],
                target,
            )
            tables = table_checksums(conn, name)
            entries[name] = {
                "backend": "postgresql",
                "file": out.name,
                "sha256": sha256_file(out),
                "alembic_revision": _revision(tables, conn, name),
                "tables": tables,
            }
    return entries


def _restore_postgres(settings: Settings, name: str, url: str, dump: Path) -> None:
    """Swap the schema for the dump's in one pass; the old schema comes back if pg_restore fails."""
    target = PgTarget.from_url(url)
    aside = f"{name}_before_restore"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE'))
            if _schema_exists(conn, name):
                conn.execute(text(f'ALTER SCHEMA "{name}" RENAME TO "{aside}"'))
        command = [
            pg_tool(settings, "pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target.conninfo}",
            str(dump),
        ]
        try:
            _run(command, target)
        except BackupError:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
                if _schema_exists(conn, aside):
                    conn.execute(text(f'ALTER SCHEMA "{aside}" RENAME TO "{name}"'))
            raise
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE'))
    finally:
        engine.dispose()


def _verify_postgres(url: str, name: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return table_checksums(conn, name)
    finally:
        engine.dispose()


# --- SQLite --------------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"not a SQLite file: {url}")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while others write (WAL mode too)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_checksums(path: Path) -> tuple[dict[str, Any], str | None]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            tables = table_checksums(conn, None)
            return tables, _revision(tables, conn, None)
    finally:
        engine.dispose()


# --- the two commands ----------------------------------------------------------------------------


def _groups(settings: Settings) -> tuple[dict[str, list[str]], list[str]]:
    """PostgreSQL components grouped by database URL (one snapshot each), and SQLite components."""
    postgres: dict[str, list[str]] = {}
    sqlite: list[str] = []
    for name in COMPONENTS:
        url = settings.database_url(name)
        if url.startswith("sqlite"):
            sqlite.append(name)
        else:
            postgres.setdefault(url, []).append(name)
    return postgres, sqlite


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / KEYS_DIR


def backup(settings: Settings, dest: Path) -> dict[str, Any]:
    """Write a backup into the new directory `dest`; returns the manifest."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} exists and is not empty; choose a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)  # holds personal data (intake) and keys
    components: dict[str, Any] = {}
    postgres, sqlite = _groups(settings)
    for url, names in postgres.items():
        components.update(_backup_postgres(settings, names, url, dest))
    for name in sqlite:
        source = sqlite_path(settings.database_url(name))
        if not source.exists():
            continue
        out = dest / f"{name}.db"
        _sqlite_copy(source, out)
        tables, revision = _sqlite_checksums(out)
        components[name] = {
            "backend": "sqlite",
            "file": out.name,
            "sha256": sha256_file(out),
            "alembic_revision": revision,
            "tables": tables,
        }
    keys: dict[str, str] = {}
    source_keys = keys_dir(settings)
    if source_keys.is_dir():
        shutil.copytree(source_keys, dest / KEYS_DIR)
        for path in sorted((dest / KEYS_DIR).rglob("*")):
            if path.is_file():
                keys[path.relative_to(dest).as_posix()] = sha256_file(path)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "components": components,
        "keys": keys,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not an Instap backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"backup format {manifest.get('format')!r} is not supported (this version reads {FORMAT})"
        )
    return manifest


def check(manifest: dict[str, Any], source: Path) -> None:
    """Everything that must hold before a restore touches a database."""
    for name, entry in manifest["components"].items():
        component = COMPONENTS.get(name)
        if component is None:
            raise BackupError(
                f"this backup has a component '{name}' that Instap {app_version()} does not know: "
                f"it was made by a newer version ({manifest['app_version']}). Install that version "
                "(or a newer one) and restore with it."
            )
        revision = entry.get("alembic_revision")
        if revision is not None and revision not in known_revisions(component):
            raise BackupError(
                f"the backup's schema of '{name}' (revision {revision}) is newer than this version "
                f"of Instap ({app_version()}) knows: the backup was made by Instap "
                f"{manifest['app_version']}. Install that version (or a newer one) and restore with "
                "it; restoring into an older schema would lose data."
            )
        path = source / entry["file"]
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise BackupError(f"{path} is missing or damaged (checksum differs from the manifest)")
    for relative, digest in manifest.get("keys", {}).items():
        path = source / relative
        if not path.is_file() or sha256_file(path) != digest:
            raise BackupError(f"{path} is missing or damaged (checksum differs from the manifest)")


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Restore a backup over the configured databases and keys; returns per component the tables
    whose row count or checksum differs after the restore (empty lists when all match)."""
    manifest = read_manifest(source)
    check(manifest, source)
    for name, entry in manifest["components"].items():
        backend = "sqlite" if settings.database_url(name).startswith("sqlite") else "postgresql"
        if backend != entry["backend"]:
            raise BackupError(
                f"'{name}' was backed up from {entry['backend']} but is configured on {backend} here; "
                "restore into the same kind of database"
            )
    differences: dict[str, list[str]] = {}
    for name, entry in manifest["components"].items():
        url = settings.database_url(name)
        if entry["backend"] == "postgresql":
            _restore_postgres(settings, name, url, source / entry["file"])
            restored = _verify_postgres(url, name)
        else:
            target = sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(source / entry["file"], target)
            restored, _ = _sqlite_checksums(target)
        differences[name] = sorted(
            table
            for table in set(entry["tables"]) | set(restored)
            if entry["tables"].get(table) != restored.get(table)
        )
    if manifest.get("keys"):
        target_keys = keys_dir(settings)
        target_keys.mkdir(parents=True, exist_ok=True)
        target_keys.chmod(0o700)
        for relative in manifest["keys"]:
            destination = settings.data_dir / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, destination)
    return differences
