"""The OpenAPI documents in docs/openapi/ are generated from code and must not drift from it.

`make openapi` (= `instap openapi --write docs/openapi`) writes them; this test runs the same CLI
in a subprocess and compares. It also checks what every client relies on: each operation of the
API (intake first of all) needs authentication, documents how a refusal (401/403) looks, and has a 2xx answer.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.components import services

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "openapi"
SERVICES = [c.name for c in services()]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FIX = "run `make openapi` and commit the result"
# Settings a shell or CI might export; the documents must not depend on them.
LEAKY_ENV = (
    "REDIS_URL",
    "INSTAP_SECRET_KEY",
    "ACCOUNTS_DATABASE_URL",
    "INTAKE_DATABASE_URL",
    "MATCHING_DATABASE_URL",
    "RAPPORTAGE_DATABASE_URL",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "INSTAP_DEFAULT_LOCALE",
)


def _generate(out: Path, data_dir: Path, hash_seed: str) -> Path:
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    env.update({"INSTAP_ENV": "development", "INSTAP_DATA_DIR": str(data_dir), "PYTHONHASHSEED": hash_seed})
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", "openapi", "--write", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"`instap openapi` failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents as the code generates them now (what `make openapi` would write)."""
    return _generate(tmp_path_factory.mktemp("openapi"), tmp_path_factory.mktemp("openapi-var"), "0")


def _load(generated: Path, service: str) -> dict[str, Any]:
    return json.loads((generated / f"{service}.json").read_text())


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in sorted(doc.get("paths", {}).items()):
        for method in HTTP_METHODS:
            if method in item:
                yield path, method.upper(), item[method]


@pytest.mark.parametrize("service", SERVICES)
def test_checked_in_document_is_what_the_code_generates(generated: Path, service: str) -> None:
    fresh = (generated / f"{service}.json").read_text()
    checked_in = DOCS / f"{service}.json"
    rel = checked_in.relative_to(ROOT)
    assert checked_in.exists(), f"{rel} is missing: {FIX}"
    current = checked_in.read_text()
    if current != fresh:
        diff = list(
            difflib.unified_diff(
                current.splitlines(),
                fresh.splitlines(),
                f"{rel} (checked in)",
                f"{rel} (from code)",
                lineterm="",
                n=2,
            )
        )
        shown = "\n".join(diff[:80]) + ("\n..." if len(diff) > 80 else "")
        pytest.fail(f"{rel} is out of date with the code: {FIX}.\n{shown}", pytrace=False)


def test_no_checked_in_document_without_a_service(generated: Path) -> None:
    stale = sorted({p.name for p in DOCS.glob("*.json")} - {p.name for p in generated.glob("*.json")})
    assert not stale, f"docs/openapi/{stale} belong to no service any more: delete them ({FIX})"


def test_generation_is_deterministic(generated: Path, tmp_path: Path) -> None:
    """Another data dir (so another dev secret key) and hash seed must give the same bytes."""
    again = _generate(tmp_path / "out", tmp_path / "var", "12345")
    for service in SERVICES:
        first = (generated / f"{service}.json").read_text()
        second = (again / f"{service}.json").read_text()
        assert first == second, (
            f"`instap openapi` wrote a different {service}.json on a second run: "
            "the generation must not include timestamps, random values or "
            "set order (fix the `openapi` command in shared/cli.py)"
        )


def test_intake_is_documented() -> None:
    assert "intake" in SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_requires_authentication(generated: Path, service: str) -> None:
    doc = _load(generated, service)
    schemes = doc.get("components", {}).get("securitySchemes", {})
    assert schemes, f"the {service} document declares no securitySchemes"
    problems = []
    for path, method, op in _operations(doc):
        requirements = op.get("security", doc.get("security"))
        if not requirements:
            problems.append(f"{method} {path}: no security requirement (and no global one)")
            continue
        if any(not req for req in requirements):  # `{}` means: anonymous access allowed
            problems.append(f"{method} {path}: allows anonymous access ({{}} in security)")
        unknown = {name for req in requirements for name in req} - set(schemes)
        if unknown:
            problems.append(f"{method} {path}: unknown security scheme(s) {sorted(unknown)}")
        # A client must be able to read the refusal: 401/403 listed, or the default error body.
        if not {"401", "403", "default"} & set(op.get("responses", {})):
            problems.append(f"{method} {path}: documents neither 401/403 nor a default error")
    assert list(_operations(doc)), f"the {service} document has no operations"
    assert not problems, f"{service} API operations without proper security:\n" + "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_documents_a_2xx_response(generated: Path, service: str) -> None:
    doc = _load(generated, service)
    missing = [
        f"{method} {path}"
        for path, method, op in _operations(doc)
        if not any(str(code).startswith("2") for code in op.get("responses", {}))
    ]
    assert not missing, f"{service} operations without a documented 2xx response: {missing}"
