"""Ratings after service, on the five levels of 好差评; the poor ones go to the hall manager."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, DomainError
from core.users import User
from tickets.models import Outcome, Rating, Ticket, Window

#: Level → label, best first (5 非常满意 ... 1 非常不满意).
LEVELS = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Neutral"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
#: Reasons a visitor may tick (keys are stored; labels are msgids).
REASONS = {
    "wait": N_("Long wait"),
    "attitude": N_("Staff attitude"),
    "unclear": N_("Unclear explanation"),
    "materials": N_("Asked for materials again"),
    "unsolved": N_("Problem not solved"),
}
#: At or below this level a rating needs the hall manager's follow-up.
FOLLOW_UP_AT = 2
#: How long after service the window's tablet still offers the rating.
RATING_TIME = dt.timedelta(minutes=10)


def awaiting_rating(session: Session, window: Window) -> Ticket | None:
    """The window's most recent served ticket, unrated and finished a short while ago."""
    ticket = session.scalar(
        select(Ticket)
        .where(
            Ticket.window_id == window.id,
            Ticket.outcome == Outcome.SERVED,
            Ticket.finished_at >= clock.now() - RATING_TIME,
        )
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return ticket if ticket is not None and ticket.rating is None else None


def rate(
    session: Session, ticket: Ticket, level: int, reasons: list[str], comment: str = ""
) -> Rating:
    """Record the visitor's rating of a served ticket (once)."""
    if ticket.outcome != Outcome.SERVED:
        raise DomainError(
            "not_served", N_("Ticket %(number)s has not been served."), number=ticket.number
        )
    if ticket.rating is not None:
        raise Conflict("rated", N_("Ticket %(number)s is already rated."), number=ticket.number)
    if level not in LEVELS:
        raise DomainError("bad_level", N_("Choose one of the five levels."))
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise DomainError("bad_reason", N_("Unknown reason %(reason)s."), reason=unknown[0])
    rating = Rating(
        ticket=ticket,
        level=level,
        reasons=sorted(set(reasons)),
        comment=comment.strip()[:500],
        created_at=clock.now(),
        needs_follow_up=level <= FOLLOW_UP_AT,
    )
    session.add(rating)
    session.flush()
    return rating


def follow_ups(session: Session) -> list[Rating]:
    """Poor ratings nobody has followed up yet, oldest first."""
    return list(
        session.scalars(
            select(Rating)
            .where(Rating.needs_follow_up, Rating.followed_up_at.is_(None))
            .order_by(Rating.created_at)
        )
    )


def follow_up(session: Session, rating: Rating, manager: User, note: str) -> Rating:
    """The hall manager has contacted the visitor."""
    if rating.followed_up_at is not None:
        raise Conflict("followed_up", N_("This rating has already been followed up."))
    rating.followed_up_at, rating.followed_up_by_id = clock.now(), manager.id
    rating.follow_up_note = note.strip()[:500]
    session.flush()
    return rating
