"""Who is asking, and may they? Every view declares its audience; undeclared views refuse all.

Pages use the signed session cookie; the API uses ``Authorization: Bearer <token>`` and ignores
cookies, so API calls need no CSRF token and cannot be forged from another site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from core.db import commit
from core.users import Role, User, user_for_token
from services.auth import log_in
from web.db import db

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
        if user is not None and user.active and session.get("auth") == user.password_hash[-16:]:
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
        if _is_api():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access == ANY_USER:
        return None
    if isinstance(access, frozenset) and user.has_role(*access):
        return None
    abort(403)
    return None


def check_password(login: str, password: str) -> User | None:
    """Authenticate and commit the attempt at once, so a failure counts although the request's
    answer (401) rolls back the rest. It uses the request's own session: a second one would
    wait for the write lock the request holds on SQLite.

    Raises :class:`core.users.TooManyAttempts` while the login name or address is locked out.
    """
    session = db()
    user = log_in(session, login, password, request.remote_addr or "unknown")
    commit(session)
    return user


def login_user(user: User) -> None:
    """Start a fresh session for ``user``; a changed password ends its other sessions."""
    language = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["auth"] = user.password_hash[-16:]
    if language:
        session["lang"] = language
    session.permanent = True
    g.user = user


def init_auth(app: Flask) -> None:
    @app.before_request
    def _authorise() -> Any:
        _load_user()
        return _enforce()

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"current_user": current_user(), "Role": Role}
