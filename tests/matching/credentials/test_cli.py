"""`instap credential ...` as an outside verifier runs it: exit codes 0, 1 and 2, what it prints.

The first check runs the installed `instap` command as a real process; the others call the same
click command in this process (click's CliRunner: the same parsing, exit codes and output), since
each real start costs one to three seconds of imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.matching.credentials import (
    CertificateRecord,
    CredentialUrls,
    Issuer,
    KeyStore,
    issue_status_list,
)
from shared.cli import main

INSTAP = Path(sys.executable).with_name("instap")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _instap(*args: str | Path, env: dict[str, str] | None = None) -> Ran:
    """`instap credential ARGS` in this process."""
    result = CliRunner().invoke(main, ["credential", *map(str, args)], env=env, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def _instap_process(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`instap credential ARGS` as a real process (the installed console script)."""
    return subprocess.run(
        [str(INSTAP), "credential", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def files(
    tmp_path: Path, token: str, record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("credential.jwt", "jwks.json", "status.jwt", "revoked.jwt")}
    paths["credential.jwt"].write_text(token + "\n")
    paths["jwks.json"].write_text(json.dumps(keys.jwks()))
    programme = Issuer(urls.organisation_profile_id("programmabureau"), "Programmabureau Dordt West")
    for name, revoked in (("status.jwt", [1, 2, 3]), ("revoked.jwt", [record.status_index])):
        paths[name].write_text(
            issue_status_list(slug="1", revoked=revoked, issuer=programme, urls=urls, keys=keys)
        )
    return paths


def test_valid_credential_exits_0(files: dict[str, Path]) -> None:
    result = _instap_process("verify", files["credential.jwt"], "--jwks", files["jwks.json"])
    assert (result.returncode, result.stdout) == (0, "valid\n")
    result = _instap(
        "verify", files["credential.jwt"], "--jwks", files["jwks.json"], "--status-list", files["status.jwt"]
    )
    assert (result.returncode, result.stdout) == (0, "valid\n")


def test_revoked_credential_exits_1(files: dict[str, Path]) -> None:
    result = _instap(
        "verify", files["credential.jwt"], "--jwks", files["jwks.json"], "--status-list", files["revoked.jwt"]
    )
    assert (result.returncode, result.stdout) == (1, "invalid: revoked\n")


def test_tampered_credential_exits_1_with_one_line(files: dict[str, Path], tmp_path: Path) -> None:
    token = files["credential.jwt"].read_text().strip()
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    flipped = payload[:middle] + ("A" if payload[middle] != "A" else "B") + payload[middle + 1 :]
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(".".join([header, flipped, signature]))
    result = _instap("verify", tampered, "--jwks", files["jwks.json"])
    assert result.returncode == 1
    assert result.stdout.startswith("invalid: ") and result.stdout.count("\n") == 1
    binary = tmp_path / "binary.jwt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = _instap("verify", binary, "--jwks", files["jwks.json"])
    assert result.returncode == 1 and result.stdout.startswith("invalid: ")


def test_wrong_key_set_exits_1(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other-jwks.json"
    other.write_text(json.dumps(KeyStore(tmp_path / "other").jwks()))
    result = _instap("verify", files["credential.jwt"], "--jwks", other)
    assert result.returncode == 1
    assert result.stdout.startswith("invalid: unknown key")


def test_bad_arguments_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    private = tmp_path / "private.json"
    private.write_text(
        json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA", "kid": "k"}]})
    )
    for args in (
        ["verify", files["credential.jwt"]],  # no --jwks
        ["verify", "--jwks", files["jwks.json"]],  # no FILE
        ["verify", tmp_path / "missing.jwt", "--jwks", files["jwks.json"]],
        ["verify", files["credential.jwt"], "--jwks", tmp_path / "missing.json"],
        ["verify", files["credential.jwt"], "--jwks", not_json],
        ["verify", files["credential.jwt"], "--jwks", private],
        ["verify", files["credential.jwt"], "--jwks", files["jwks.json"], "--status-list", tmp_path / "nope"],
        ["verify", files["credential.jwt"], "--jwks", files["jwks.json"], "--bogus"],
    ):
        result = _instap(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stdout == ""


def test_rotate_key_keeps_old_credentials_verifiable(files: dict[str, Path], keys: KeyStore) -> None:
    env = {"INSTAP_CREDENTIALS_KEY_DIR": str(keys.directory)}
    old_kid = keys.signing_key().thumbprint()
    result = _instap("rotate-key", env=env)
    assert result.returncode == 0, result.stderr
    new_kid = keys.signing_key().thumbprint()
    assert new_kid != old_kid and new_kid in result.stdout
    published = _instap("jwks", env=env)
    assert published.returncode == 0
    assert [k["kid"] for k in json.loads(published.stdout)["keys"]] == [new_kid, old_kid]
    files["jwks.json"].write_text(published.stdout)
    result = _instap("verify", files["credential.jwt"], "--jwks", files["jwks.json"])
    assert (result.returncode, result.stdout) == (0, "valid\n")
