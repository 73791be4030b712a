"""User management by administrators: find, add, disable, set roles, send a password link,
revoke tokens. Every act is written to the audit log in the same unit of work."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, Forbidden, Problem, ValidationFailed
from core.password_links import (
    PasswordLink,
    issue_link,
    link_for_token,
    revoke_links,
    set_password_by_link,
)
from core.users import ApiToken, Role, User, UserRole, create_user, end_sessions
from lockers.pickup_codes import code_key
from notifications.notify import notify
from services import audit
from services.notices import PUBLIC_URL

#: Users shown on one page of the list.
PAGE_SIZE = 25


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Details:
    """What an administrator types about a person (the login is fixed once chosen)."""

    name: str
    phone: str = ""
    email: str = ""
    staff_number: str = ""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_users(session: Session, text: str = "", page: int = 1) -> UserPage:
    """One page of users whose login, name, phone or staff/card number contains ``text``."""
    statement = select(User)
    if text.strip():
        like = _like(text.strip())
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(like, escape="\\")
                    for column in (User.login, User.name, User.phone, User.staff_number)
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    users = session.scalars(
        statement.order_by(User.login).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return UserPage(list(users), total, page, pages)


def _roles(names: list[str]) -> set[Role]:
    known = {role.value for role in Role}
    return {Role(name) for name in names if name in known}


def _check_details(session: Session, details: Details, user: User | None) -> None:
    problems = []
    if not details.name.strip():
        problems.append(Problem("name", N_("The name is required.")))
    number = details.staff_number.strip()
    if number:
        if len(number) > 32:
            problems.append(
                Problem("staff_number", N_("A staff or card number has at most 32 characters."))
            )
        taken = session.scalar(select(User).where(User.staff_number == number))
        if taken is not None and taken is not user:
            problems.append(
                Problem(
                    "staff_number",
                    N_("The staff or card number %(number)s belongs to %(login)s."),
                    number=number,
                    login=taken.login,
                )
            )
    if problems:
        raise ValidationFailed(problems)


def _apply(user: User, details: Details) -> None:
    user.name = details.name.strip()[:100]
    user.phone = details.phone.strip()[:32] or None
    user.email = details.email.strip()[:200] or None
    user.staff_number = details.staff_number.strip() or None


def add_user(
    session: Session,
    actor: User,
    login: str,
    details: Details,
    roles: list[str],
    address: str | None = None,
) -> User:
    """Add a user with no usable password: they set one through a link the admin sends."""
    _check_details(session, details, None)
    user = create_user(
        session,
        login.strip(),
        # Nobody knows it: the person sets their own through a one-time link.
        secrets.token_urlsafe(32),
        details.name.strip(),
        _roles(roles),
    )
    _apply(user, details)
    session.flush()
    audit.record(
        session,
        actor,
        "user.add",
        f"user {user.login}",
        {"roles": sorted(user.roles), "staff_number": user.staff_number},
        address,
    )
    return user


def update_user(
    session: Session,
    actor: User,
    user: User,
    details: Details,
    roles: list[str],
    address: str | None = None,
) -> None:
    """Change a user's details and roles; an administrator cannot take their own admin role."""
    wanted = _roles(roles)
    if not wanted:
        raise ValidationFailed([Problem("roles", N_("Give the user at least one role."))])
    if user.id == actor.id and Role.ADMIN not in wanted:
        raise Forbidden("own_admin_role", N_("You cannot take away your own administrator role."))
    _check_details(session, details, user)
    before = {"roles": sorted(user.roles), "staff_number": user.staff_number}
    _apply(user, details)
    if wanted != user.roles:
        user.role_rows = [UserRole(role=role) for role in sorted(wanted)]
    session.flush()
    audit.record(
        session,
        actor,
        "user.update",
        f"user {user.login}",
        {
            "before": before,
            "after": {"roles": sorted(wanted), "staff_number": user.staff_number},
        },
        address,
    )


def set_active(
    session: Session, actor: User, user: User, active: bool, address: str | None = None
) -> None:
    """Disable (ending every session and token at once) or enable a user; never oneself."""
    if user.id == actor.id:
        raise Forbidden("own_account", N_("You cannot disable your own account."))
    if user.active == active:
        return
    user.active = active
    if not active:
        _revoke(session, user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.enable" if active else "user.disable",
        f"user {user.login}",
        {},
        address,
    )


def _revoke(session: Session, user: User) -> int:
    now = clock.now()
    tokens = list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
    )
    for token in tokens:
        token.revoked_at = now
    revoke_links(session, user)
    end_sessions(session, user)
    return len(tokens)


def revoke_tokens(session: Session, actor: User, user: User, address: str | None = None) -> int:
    """End every session, API token and password link of ``user``; returns the tokens revoked."""
    count = _revoke(session, user)
    audit.record(
        session, actor, "user.revoke_tokens", f"user {user.login}", {"tokens": count}, address
    )
    return count


def send_password_link(
    session: Session,
    actor: User,
    user: User,
    lifetime: dt.timedelta,
    address: str | None = None,
) -> None:
    """Send ``user`` a one-time link to set their password, through the notice outbox (by
    their preferences: SMS or WeChat). Refused for a disabled user or one nobody can reach."""
    if not user.active:
        raise Conflict("user_disabled", N_("Enable the account before sending a link."))
    token = issue_link(session, user, code_key(session), lifetime)
    link_id = int(token.split("-", 1)[0])
    rows = notify(
        session,
        "password_set",
        user=user,
        params={
            "link": f"{session.info.get(PUBLIC_URL, '')}/password/{token}",
            "hours": int(lifetime.total_seconds() // 3600),
        },
        dedupe_key=f"password-link:{link_id}",
    )
    if not rows:
        raise Conflict(
            "unreachable_user",
            N_("%(login)s has no mobile number or WeChat: add one first."),
            login=user.login,
        )
    audit.record(
        session,
        actor,
        "user.password_link",
        f"user {user.login}",
        {"channels": sorted(row.channel for row in rows), "hours": lifetime.total_seconds() / 3600},
        address,
    )


def live_link(session: Session, token: str) -> PasswordLink | None:
    """The unexpired, unused link ``token`` names, or ``None``."""
    return link_for_token(session, code_key(session), token)


def set_password_with_link(
    session: Session, token: str, password: str, address: str | None = None
) -> User:
    """The person behind a live link chooses a password; the link is spent."""
    user = set_password_by_link(session, code_key(session), token, password)
    audit.record(session, user, "user.password_set", f"user {user.login}", {"by": "link"}, address)
    return user
