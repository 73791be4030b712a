"""The life of a follow-up (整改): opened by a poor rating with a deadline in working days,
rectified by the staff responsible, appealed by the rater, reviewed by an administrator.

Every act is in the audit log; an administrator who rejects a rectification (or upholds the
rater's appeal) sends it back to the staff with a fresh deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core import clock
from core.audit import AuditEntry
from core.errors import N_, Conflict, DomainError, Forbidden, NotFound
from core.events import publish
from core.users import Role, User
from core.workdays import add_working_days
from feedback.events import FollowUpOpened, FollowUpOverdue, FollowUpRectified, FollowUpReviewed
from feedback.models import Decision, FollowUp, Source, State

#: Working days the staff have for a rectification unless the site says otherwise.
DEFAULT_DAYS = 5
#: Where a session finds the site's number of working days (set by ``services.bootstrap``).
DAYS_KEY = "feedback.follow_up_days"
#: Longest text of a rectification, an appeal or a review note.
MAX_TEXT = 1000


@dataclass(frozen=True)
class Rated:
    """What a follow-up needs to know of the poor rating that opens it."""

    source: Source
    subject_id: int
    label: str
    level: int
    reasons: Sequence[str]
    comment: str
    department_id: int | None
    window_number: int | None
    assignee_id: int | None
    rater_id: int | None
    rater_phone: str | None = None


def _audit(session: Session, actor: User | None, action: str, follow_up: FollowUp,
           **details: Any) -> None:  # fmt: skip
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor=actor.login if actor else "system",
            action=action,
            target=f"follow-up {follow_up.id} ({follow_up.source.value} {follow_up.label})",
            details=details,
        )
    )


def _deadline(session: Session, start: dt.datetime) -> tuple[dt.datetime, bool]:
    days = int(session.info.get(DAYS_KEY, DEFAULT_DAYS))
    due = add_working_days(session, start, days)
    return due.at, due.provisional


def open_follow_up(session: Session, rated: Rated) -> FollowUp:
    """Open the follow-up of a poor rating, due ``DAYS_KEY`` working days from now."""
    now = clock.now()
    due_at, provisional = _deadline(session, now)
    follow_up = FollowUp(
        source=rated.source,
        subject_id=rated.subject_id,
        label=rated.label,
        level=rated.level,
        reasons=list(rated.reasons),
        comment=rated.comment,
        department_id=rated.department_id,
        window_number=rated.window_number,
        assignee_id=rated.assignee_id,
        rater_id=rated.rater_id,
        rater_phone=rated.rater_phone,
        state=State.OPEN,
        opened_at=now,
        due_at=due_at,
        due_provisional=provisional,
    )
    session.add(follow_up)
    session.flush()
    _audit(session, None, "follow_up.opened", follow_up, level=rated.level,
           due_at=due_at.isoformat())  # fmt: skip
    publish(session, FollowUpOpened(follow_up.id))
    return follow_up


def may_see(user: User, follow_up: FollowUp) -> bool:
    """The rater, the staff responsible and administrators see a follow-up."""
    return user.has_role(Role.ADMIN) or user.id in (follow_up.rater_id, follow_up.assignee_id)


def get(session: Session, follow_up_id: int, user: User) -> FollowUp:
    """The follow-up ``follow_up_id`` if ``user`` may see it (else not found: no probing)."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or not may_see(user, follow_up):
        raise NotFound("no_follow_up", N_("No such follow-up."))
    return follow_up


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise DomainError(f"no_{field}", N_("Please say what was done or why."))
    if len(text) > MAX_TEXT:
        raise DomainError("too_long", N_("At most %(count)s characters."), count=MAX_TEXT)
    return text


def rectify(session: Session, follow_up: FollowUp, staff: User, note: str) -> FollowUp:
    """The responsible staff (or an administrator) record what they did about the complaint."""
    if not (staff.has_role(Role.ADMIN) or staff.id == follow_up.assignee_id):
        raise Forbidden("not_yours", N_("This follow-up is assigned to someone else."))
    if follow_up.state is not State.OPEN:
        raise Conflict("not_open", N_("This follow-up is not waiting for a rectification."))
    follow_up.rectification = _text(note, "rectification")
    follow_up.rectified_at, follow_up.rectified_by_id = clock.now(), staff.id
    follow_up.state = State.RECTIFIED
    session.flush()
    _audit(session, staff, "follow_up.rectified", follow_up)
    publish(session, FollowUpRectified(follow_up.id))
    return follow_up


def appeal(session: Session, follow_up: FollowUp, rater: User, reason: str) -> FollowUp:
    """The rater does not accept the rectification: an administrator will review it."""
    if rater.id != follow_up.rater_id:
        raise Forbidden("not_rater", N_("Only the person who rated may appeal."))
    if follow_up.state is not State.RECTIFIED:
        raise Conflict("no_appeal", N_("An appeal is possible once a rectification is recorded."))
    follow_up.appeal = _text(reason, "appeal")
    follow_up.appealed_at = clock.now()
    follow_up.state = State.APPEALED
    session.flush()
    _audit(session, rater, "follow_up.appealed", follow_up)
    return follow_up


def review(
    session: Session, follow_up: FollowUp, admin: User, decision: Decision, note: str = ""
) -> FollowUp:
    """An administrator accepts the rectification (closing it, dismissing any appeal) or
    rejects it (upholding any appeal): back to the staff with a fresh deadline."""
    if not admin.has_role(Role.ADMIN):
        raise Forbidden("not_admin", N_("Only an administrator reviews follow-ups."))
    if follow_up.state not in (State.RECTIFIED, State.APPEALED):
        raise Conflict("nothing_to_review", N_("There is no rectification to review yet."))
    now = clock.now()
    follow_up.decision, follow_up.review_note = decision, note.strip()[:MAX_TEXT]
    follow_up.reviewed_at, follow_up.reviewed_by_id = now, admin.id
    if decision is Decision.ACCEPTED:
        follow_up.state = State.CLOSED
    else:
        follow_up.state = State.OPEN
        follow_up.reopened += 1
        follow_up.due_at, follow_up.due_provisional = _deadline(session, now)
        follow_up.overdue_at = None
    session.flush()
    _audit(session, admin, "follow_up.reviewed", follow_up, decision=decision.value,
           appealed=follow_up.appealed_at is not None)  # fmt: skip
    publish(session, FollowUpReviewed(follow_up.id))
    return follow_up


def flag_overdue(session: Session) -> int:
    """Flag open follow-ups past their deadline, each once per deadline; the scheduler's job."""
    now = clock.now()
    late = list(
        session.scalars(
            select(FollowUp)
            .where(
                FollowUp.state == State.OPEN,
                FollowUp.due_at < now,
                FollowUp.overdue_at.is_(None),
            )
            .order_by(FollowUp.id)
        )
    )
    for follow_up in late:
        follow_up.overdue_at = now
        _audit(session, None, "follow_up.overdue", follow_up, due_at=follow_up.due_at.isoformat())
    session.flush()
    for follow_up in late:
        publish(session, FollowUpOverdue(follow_up.id))
    return len(late)


def listing(
    *,
    state: State | None = None,
    overdue: bool = False,
    source: Source | None = None,
    user: User | None = None,
) -> Select[tuple[FollowUp]]:
    """Follow-ups, overdue first then by deadline; ``user`` limits them to the ones assigned
    to or rated by that person."""
    query = select(FollowUp)
    if state is not None:
        query = query.where(FollowUp.state == state)
    if overdue:
        query = query.where(FollowUp.state == State.OPEN, FollowUp.overdue_at.is_not(None))
    if source is not None:
        query = query.where(FollowUp.source == source)
    if user is not None:
        query = query.where((FollowUp.assignee_id == user.id) | (FollowUp.rater_id == user.id))
    return query.order_by(FollowUp.overdue_at.is_(None), FollowUp.due_at, FollowUp.id)


def find(session: Session, **filters: Any) -> list[FollowUp]:
    """The follow-ups :func:`listing` selects."""
    return list(session.scalars(listing(**filters)))


def of_subject(session: Session, source: Source, subject_id: int) -> FollowUp | None:
    """The follow-up a rating of that ticket or consignment opened, if any."""
    return session.scalar(
        select(FollowUp).where(FollowUp.source == source, FollowUp.subject_id == subject_id)
    )
