"""`instap backup` and `instap restore` end to end on SQLite and PostgreSQL: fill, back up, wipe,
restore, compare row counts and a checksum per table; refuse newer schemas and damaged files."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from sqlalchemy import create_engine, inspect, text

from shared.auth.accounts import add_user, get_or_create_organisation
from shared.auth.hashing import hashing_for
from shared.cli import main, migrate_all
from shared.components import COMPONENTS
from shared.config import Settings
from shared.db import Database
from shared.demo import seed
from tests.conftest import TEST_PASSWORD
from tests.support.servers import libpq_url, with_database
from tests.support.workers import worker_env as _env

pytestmark = [pytest.mark.slow, pytest.mark.both_backends]


@pytest.fixture
def own(settings: Settings, backend: str, tmp_path: Path) -> Iterator[Settings]:
    """Databases of this test alone: a backup test wipes and restores whole databases, so never
    the ones the session's shared apps keep open (tests/README.md)."""
    if backend == "sqlite":
        mine = settings.model_copy(
            update={"data_dir": tmp_path / "own", **{f"{c}_database_url": "" for c in COMPONENTS}}
        )
        migrate_all(mine)
        yield mine
        return
    server = settings.database_url("accounts")
    database = f"backup_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_url(server), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url = with_database(server, database)
    mine = settings.model_copy(update={f"{c}_database_url": url for c in COMPONENTS})
    migrate_all(mine)
    yield mine
    with psycopg.connect(libpq_url(server), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def _cli(settings: Settings, *args: str):
    env = {**_env(settings), "INSTAP_PG_BIN_DIR": os.environ.get("INSTAP_PG_BIN_DIR", "")}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _snapshot(settings: Settings) -> dict[str, dict[str, tuple[int, str]]]:
    """Rows and a digest per table, computed here independently of shared.backup."""
    result: dict[str, dict[str, tuple[int, str]]] = {}
    for name in COMPONENTS:
        url = settings.database_url(name)
        schema = None if url.startswith("sqlite") else name
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                tables = {}
                for table in inspect(conn).get_table_names(schema=schema):
                    qualified = f'"{schema}"."{table}"' if schema else f'"{table}"'
                    rows = conn.execute(text(f"SELECT * FROM {qualified}")).all()  # noqa: S608
                    lines = sorted(repr(tuple(row)) for row in rows)
                    tables[table] = (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest())
                result[name] = tables
        finally:
            engine.dispose()
    return result


def _wipe(settings: Settings) -> None:
    for name in COMPONENTS:
        url = settings.database_url(name)
        if url.startswith("sqlite"):
            path = Path(url.split("///", 1)[1])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            engine = create_engine(url)
            try:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            finally:
                engine.dispose()


def _add_user(settings: Settings) -> None:
    db = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            org = get_or_create_organisation(s, "Sociale Dienst Drechtsteden", "gemeente")
            add_user(
                s,
                email="nieuw@test.instap.nl",
                name="Nieuw",
                password=TEST_PASSWORD,
                role="jobcoach",
                organisation=org,
                hashing=hashing_for(settings),
            )
    finally:
        db.dispose()


def _keys(settings: Settings) -> Path:
    keys = settings.data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "signing-key.pem").write_bytes(os.urandom(64))
    return keys


def test_backup_wipe_restore_gives_the_same_tables(own: Settings, tmp_path: Path):
    seed(own, residents=12)
    keys = _keys(own)
    key_bytes = (keys / "signing-key.pem").read_bytes()
    before = _snapshot(own)
    assert sum(rows for rows, _ in before["intake"].values()) > 12
    assert before["matching"] and before["accounts"]

    backup_dir = tmp_path / "backup"
    result = _cli(own, "backup", "--to", str(backup_dir))
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert set(manifest["components"]) == set(COMPONENTS)
    for name, entry in manifest["components"].items():
        assert entry["alembic_revision"], name
        assert {t: e["rows"] for t, e in entry["tables"].items()} == {
            t: rows for t, (rows, _) in before[name].items()
        }
    assert list(manifest["keys"]) == ["keys/signing-key.pem"]
    assert manifest["app_version"] == "0.1.0"

    _wipe(own)
    for path in keys.iterdir():
        path.unlink()
    assert all(not tables for tables in _snapshot(own).values())

    result = _cli(own, "restore", str(backup_dir), "--yes")

    assert result.exit_code == 0, result.output
    assert "every table matches" in result.output
    assert _snapshot(own) == before
    assert (keys / "signing-key.pem").read_bytes() == key_bytes
    # The restored databases are usable: migrations find them at the newest revision.
    assert _cli(own, "migrate").exit_code == 0
    assert _snapshot(own) == before


def test_restore_refuses_a_backup_from_a_newer_schema(own: Settings, tmp_path: Path):
    backup_dir = tmp_path / "backup"
    assert _cli(own, "backup", "--to", str(backup_dir)).exit_code == 0
    manifest_path = backup_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["components"]["intake"]["alembic_revision"] = "0ddba11f00d5"
    manifest["app_version"] = "9.0.0"
    manifest_path.write_text(json.dumps(manifest))
    _add_user(own)  # a change after the backup, which a restore would undo
    before = _snapshot(own)

    result = _cli(own, "restore", str(backup_dir), "--yes")

    assert result.exit_code != 0
    assert "'intake' (revision 0ddba11f00d5) is newer than this version" in result.output
    assert "Instap 9.0.0" in result.output
    assert _snapshot(own) == before, "nothing may be touched before the checks pass"


def test_restore_refuses_a_damaged_file(own: Settings, tmp_path: Path):
    backup_dir = tmp_path / "backup"
    assert _cli(own, "backup", "--to", str(backup_dir)).exit_code == 0
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    damaged = backup_dir / manifest["components"]["matching"]["file"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))

    result = _cli(own, "restore", str(backup_dir), "--yes")

    assert result.exit_code != 0
    assert "damaged" in result.output and damaged.name in result.output


def test_backup_refuses_a_directory_that_is_in_use(own: Settings, tmp_path: Path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    result = _cli(own, "backup", "--to", str(tmp_path / "old"))
    assert result.exit_code != 0
    assert "not empty" in result.output
