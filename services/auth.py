"""Logging in, the same for the login page and the token API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.users import User, authenticate


def log_in(session: Session, login: str, password: str, address: str) -> User | None:
    """The user whose password this is, or None; the attempt is recorded for throttling.

    Raises :class:`core.users.TooManyAttempts` while the login name or address is locked out.
    The caller commits at once, so a failure counts although its answer rolls the rest back.
    """
    return authenticate(session, login, password, address)
