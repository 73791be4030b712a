"""Logging in, the same for the login page and the token API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS, Throttle
from core.users import User, authenticate


def log_in(
    session: Session,
    throttle: Throttle,
    login: str,
    password: str,
    address: str,
    *,
    known_browser: bool = False,
) -> User | None:
    """The user whose password this is, or None; a failure counts against the account at this
    address and against the address.

    ``known_browser`` says the browser logged in to this account before: the address's limit
    over all accounts then does not apply, so guessing at other accounts from a shared address
    (a campus NAT) never locks out the right password of this one. Raises
    :class:`core.throttle.TooManyAttempts` while a limit is used up, before checking anything.
    """
    login = login.strip()[:64]
    if not known_browser:
        throttle.check(LOGIN_ADDRESS, address)
    # Counted before the password is checked, so simultaneous guesses cannot all slip in
    # under the limit; a right password forgives the account's count below.
    throttle.take(LOGIN_ACCOUNT, login, address)
    user = authenticate(session, login, password)
    if user is None:
        throttle.hit(LOGIN_ADDRESS, address)
        return None
    throttle.clear(LOGIN_ACCOUNT, login, address)
    return user
