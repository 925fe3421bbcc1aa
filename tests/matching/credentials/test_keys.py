"""The key store: made once on first use (also under concurrency), private parts 0600, rotatable."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

import pytest

from services.matching.credentials import JwksError, KeyStore, KeyStoreError, parse_jwks
from shared.config import load_settings

JWK_MEMBERS = {"kty", "crv", "x", "kid", "use"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_makes_a_private_key_and_a_public_jwks(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "var" / "keys")
    key = store.signing_key()
    assert key.is_private and key.curve_name == "Ed25519"
    assert _mode(store.directory) == 0o700
    assert _mode(store.signing_key_path) == 0o600
    private = json.loads(store.signing_key_path.read_text())
    assert private["kid"] == key.thumbprint() and "d" in private
    jwks = store.jwks()
    assert jwks == json.loads(store.jwks_path.read_text())
    [published] = jwks["keys"]
    assert set(published) == JWK_MEMBERS
    assert published | {"x": "-"} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "-",
        "kid": key.thumbprint(),
        "use": "sig",
    }
    # Asking again reuses the same key.
    assert KeyStore(store.directory).signing_key().thumbprint() == key.thumbprint()


def test_rotation_keeps_old_public_keys_and_drops_old_private_ones(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.signing_key().thumbprint()
    second = store.rotate()
    third = store.rotate()
    assert len({first, second, third}) == 3
    assert [k["kid"] for k in store.jwks()["keys"]] == [third, second, first]
    assert store.signing_key().thumbprint() == third
    assert _mode(store.signing_key_path) == 0o600
    private_files = [p for p in store.directory.iterdir() if "d" in json.loads(p.read_text() or "{}")]
    assert private_files == [store.signing_key_path]


def test_rotation_on_an_empty_directory_makes_one_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    kid = store.rotate()
    assert [k["kid"] for k in store.jwks()["keys"]] == [kid]


def _first_use(directory: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(KeyStore(directory).signing_key().thumbprint())


def test_concurrent_first_use_makes_one_key(tmp_path: Path) -> None:
    directory = str(tmp_path / "keys")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_first_use, args=(directory, queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    kids = {queue.get(timeout=5) for _ in workers}
    assert len(kids) == 1
    assert [k["kid"] for k in KeyStore(directory).jwks()["keys"]] == list(kids)


def test_a_broken_key_file_is_reported_not_replaced(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.signing_key()
    store.signing_key_path.write_text("not json")
    with pytest.raises(KeyStoreError):
        store.signing_key()
    assert store.signing_key_path.read_text() == "not json"


def test_settings_name_the_key_directory(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).credential_key_dir() == tmp_path / "keys"
    assert load_settings(credentials_key_dir=tmp_path / "elders").credential_key_dir() == tmp_path / "elders"
    assert load_settings(credentials_key_dir="", data_dir=tmp_path).credential_key_dir() == tmp_path / "keys"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a JWKS"),
        ({"keys": "x"}, "not a JWKS"),
        ({"keys": [{"kty": "RSA", "kid": "a"}]}, "not an Ed25519 key"),
        ({"keys": [{"kty": "OKP", "crv": "X25519", "x": "AA", "kid": "a"}]}, "not an Ed25519 key"),
        ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": ""}]}, "has no kid"),
        ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": "a", "d": "AA"}]}, "private"),
        (
            {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": "a", "use": "enc"}]},
            "not a signing key",
        ),
    ],
)
def test_bad_key_sets_are_refused(document: object, message: str) -> None:
    with pytest.raises(JwksError, match=message):
        parse_jwks(document)


def test_duplicate_kids_and_bad_points_are_refused(tmp_path: Path) -> None:
    [key] = KeyStore(tmp_path / "keys").jwks()["keys"]
    with pytest.raises(JwksError, match="share a kid"):
        parse_jwks({"keys": [key, dict(key)]})
    with pytest.raises(JwksError):
        parse_jwks({"keys": [key | {"x": "AAAA"}]})
