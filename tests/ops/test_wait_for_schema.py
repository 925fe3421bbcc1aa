"""`instap wait-for-schema`, the init container of every pod: waits for the migration Job."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from shared.cli import main
from shared.components import COMPONENTS
from shared.config import Settings
from shared.db import Database
from tests.support.workers import worker_env as _env


def _run(settings: Settings, *args: str):
    return CliRunner().invoke(main, ["wait-for-schema", *args], env=_env(settings), catch_exceptions=False)


def _set_revision(settings: Settings, component: str, revision: str) -> None:
    db = Database(settings.database_url(component), component)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        db.dispose()


def test_a_migrated_suite_is_ready_at_once(settings: Settings):
    result = _run(settings, "--timeout", "0")
    assert result.exit_code == 0, result.output
    assert "schema: up to date" in result.output


def test_an_older_schema_makes_the_pod_wait_then_give_up(settings: Settings):
    head, previous = _head_and_previous("intake")
    assert previous, "intake needs two migrations for this test"
    _set_revision(settings, "intake", previous)  # one migration behind
    try:
        result = _run(settings, "--timeout", "1", "--interval", "0.2")
    finally:
        _set_revision(settings, "intake", head)
    assert result.exit_code != 0
    assert "schema not migrated in time" in result.output
    assert f"intake: at ['{previous}'], this version needs ['{head}']" in result.output


def test_a_newer_schema_does_not_block_the_old_pods(settings: Settings):
    """During a rollout the old pods restart too: a revision they do not know is newer, not missing."""
    _set_revision(settings, "matching", "0123456789ab")
    try:
        result = _run(settings, "--timeout", "0")
    finally:
        _set_revision(settings, "matching", _head_and_previous("matching")[0])
    assert result.exit_code == 0, result.output


def test_an_empty_database_is_not_ready(tmp_path: Path, redis_url: str):
    from shared.config import load_settings

    settings = load_settings(
        env="test", data_dir=tmp_path / "empty", redis_url=redis_url, secret_key="x" * 40
    )
    result = _run(settings, "--timeout", "0")
    assert result.exit_code != 0
    assert "no schema" in result.output


def _head_and_previous(component: str) -> tuple[str, str | None]:
    cfg = Config()
    cfg.set_main_option("script_location", str(COMPONENTS[component].migrations))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    assert head
    previous = script.get_revision(head).down_revision
    return head, previous if isinstance(previous, str) else None
