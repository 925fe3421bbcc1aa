"""Use cases on accounts: create organisations, users and tokens; check passwords and tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, overload

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared.auth.hashing import PasswordHashing, hashing_profile
from shared.auth.models import ApiToken, Organisation, User
from shared.auth.passwords import check_password_policy
from shared.auth.roles import ALL_ROLES
from shared.db import utcnow
from shared.errors import Conflict, Invalid

TOKEN_PREFIX = "instap_"  # noqa: S105 - a prefix, not a secret
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
# A token's last use is written at most this often: a write per request would cost more than
# the read it records, and a minute is precise enough to see which clients are still alive.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user or a machine token."""

    user_id: int | None
    name: str
    role: str
    organisation_id: int
    organisation_name: str
    via: str  # "session" | "token"
    token_id: int | None = None  # which API token, so reads through it are audited by id

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
    check_password_policy(password, email=email, name=name)
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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    organisation: Organisation,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> str:
    """Create a machine token and return it; only its digest is stored. It ends after `lifetime`."""
    if role not in ALL_ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ALL_ROLES)}"]})
    if lifetime <= timedelta(0):
        raise Invalid("lifetime must be positive", {"lifetime": ["Kies een looptijd van minstens één dag."]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_hash=token_digest(token),
            name=name,
            role=role,
            organisation=organisation,
            expires_at=utcnow() + lifetime,
        )
    )
    session.flush()
    return token


@overload
def principal_for_token(
    session: Session, token: str, now: datetime | None = None, *, with_expiry: Literal[False] = False
) -> Principal | None: ...


@overload
def principal_for_token(
    session: Session, token: str, now: datetime | None = None, *, with_expiry: Literal[True]
) -> tuple[Principal, datetime] | None: ...


def principal_for_token(
    session: Session, token: str, now: datetime | None = None, *, with_expiry: bool = False
) -> Principal | tuple[Principal, datetime] | None:
    """The principal of a live token (not revoked, not expired); records its use once a minute.
    With `with_expiry`, also when the token ends (for a cache that must not outlive it)."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        # Conditional, so that concurrent requests of one token write once, not once each.
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == row.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_TOUCH_INTERVAL),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    principal = Principal(
        None, row.name, row.role, row.organisation_id, row.organisation.name, "token", row.id
    )
    return (principal, row.expires_at) if with_expiry else principal


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return Principal(user.id, user.name, user.role, user.organisation_id, user.organisation.name, "session")


def principal_for_session(session: Session, user_id: int, session_version: int) -> Principal | None:
    """The principal of a session cookie, if the user is active and the cookie's version current."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return Principal(user.id, user.name, user.role, user.organisation_id, user.organisation.name, "session")


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of this user: cookies carrying the old version are refused from now on."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise Invalid("unknown user", {"email": ["Er is geen account met dit e-mailadres."]})
    return user


def change_password(
    session: Session, user: User, new_password: str, hashing: PasswordHashing | None = None
) -> None:
    """Set a new password (same rules as a new account) and end every session of the user."""
    check_password_policy(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password, hashing)
    session.flush()
    end_sessions(session, user.id)


def change_role(session: Session, user: User, role: str) -> None:
    """Give the user another role and end their sessions, so no page keeps the old rights."""
    if role not in ALL_ROLES:
        raise Invalid("unknown role", {"role": [f"must be one of {', '.join(ALL_ROLES)}"]})
    user.role = role
    session.flush()
    end_sessions(session, user.id)


def organisation_names(session: Session, ids: set[int] | list[int]) -> dict[int, str]:
    """Names of these organisations (staff data, the same for every service): id → name."""
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(set(ids))))
    return {row.id: row.name for row in rows}
