"""Use cases on accounts: create organisations, users and tokens; check passwords and tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth.models import ApiToken, Organisation, User
from shared.auth.passwords import PasswordHashing, hashing_profile
from shared.auth.roles import ALL_ROLES
from shared.errors import Conflict, Invalid

TOKEN_PREFIX = "instap_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user or a machine token."""

    user_id: int | None
    name: str
    role: str
    organisation_id: int
    organisation_name: str
    via: str  # "session" | "token"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def hash_password(password: str, hashing: PasswordHashing | None = None) -> str:
    """Hash with the given profile (`hashing_for(settings)`); full strength when none is given."""
    return (hashing or hashing_profile()).hash(password)


def get_or_create_organisation(session: Session, name: str, kind: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
    return org


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    organisation: Organisation,
    hashing: PasswordHashing | None = None,
) -> User:
    email = email.strip().lower()
    if role not in ALL_ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ALL_ROLES)}"]})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password too short", {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]})
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"user {email} exists already")
    user = User(
        email=email,
        name=name,
        role=role,
        organisation=organisation,
        password_hash=hash_password(password, hashing),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, hashing: PasswordHashing | None = None
) -> User | None:
    """The active user with this e-mail and password, else None (constant-ish time)."""
    hashing = hashing or hashing_profile()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None else None
    if not hashing.verify(stored, password):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    if hashing.needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, hashing)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, name: str, role: str, organisation: Organisation) -> str:
    """Create a machine token and return it; only its digest is stored."""
    if role not in ALL_ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ALL_ROLES)}"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_token_digest(token), name=name, role=role, organisation=organisation))
    session.flush()
    return token


def principal_for_token(session: Session, token: str) -> Principal | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal(None, row.name, row.role, row.organisation_id, row.organisation.name, "token")


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return Principal(user.id, user.name, user.role, user.organisation_id, user.organisation.name, "session")
