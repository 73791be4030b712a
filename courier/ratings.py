"""一事一评: the submitter rates a consignment an agent clerk handled (代办), once collected."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import clock
from core.errors import N_, Conflict, DomainError, Forbidden
from core.satisfaction import LEVELS
from core.users import User
from courier.models import Consignment, ConsignmentRating
from courier.states import State

#: Reasons a teacher may tick about 代办 (keys are stored; labels are msgids).
REASONS = {
    "slow": N_("Took too long"),
    "attitude": N_("Staff attitude"),
    "unclear": N_("Unclear explanation"),
    "materials": N_("Asked for materials again"),
    "unsolved": N_("Problem not solved"),
    "damaged": N_("Papers damaged or incomplete"),
}


def rating_of(session: Session, consignment: Consignment) -> ConsignmentRating | None:
    """The consignment's rating, if it has one."""
    return session.get(ConsignmentRating, consignment.id)


def may_rate(session: Session, consignment: Consignment, user: User) -> bool:
    """Whether ``user`` is invited to rate it now: its submitter, after an agent handled it and
    it was collected, and not rated yet."""
    return (
        user.id == consignment.submitter_id
        and consignment.agent_id is not None
        and consignment.state is State.PICKED_UP
        and rating_of(session, consignment) is None
    )


def rate(
    session: Session,
    consignment: Consignment,
    rater: User,
    level: int,
    reasons: list[str],
    comment: str = "",
) -> ConsignmentRating:
    """Record the submitter's one rating of the consignment's 代办."""
    if rater.id != consignment.submitter_id:
        raise Forbidden("not_submitter", N_("Only the person who sent the papers may rate them."))
    if consignment.agent_id is None or consignment.state is not State.PICKED_UP:
        raise DomainError(
            "not_ratable",
            N_("%(code)s can be rated once an agent handled it and it was collected."),
            code=consignment.tracking_code,
        )
    if rating_of(session, consignment) is not None:
        raise Conflict("rated", N_("%(code)s is already rated."), code=consignment.tracking_code)
    if level not in LEVELS:
        raise DomainError("bad_level", N_("Choose one of the five levels."))
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise DomainError("bad_reason", N_("Unknown reason %(reason)s."), reason=unknown[0])
    rating = ConsignmentRating(
        consignment_id=consignment.id,
        rater_id=rater.id,
        agent_id=consignment.agent_id,
        department_id=consignment.department_id,
        level=level,
        reasons=sorted(set(reasons)),
        comment=comment.strip()[:500],
        created_at=clock.now(),
    )
    session.add(rating)
    session.flush()
    return rating
