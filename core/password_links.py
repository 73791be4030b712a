"""One-time links that let a person set their password (sent by an administrator).

A link names its row and expiry, signed with the server's key and the user's current password
hash: it works once, until it expires, and stops working when the password changes, when a newer
link is sent or when the administrator revokes the user's tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core import clock
from core.db import Base
from core.errors import N_, NotFound
from core.users import User, change_password


class PasswordLink(Base):
    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


def _signature(key: str, link: PasswordLink, expires: int) -> str:
    message = f"password-link:{link.id}:{expires}:{link.user.password_hash}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def revoke_links(session: Session, user: User) -> None:
    """End every unused link of ``user``."""
    now = clock.now()
    for link in session.scalars(
        select(PasswordLink).where(
            PasswordLink.user_id == user.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.revoked_at.is_(None),
        )
    ):
        link.revoked_at = now
    session.flush()


def issue_link(session: Session, user: User, key: str, lifetime: dt.timedelta) -> str:
    """A new link's token for ``user``, valid for ``lifetime``; earlier links stop working."""
    revoke_links(session, user)
    link = PasswordLink(user=user, expires_at=clock.now() + lifetime)
    session.add(link)
    session.flush()
    expires = int(link.expires_at.replace(tzinfo=link.expires_at.tzinfo or dt.UTC).timestamp())
    return f"{link.id}-{expires:x}-{_signature(key, link, expires)}"


def link_for_token(session: Session, key: str, token: str) -> PasswordLink | None:
    """The live link ``token`` names, or ``None`` for a forged, expired, used or revoked one."""
    parts = token.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not 0 < len(parts[1]) <= 12:
        return None
    try:
        expires = int(parts[1], 16)
    except ValueError:
        return None
    link = session.get(PasswordLink, int(parts[0]))
    if link is None or not hmac.compare_digest(_signature(key, link, expires), parts[2]):
        return None
    if (
        dt.datetime.fromtimestamp(expires, dt.UTC) <= clock.now()
        or link.used_at is not None
        or link.revoked_at is not None
        or not link.user.active
    ):
        return None
    return link


def set_password_by_link(session: Session, key: str, token: str, password: str) -> User:
    """Set the password a live link allows (the password policy applies) and spend the link.

    Raises :class:`NotFound` for a dead link and ``ValidationFailed`` for a weak password.
    """
    link = link_for_token(session, key, token)
    if link is None:
        raise NotFound("password_link", N_("This link has expired or was used; ask for a new one."))
    change_password(session, link.user, password)
    link.used_at = clock.now()
    session.flush()
    return link.user
