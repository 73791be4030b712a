"""Idempotency keys: a request sent twice (a double click, a client retrying after a timeout)
acts once, and the second answers with what the first made.

A key is claimed by inserting its row before the work is done, under a unique constraint per
scope (the user, or anonymous), operation and key. On PostgreSQL a second request with the same
key waits on that insert until the first commits, then finds the first one's result; if the first
rolled back, the second claims the key and does the work itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.db import Base
from core.errors import N_, Conflict, Problem, ValidationFailed

T = TypeVar("T")

#: Longest key accepted (a UUID in any spelling fits).
MAX_KEY = 64
#: The scope of keys sent without a login (the hall's kiosks).
ANONYMOUS = "anonymous"
#: How long a key is remembered. Clients retry within minutes, but a courier's offline queue
#: may be sent after a long weekend; a key older than this acts again.
KEEP = dt.timedelta(days=7)


class IdempotencyKey(Base):
    """One key used for one operation, and the id of what that operation made."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "operation", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``user:<id>``, or :data:`ANONYMOUS`.
    scope: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    #: A digest of what the first request asked for: the same key with another request is
    #: refused rather than answered with a result that was not asked for.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The id of the row the first request made; empty while that request is running.
    result_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


def scope_of(user_id: int | None) -> str:
    """The scope of a user's keys (a key means nothing across users)."""
    return ANONYMOUS if user_id is None else f"user:{user_id}"


def checked_key(text: str | None, field: str = "idempotency_key") -> str:
    """``text`` stripped (empty for no key); longer than :data:`MAX_KEY` characters or not
    printable ASCII is refused on ``field``."""
    key = (text or "").strip()
    if len(key) > MAX_KEY or not (key.isascii() and key.isprintable()):
        raise ValidationFailed(
            [
                Problem(
                    field,
                    N_("An idempotency key is at most %(max)s printable characters."),
                    max=MAX_KEY,
                )
            ]
        )
    return key


def _earlier(session: Session, scope: str, operation: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.scope == scope,
            IdempotencyKey.operation == operation,
            IdempotencyKey.key == key,
        )
    )


def fingerprint(*asked: object) -> str:
    """A digest of a request's parameters, to tell a replay from another request."""
    return hashlib.sha256(repr(asked).encode()).hexdigest()


def once(
    session: Session,
    scope: str,
    operation: str,
    key: str,
    asked: str,
    run: Callable[[], T],
    result_id: Callable[[T], int],
    load: Callable[[int], T],
) -> T:
    """``run()`` once per ``key``: a key seen before answers ``load`` of the first result.

    ``asked`` is the request's :func:`fingerprint`; the same key sent with another request
    (a kiosk page used again from the browser's history) is refused with :class:`Conflict`.
    Without a key, ``run()`` is simply called.
    """
    if not key:
        return run()
    earlier = _earlier(session, scope, operation, key)
    if earlier is None:
        # The outer savepoint holds the claim and the work: a refused first attempt undoes
        # both and leaves the key free for the next one.
        with session.begin_nested():
            claim = IdempotencyKey(scope=scope, operation=operation, key=key, fingerprint=asked)
            try:
                with session.begin_nested():
                    session.add(claim)
            except IntegrityError:
                earlier = _earlier(session, scope, operation, key)
            else:
                made = run()
                claim.result_id = result_id(made)
                session.flush()
                return made
    # The claim and its result are committed together, so a claim seen here has its result.
    assert earlier is not None
    assert earlier.result_id is not None
    if earlier.fingerprint != asked:
        raise Conflict(
            "key_reused",
            N_("This form was already sent with other details: open it again and resend."),
        )
    return load(earlier.result_id)


def forget_old_keys(session: Session) -> int:
    """Delete the keys older than :data:`KEEP` (the table would otherwise grow with every
    form sent); returns how many went."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEEP)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
