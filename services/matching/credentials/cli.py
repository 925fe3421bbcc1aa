"""`instap credential ...`: verify a downloaded certificate offline, rotate and show the signing keys.

Exit codes of `verify` (docs/contracts/credentials.md): 0 and ``valid``; 1 and ``invalid: <reason>``
on one line; 2 for bad arguments (a missing file, or a --jwks file that is not a key set).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .keys import JwksError, KeyStore, parse_jwks
from .verify import verify_credential

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _key_store() -> KeyStore:
    from shared.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return KeyStore(settings.credential_key_dir())


def _read_token(path: Path) -> str:
    """The file's text; undecodable bytes become U+FFFD, which verification then rejects."""
    return path.read_bytes().decode("utf-8", errors="replace").strip()


def _read_jwks(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        parse_jwks(document)
    except (UnicodeDecodeError, ValueError) as exc:  # JwksError and JSONDecodeError are ValueErrors
        raise click.BadParameter(f"{path} is not a JWKS: {exc}", param_hint="--jwks") from None
    if not isinstance(document, dict):
        raise click.BadParameter(f"{path} is not a JWKS", param_hint="--jwks")
    return document


@click.group("credential")
def credential() -> None:
    """Verifiable certificates (praktijkverklaringen): verify offline, manage the signing key."""


@credential.command("verify")
@click.argument("file", type=_FILE)
@click.option("--jwks", "jwks_file", required=True, type=_FILE, help="the published key set (jwks.json)")
@click.option(
    "--status-list",
    "status_list_file",
    type=_FILE,
    default=None,
    help="the published status list (VC-JWT); without it revocation is not checked",
)
def verify(file: Path, jwks_file: Path, status_list_file: Path | None) -> None:
    """Check the VC-JWT in FILE offline: signature, shape, validity dates and (optionally) revocation."""
    jwks = _read_jwks(jwks_file)
    status_list = _read_token(status_list_file) if status_list_file else None
    try:
        verdict = verify_credential(_read_token(file), jwks, status_list=status_list)
    except JwksError as exc:  # already checked above; kept so a bad key set can never read as "invalid"
        raise click.BadParameter(str(exc), param_hint="--jwks") from None
    click.echo(verdict.line())
    sys.exit(0 if verdict.valid else 1)


@credential.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key; earlier public keys stay published so old certificates still verify."""
    store = _key_store()
    kid = store.rotate()
    count = len(store.jwks()["keys"])
    click.echo(f"new signing key {kid}; the key set ({store.jwks_path}) now holds {count} key(s)")


@credential.command("jwks")
def jwks() -> None:
    """Print the public key set (what /matching/.well-known/jwks.json serves)."""
    click.echo(json.dumps(_key_store().jwks(), indent=2))
