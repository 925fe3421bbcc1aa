"""The OpenAPI documents in docs/openapi/ are generated from code and must not drift from it.

`make openapi` (= `instap openapi --write docs/openapi`) writes them; this test runs the same CLI
in a subprocess and compares. It also checks what every client relies on: each operation of the
API needs authentication, documents how a refusal (401/403) looks, and has a 2xx answer; and it
compares the documents with real behaviour: every operation is called without a token, as every
role that may not use it, and for an object that does not exist, and the answer's status must be
one the operation declares, in the error shape the document gives (tests/test_api_fuzz.py does the
same with generated requests). Every declared error is a documented response in that shape.
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

from shared.auth.roles import ALL_ROLES
from shared.components import services
from shared.errors import CODES_BY_STATUS, error_body
from tests.conftest import bearer

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


def test_every_api_service_is_documented() -> None:
    """Each service that registers API blueprints has a document (intake and matching today)."""
    with_api = {c.name for c in services() if (ROOT / "services" / c.name / "api").is_dir()}
    assert with_api, "no service has an api/ package"
    assert with_api <= set(SERVICES), f"services with an API but no document: {with_api - set(SERVICES)}"


def _error_schema(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]["Error"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_documented_error_is_the_error_the_code_sends(generated: Path, service: str) -> None:
    """The `Error` schema has exactly the keys and JSON types of shared/errors.py's error_body."""
    schema = _error_schema(_load(generated, service))
    body = error_body(404, "Niet gevonden.", {"field": ["bericht"]})
    json_types = {str: "string", int: "integer", dict: "object"}
    assert set(schema["properties"]) == set(body), schema
    assert set(schema["required"]) == set(body), schema
    for key, value in body.items():
        assert schema["properties"][key]["type"] == json_types[type(value)], (key, schema)


@pytest.mark.parametrize("service", SERVICES)
def test_every_declared_error_is_a_documented_response(generated: Path, service: str) -> None:
    """Each 4xx/5xx an operation lists resolves to a response in the Error shape, for a status the
    suite has a `code` for; and no operation hides its errors behind a catch-all `default`."""
    doc = _load(generated, service)
    components = doc["components"]["responses"]
    problems = []
    for path, method, op in _operations(doc):
        for status, response in op["responses"].items():
            if status == "default":
                problems.append(f"{method} {path}: a catch-all `default` response")
                continue
            if int(status) < 400:
                continue
            if int(status) not in CODES_BY_STATUS:
                problems.append(f"{method} {path}: {status} has no error code in shared/errors.py")
            ref = response.get("$ref", "")
            resolved = components.get(ref.rsplit("/", 1)[-1]) if ref else response
            schema = (resolved or {}).get("content", {}).get("application/json", {}).get("schema", {})
            if schema != {"$ref": "#/components/schemas/Error"}:
                problems.append(f"{method} {path}: {status} is not documented in the Error shape")
    assert not problems, "\n".join(problems)


def _declared(doc: dict[str, Any], path: str, method: str) -> set[int]:
    return {int(s) for s in doc["paths"][path][method.lower()]["responses"] if s.isdigit()}


def _view(app: Any, service: str, path: str, method: str) -> Any:
    """The view function behind a documented operation (to read the roles it admits)."""
    # API paths carry the service's prefix before /api; a few public documents live outside
    # /api (matching's /.well-known/jwks.json, whose place a standard fixes).
    api_path = f"/api{path.split('/api', 1)[1]}" if "/api" in path else path
    rule = api_path.replace("{", "<").replace("}", ">")
    for url_rule in app.url_map.iter_rules():
        if url_rule.rule.replace("<int:", "<") == rule and method in url_rule.methods:
            view = app.view_functions[url_rule.endpoint]
            return getattr(getattr(view, "view_class", None), method.lower(), view)
    raise AssertionError(f"{method} {path} is documented but no route serves it")


def _fill(path: str) -> str:
    """A path with each parameter set to something that exists nowhere."""
    import re

    return re.sub(r"\{[^}]+\}", lambda m: "2147483000" if m.group(0).endswith("_id}") else "NOPE-0", path)


def _check_against_document(doc: dict[str, Any], calls: list[tuple[str, str, str, Any]]) -> None:
    problems = []
    for path, method, who, response in calls:
        declared = _declared(doc, path, method)
        if response.status_code not in declared:
            problems.append(f"{method} {path} as {who}: {response.status_code}, declared {sorted(declared)}")
        elif response.status_code >= 400:
            body = response.get_json(silent=True) or {}
            if set(body) != {"code", "status", "message", "errors"} or body["status"] != response.status_code:
                problems.append(f"{method} {path} as {who}: {response.status_code} not in the Error shape")
    assert not problems, "answers the document does not declare:\n" + "\n".join(problems)


def _behaviour(app: Any, service: str, make_token: Any) -> None:
    client = app.test_client()
    doc = client.get(f"/{service}/api/openapi.json").get_json()
    tokens = {role: make_token(role, org=f"Drift {role}") for role in ALL_ROLES}
    calls: list[tuple[str, str, str, Any]] = []
    refused = 0
    for path, method, _op in _operations(doc):
        url = f"/{service}{_fill(path)}"
        body = {} if method in ("POST", "PUT", "PATCH") else None
        calls.append((path, method, "anonymous", client.open(url, method=method, json=body)))
        roles = getattr(_view(app, service, path, method), "required_roles", ALL_ROLES)
        for role in ALL_ROLES:
            response = client.open(url, method=method, json=body, headers=bearer(tokens[role]))
            calls.append((path, method, role, response))
            if role not in roles:
                refused += 1
                assert response.status_code == 403, f"{method} {path} let {role} through"
    assert refused, "no operation refuses any role: the check above checked nothing"
    _check_against_document(doc, calls)


def test_intake_behaves_as_documented(app: Any, make_token: Any) -> None:
    _behaviour(app, "intake", make_token)


def test_matching_behaves_as_documented(matching_app: Any, make_token: Any) -> None:
    _behaviour(matching_app, "matching", make_token)


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
