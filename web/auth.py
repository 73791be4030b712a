"""Who is asking, and may they? Every view declares its audience; undeclared views refuse all.

Pages use the signed session cookie; the API uses ``Authorization: Bearer <token>`` and ignores
cookies, so API calls need no CSRF token and cannot be forged from another site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from core.users import Role, User, user_for_token
from services.auth import log_in
from web.db import db
from web.errors import wants_json
from web.throttling import client_address, throttle

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_USER = "any_user"


def public(view: F) -> F:
    """Anyone, logged in or not, may use this view."""
    view._access = PUBLIC  # type: ignore[attr-defined]
    return view


def login_required(view: F) -> F:
    """Any logged-in user may use this view."""
    view._access = ANY_USER  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only users holding one of ``roles`` may use this view (administrators always may)."""

    def decorate(view: F) -> F:
        view._access = frozenset(roles) | {Role.ADMIN}  # type: ignore[attr-defined]
        return view

    return decorate


def current_user() -> User | None:
    return g.get("user")


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _load_user() -> None:
    g.user = None
    if _is_api():
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            g.user = user_for_token(db(), token.strip())
        return
    user_id = session.get("user_id")
    if user_id is not None:
        user = db().get(User, user_id)
        if (
            user is not None
            and user.active
            and session.get("auth") == user.password_hash[-16:]
            and session.get("generation") == user.session_generation
        ):
            g.user = user
        else:
            session.clear()


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    view = current_app.view_functions.get(endpoint)
    access = getattr(view, "_access", None)
    if access == PUBLIC:
        return None
    user = current_user()
    if user is None:
        # A page's script asking for JSON (the courier's queue) must learn that the session
        # ended: a redirect to the login page would read as a network failure.
        if _is_api() or wants_json():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access == ANY_USER:
        return None
    if isinstance(access, frozenset) and user.has_role(*access):
        return None
    abort(403)
    return None


#: Session key listing the accounts this browser logged in to (kept across logouts).
KNOWN_ACCOUNTS = "known"


def check_password(login: str, password: str) -> User | None:
    """Authenticate against the throttle; a browser that logged in to ``login`` before is not
    held by the limit its address has over all accounts.

    Raises :class:`core.throttle.TooManyAttempts` while a limit is used up.
    """
    known = login.strip() in session.get(KNOWN_ACCOUNTS, [])
    return log_in(db(), throttle(), login, password, client_address(), known_browser=known)


def login_user(user: User) -> None:
    """Start a fresh session for ``user``; a changed password ends its other sessions."""
    kept = keep_across_sessions()
    session.clear()
    session.update(kept)
    session[KNOWN_ACCOUNTS] = sorted({*kept.get(KNOWN_ACCOUNTS, []), user.login})[-10:]
    session["user_id"] = user.id
    session["auth"] = user.password_hash[-16:]
    session["generation"] = user.session_generation
    session.permanent = True
    g.user = user


def keep_across_sessions() -> dict[str, Any]:
    """What outlives logging out: the chosen language and the accounts known to this browser."""
    return {key: session[key] for key in ("lang", KNOWN_ACCOUNTS) if key in session}


def init_auth(app: Flask) -> None:
    @app.before_request
    def _authorise() -> Any:
        _load_user()
        return _enforce()

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"current_user": current_user(), "Role": Role}
