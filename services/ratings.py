"""好差评 on the web and the API alike: a rating of a window service (一次一评) or of a
consignment's 代办 (一事一评); a poor one opens its follow-up (整改) in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.satisfaction import POOR_AT
from core.users import User
from courier import ratings as agent_ratings
from courier.models import Consignment, ConsignmentRating
from feedback import follow_ups
from feedback.models import FollowUp, Source
from tickets import ratings as window_ratings
from tickets.models import Rating, Ticket


def rate_consignment(
    session: Session,
    consignment: Consignment,
    rater: User,
    level: int,
    reasons: list[str],
    comment: str = "",
) -> tuple[ConsignmentRating, FollowUp | None]:
    """The submitter's rating of the 代办; a poor one is followed up by the agent who handled
    it, for the department that did the work."""
    rating = agent_ratings.rate(session, consignment, rater, level, reasons, comment)
    if level > POOR_AT:
        return rating, None
    return rating, follow_ups.open_follow_up(
        session,
        follow_ups.Rated(
            source=Source.AGENT,
            subject_id=consignment.id,
            label=consignment.tracking_code,
            level=level,
            reasons=rating.reasons,
            comment=rating.comment,
            department_id=consignment.department_id,
            window_number=None,
            assignee_id=consignment.agent_id,
            rater_id=rater.id,
        ),
    )


def rate_ticket(
    session: Session, ticket: Ticket, level: int, reasons: list[str], comment: str = ""
) -> tuple[Rating, FollowUp | None]:
    """The visitor's rating of a window service; a poor one is followed up by the clerk who
    served, for the department of the ticket's queue."""
    rating = window_ratings.rate(session, ticket, level, reasons, comment)
    if not rating.needs_follow_up:
        return rating, None
    return rating, follow_ups.open_follow_up(
        session,
        follow_ups.Rated(
            source=Source.WINDOW,
            subject_id=ticket.id,
            label=ticket.number,
            level=level,
            reasons=rating.reasons,
            comment=rating.comment,
            department_id=ticket.category.department_id,
            window_number=ticket.window.number if ticket.window else None,
            assignee_id=ticket.staff_id,
            rater_id=ticket.user_id,
            rater_phone=None if ticket.user_id else ticket.phone,
        ),
    )
