"""Recording and reading administrative acts (the audit log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AuditEntry
from core.users import User


def record(
    session: Session,
    actor: User | None,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Append one act to the audit log in the caller's unit of work (flushes, never commits).

    ``action`` is a short dotted name (``locker.remote_open``), ``target`` what it acted on
    (``bank NH-1 / 03``), ``address`` the caller's network address; ``actor`` None is the system.
    """
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor=actor.login if actor else "system",
        action=action,
        target=target[:200],
        details=details or {},
        address=address,
    )
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, *, action: str | None = None, limit: int = 200) -> list[AuditEntry]:
    """The latest entries, newest first, optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
