"""Ed25519 signing keys in a directory: made on first use, rotated on request, old ones still verify.

Layout of the key directory (INSTAP_CREDENTIALS_KEY_DIR, default ``<INSTAP_DATA_DIR>/keys``):

- ``signing-key.jwk`` (0600): the active private key as a JWK, with its `kid`;
- ``jwks.json``: the public key set that is published, active key first, then every earlier key,
  so credentials signed before a rotation keep verifying;
- ``.lock``: serialises first-use generation and rotation between processes (gunicorn workers).

A rotation writes the new public key into ``jwks.json`` before it replaces the private key, so a
crash in between leaves a key set that still holds every key ever used for signing. Old private
keys are deleted: nothing can sign with a retired key. The `kid` is the RFC 7638 thumbprint.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

SIGNING_KEY_FILE = "signing-key.jwk"
JWKS_FILE = "jwks.json"
LOCK_FILE = ".lock"
PUBLIC_MEMBERS = ("kty", "crv", "x", "kid", "use")


class KeyStoreError(RuntimeError):
    """The key directory cannot be used (unreadable, or holds something that is not our key)."""


class JwksError(ValueError):
    """A document that is not a usable public key set for certificates."""


def public_jwk(key: OKPKey) -> dict[str, str]:
    """The published form of a key: exactly kty, crv, x, kid and use."""
    data = key.as_dict(private=False)
    return {"kty": "OKP", "crv": "Ed25519", "x": str(data["x"]), "kid": key.thumbprint(), "use": "sig"}


def _write_atomic(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # an existing tmp file keeps its old mode on O_CREAT
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


class KeyStore:
    """The signing keys of one deployment, kept in `directory`."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    @property
    def signing_key_path(self) -> Path:
        return self.directory / SIGNING_KEY_FILE

    @property
    def jwks_path(self) -> Path:
        return self.directory / JWKS_FILE

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read_public(self) -> list[dict[str, str]]:
        if not self.jwks_path.exists():
            return []
        try:
            return parse_jwks(json.loads(self.jwks_path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"{self.jwks_path}: {exc}") from None

    def _read_private(self) -> OKPKey | None:
        if not self.signing_key_path.exists():
            return None
        try:
            data = json.loads(self.signing_key_path.read_text(encoding="utf-8"))
            key = OKPKey.import_key(data)
        except (OSError, ValueError, JoseError) as exc:
            raise KeyStoreError(f"{self.signing_key_path}: not an Ed25519 private JWK ({exc})") from None
        if key.curve_name != "Ed25519" or not key.is_private:
            raise KeyStoreError(f"{self.signing_key_path}: not an Ed25519 private JWK")
        return key

    def _install(self, key: OKPKey, earlier: list[dict[str, str]]) -> None:
        public = public_jwk(key)
        keys = [public, *(k for k in earlier if k["kid"] != public["kid"])]
        _write_atomic(self.jwks_path, json.dumps({"keys": keys}, indent=2) + "\n", 0o644)
        private = {**key.as_dict(private=True), "kid": public["kid"], "use": "sig"}
        _write_atomic(self.signing_key_path, json.dumps(private) + "\n", 0o600)

    def signing_key(self) -> OKPKey:
        """The active private key; generated (with its JWKS) when the directory has none yet."""
        key = self._read_private()
        if key is not None and any(k["kid"] == key.thumbprint() for k in self._read_public()):
            return key
        with self._locked():
            key = self._read_private()
            earlier = self._read_public()
            if key is None:
                key = OKPKey.generate_key("Ed25519", private=True)
            # Also repairs a key set that lost the active key's public half.
            if not any(k["kid"] == key.thumbprint() for k in earlier):
                self._install(key, earlier)
            return key

    def rotate(self) -> str:
        """Make a new active key; earlier public keys stay in the JWKS. Returns the new kid."""
        with self._locked():
            earlier = self._read_public()
            current = self._read_private()
            if current is not None and not any(k["kid"] == current.thumbprint() for k in earlier):
                earlier = [public_jwk(current), *earlier]
            key = OKPKey.generate_key("Ed25519", private=True)
            self._install(key, earlier)
            return key.thumbprint()

    def jwks(self) -> dict[str, Any]:
        """The public key set to publish at /matching/.well-known/jwks.json."""
        self.signing_key()
        return {"keys": self._read_public()}


def parse_jwks(document: Any) -> list[dict[str, str]]:
    """The keys of a JWKS document, checked: Ed25519 public keys with a kid, nothing private."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError('not a JWKS: expected an object with a "keys" list')
    keys: list[dict[str, str]] = []
    for position, raw in enumerate(document["keys"]):
        if not isinstance(raw, dict):
            raise JwksError(f"key {position}: not an object")
        if raw.get("kty") != "OKP" or raw.get("crv") != "Ed25519":
            raise JwksError(f"key {position}: not an Ed25519 key (kty OKP, crv Ed25519)")
        if "d" in raw:
            raise JwksError(f"key {position}: holds a private key; a JWKS is public")
        if not isinstance(raw.get("kid"), str) or not raw["kid"]:
            raise JwksError(f"key {position}: has no kid")
        if not isinstance(raw.get("x"), str):
            raise JwksError(f"key {position}: has no public key (x)")
        if raw.get("use", "sig") != "sig":
            raise JwksError(f"key {position}: is not a signing key")
        try:
            OKPKey.import_key(raw)
        except (ValueError, JoseError) as exc:
            raise JwksError(f"key {position}: {exc}") from None
        keys.append({name: raw[name] for name in PUBLIC_MEMBERS if name in raw})
    kids = [k["kid"] for k in keys]
    if len(kids) != len(set(kids)):
        raise JwksError("two keys share a kid")
    return keys


def key_set(document: Any) -> KeySet:
    """A joserfc KeySet for verification, from a checked JWKS document."""
    return KeySet.import_key_set({"keys": parse_jwks(document)})  # type: ignore[typeddict-item]
