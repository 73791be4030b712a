"""一次一评: a rating after each window service, on the five levels of 好差评."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock, satisfaction
from core.errors import N_, Conflict, DomainError
from tickets.models import Outcome, Rating, Ticket, Window

#: Level → label, best first: the five levels of 好差评 shared with 代办 ratings.
LEVELS = satisfaction.LEVELS
#: Reasons a visitor may tick (keys are stored; labels are msgids).
REASONS = {
    "wait": N_("Long wait"),
    "attitude": N_("Staff attitude"),
    "unclear": N_("Unclear explanation"),
    "materials": N_("Asked for materials again"),
    "unsolved": N_("Problem not solved"),
}
#: At or below this level a rating opens a follow-up (整改, ``services.ratings``).
FOLLOW_UP_AT = satisfaction.POOR_AT
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
