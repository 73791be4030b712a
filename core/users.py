"""Users, roles, passwords (argon2) and API tokens (only their hashes are stored)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import os
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core import clock
from core.db import Base, value_enum
from core.errors import N_, Conflict, NotFound, Problem, ValidationFailed
from core.passwords import check_new_password


class Role(enum.StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"
    COURIER = "courier"
    CLERK = "clerk"
    HALL_STAFF = "hall_staff"
    ADMIN = "admin"


TOKEN_LIFETIME = dt.timedelta(days=7)
MAX_TOKEN_LIFETIME = dt.timedelta(days=90)

#: Set by the test suite for itself and the processes it starts: argon2's cheapest parameters
#: hash in microseconds where the recommended ones take a tenth of a second, which was two fifths
#: of the suite's time. A deployment never sets it; a hash made with it is made again with the
#: recommended parameters at its user's next login (see :func:`authenticate`).
CHEAP_HASHES = "COURIER_TEST_CHEAP_HASHES"

log = logging.getLogger(__name__)


@cache
def _hasher() -> PasswordHasher:
    if os.environ.get(CHEAP_HASHES) == "1":
        log.warning("%s=1: passwords are hashed with test parameters", CHEAP_HASHES)
        return PasswordHasher.from_parameters(CHEAPEST)
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps a wrong login name as slow as a wrong password (made on
    first use: hashing costs tens of milliseconds, too much for every process's import)."""
    return _hasher().hash("not a password")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: A staff number or campus-card number: another way to find the person, when known.
    staff_number: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    #: Grows when the user logs out or changes password; sessions of an older one are dead.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(value_enum(Role, 16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What the owner called it ("scanner 2"), shown in their list of tokens.
    name: Mapped[str] = mapped_column(String(64), default="api", server_default="api")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def create_user(
    session: Session,
    login: str,
    password: str,
    name: str,
    roles: set[Role] | frozenset[Role],
    *,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Add a user; refuses a taken login, a short password or no role."""
    problems = []
    if not login or len(login) > 64 or not login.replace("_", "").replace(".", "").isalnum():
        problems.append(Problem("login", N_("Use letters, digits, '.' or '_' (at most 64).")))
    if len(password) < 8:
        problems.append(Problem("password", N_("A password needs at least 8 characters.")))
    if not roles:
        problems.append(Problem("roles", N_("Give the user at least one role.")))
    if problems:
        raise ValidationFailed(problems)
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict("login_taken", N_("The login %(login)s is taken."), login=login)
    user = User(
        login=login,
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        role_rows=[UserRole(role=Role(role)) for role in sorted(roles)],
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user with this login and password, or ``None`` (throttling is the
    caller's: see :func:`services.auth.log_in`)."""
    login = login.strip()[:64]
    user = session.scalar(select(User).where(User.login == login, User.active.is_(True)))
    try:
        verified = _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        verified = False
    if user is None or not verified:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, user: User, name: str = "api", lifetime: dt.timedelta = TOKEN_LIFETIME
) -> str:
    """Create an API token named ``name`` for ``user``, valid for ``lifetime`` (at most
    :data:`MAX_TOKEN_LIFETIME`); only its SHA-256 is stored, so show it once."""
    name = name.strip()[:64]
    if not name:
        raise ValidationFailed([Problem("name", N_("Name the token."))])
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_hash=_digest(token),
            expires_at=clock.now() + min(lifetime, MAX_TOKEN_LIFETIME),
        )
    )
    session.flush()
    return token


def live_tokens(session: Session, user: User) -> list[ApiToken]:
    """``user``'s unrevoked, unexpired tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > clock.now(),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of ``user``'s own tokens; another user's id is not found."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("token", N_("There is no such token."))
    row.revoked_at = row.revoked_at or clock.now()
    session.flush()


def end_sessions(session: Session, user: User) -> None:
    """Make every signed-in session of ``user`` invalid (logout ends it server-side)."""
    user.session_generation += 1
    session.flush()


def change_password(session: Session, user: User, password: str) -> None:
    """Set a new password that passes the policy; ends every session and revokes every token."""
    check_new_password(password, user.login, user.name, user.phone or "", user.email or "")
    user.password_hash = hash_password(password)
    now = clock.now()
    for row in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        row.revoked_at = now
    end_sessions(session, user)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user an unexpired token belongs to, or ``None``."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if (
        row is None
        or row.revoked_at is not None
        or row.expires_at <= clock.now()
        or not row.user.active
    ):
        return None
    now = clock.now()
    # Record use coarsely: a write on every API call would serialise readers on SQLite.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now
    return row.user
