"""好差评: ``POST /api/consignments/<code>/rating`` (一事一评 of a 代办), and the follow-ups
(整改) of poor ratings: list, rectify, appeal, review."""

from __future__ import annotations

from typing import Any

from core.users import Role, User
from courier.models import ConsignmentRating
from feedback import follow_ups
from feedback.models import Decision, FollowUp, State
from services import ratings as rating_use_cases
from services.consignments import visible
from web.api import api
from web.api.schemas import ratings as schema
from web.api.typed import answer, body_of, operation, query_of, shaped
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.params import label_key


def _user() -> User:
    user = current_user()
    assert user is not None  # login_required
    return user


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def follow_up_json(follow_up: FollowUp) -> schema.FollowUp:
    return shaped(
        schema.FollowUp,
        {
            "id": follow_up.id,
            "source": follow_up.source.value,
            "label": follow_up.label,
            "level": follow_up.level,
            "reasons": follow_up.reasons,
            "comment": follow_up.comment,
            "department": follow_up.department.code if follow_up.department else None,
            "window": follow_up.window_number,
            "assignee": follow_up.assignee.login if follow_up.assignee else None,
            "state": follow_up.state.value,
            "opened_at": follow_up.opened_at.isoformat(),
            "due_at": follow_up.due_at.isoformat(),
            "overdue": follow_up.overdue,
            "rectification": follow_up.rectification,
            "rectified_at": _when(follow_up.rectified_at),
            "appeal": follow_up.appeal,
            "appealed_at": _when(follow_up.appealed_at),
            "decision": follow_up.decision.value if follow_up.decision else None,
            "review_note": follow_up.review_note,
            "reviewed_at": _when(follow_up.reviewed_at),
        },
    )


def rating_json(code: str, rating: ConsignmentRating, follow_up: FollowUp | None) -> Any:
    return shaped(
        schema.Rating,
        {
            "tracking_code": code,
            "level": rating.level,
            "reasons": rating.reasons,
            "comment": rating.comment,
            "created_at": rating.created_at.isoformat(),
            "follow_up": follow_up.id if follow_up else None,
        },
    )


@api.post("/consignments/<code:code>/rating")
@login_required
@operation(
    "Rate the 代办 of a collected consignment (its submitter, once); a poor rating (1 or 2) "
    "opens a follow-up due in working days",
    body=schema.RateConsignment,
    answer=schema.Rating,
    status=201,
    errors=(403, 404, 409),
)
def rate_consignment(code: str) -> Any:
    body = body_of(schema.RateConsignment)
    consignment = visible(db(), current_user(), code, label_key())
    rating, follow_up = rating_use_cases.rate_consignment(
        db(), consignment, _user(), body.level, body.reasons, body.comment
    )
    return answer(rating_json(consignment.tracking_code, rating, follow_up), 201)


@api.get("/follow-ups")
@login_required
@operation(
    "Follow-ups of poor ratings, overdue first: all of them for administrators, else those "
    "assigned to or rated by the caller",
    query=schema.FollowUpsQuery,
    answer=list[schema.FollowUp],
)
def list_follow_ups() -> Any:
    query = query_of(schema.FollowUpsQuery)
    user = _user()
    found = follow_ups.find(
        db(),
        state=State(query.state) if query.state else None,
        overdue=bool(query.overdue),
        user=None if user.has_role(Role.ADMIN) else user,
    )
    return answer([follow_up_json(f) for f in found])


@api.post("/follow-ups/<id:follow_up_id>/rectification")
@roles_required(Role.CLERK, Role.HALL_STAFF)
@operation(
    "The staff responsible record the rectification; the rater is told and may appeal",
    body=schema.Rectification,
    answer=schema.FollowUp,
    errors=(404, 409),
)
def rectify_follow_up(follow_up_id: int) -> Any:
    body = body_of(schema.Rectification)
    follow_up = follow_ups.get(db(), follow_up_id, _user())
    return answer(follow_up_json(follow_ups.rectify(db(), follow_up, _user(), body.note)))


@api.post("/follow-ups/<id:follow_up_id>/appeal")
@login_required
@operation(
    "The rater appeals against the rectification; an administrator reviews it",
    body=schema.Appeal,
    answer=schema.FollowUp,
    errors=(403, 404, 409),
)
def appeal_follow_up(follow_up_id: int) -> Any:
    body = body_of(schema.Appeal)
    follow_up = follow_ups.get(db(), follow_up_id, _user())
    return answer(follow_up_json(follow_ups.appeal(db(), follow_up, _user(), body.reason)))


@api.post("/follow-ups/<id:follow_up_id>/review")
@roles_required(Role.ADMIN)
@operation(
    "An administrator accepts the rectification (closed) or sends it back with a fresh deadline",
    body=schema.Review,
    answer=schema.FollowUp,
    errors=(404, 409),
)
def review_follow_up(follow_up_id: int) -> Any:
    body = body_of(schema.Review)
    follow_up = follow_ups.get(db(), follow_up_id, _user())
    reviewed = follow_ups.review(db(), follow_up, _user(), Decision(body.decision), body.note)
    return answer(follow_up_json(reviewed))
