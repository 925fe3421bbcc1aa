"""`instap backup` and `instap restore` end to end on SQLite and PostgreSQL: fill, back up, wipe,
restore, compare row counts and a checksum per table; refuse newer schemas and damaged files."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from shared.cli import main, migrate_all
from shared.components import COMPONENTS
from shared.config import Settings
from shared.demo import seed
from tests.reliability.test_outbox_delivery import _env

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _migrated_afterwards(settings: Settings):
    """The PostgreSQL database is shared by the session: leave every schema there, whatever happens."""
    yield
    migrate_all(settings)


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


def _keys(settings: Settings) -> Path:
    keys = settings.data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "signing-key.pem").write_bytes(os.urandom(64))
    return keys


def test_backup_wipe_restore_gives_the_same_tables(settings: Settings, tmp_path: Path):
    seed(settings, residents=12)
    keys = _keys(settings)
    key_bytes = (keys / "signing-key.pem").read_bytes()
    before = _snapshot(settings)
    assert sum(rows for rows, _ in before["intake"].values()) > 12
    assert before["matching"] and before["accounts"]

    backup_dir = tmp_path / "backup"
    result = _cli(settings, "backup", "--to", str(backup_dir))
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

    _wipe(settings)
    for path in keys.iterdir():
        path.unlink()
    assert all(not tables for tables in _snapshot(settings).values())

    result = _cli(settings, "restore", str(backup_dir), "--yes")

    assert result.exit_code == 0, result.output
    assert "every table matches" in result.output
    assert _snapshot(settings) == before
    assert (keys / "signing-key.pem").read_bytes() == key_bytes
    # The restored databases are usable: migrations find them at the newest revision.
    assert _cli(settings, "migrate").exit_code == 0
    assert _snapshot(settings) == before


def test_restore_refuses_a_backup_from_a_newer_schema(settings: Settings, tmp_path: Path, make_user):
    backup_dir = tmp_path / "backup"
    assert _cli(settings, "backup", "--to", str(backup_dir)).exit_code == 0
    manifest_path = backup_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["components"]["intake"]["alembic_revision"] = "0ddba11f00d5"
    manifest["app_version"] = "9.0.0"
    manifest_path.write_text(json.dumps(manifest))
    make_user("jobcoach")  # a change after the backup, which a restore would undo
    before = _snapshot(settings)

    result = _cli(settings, "restore", str(backup_dir), "--yes")

    assert result.exit_code != 0
    assert "'intake' (revision 0ddba11f00d5) is newer than this version" in result.output
    assert "Instap 9.0.0" in result.output
    assert _snapshot(settings) == before, "nothing may be touched before the checks pass"


def test_restore_refuses_a_damaged_file(settings: Settings, tmp_path: Path):
    backup_dir = tmp_path / "backup"
    assert _cli(settings, "backup", "--to", str(backup_dir)).exit_code == 0
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    damaged = backup_dir / manifest["components"]["matching"]["file"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))

    result = _cli(settings, "restore", str(backup_dir), "--yes")

    assert result.exit_code != 0
    assert "damaged" in result.output and damaged.name in result.output


def test_backup_refuses_a_directory_that_is_in_use(settings: Settings, tmp_path: Path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    result = _cli(settings, "backup", "--to", str(tmp_path / "old"))
    assert result.exit_code != 0
    assert "not empty" in result.output
