"""好差评 through the API: a 代办 rating and the follow-ups of poor ratings."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from courier.models import ConsignmentRating
from feedback.follow_ups import MAX_TEXT
from web.api.schemas.common import column_text, text

Level = Annotated[int, Meta(ge=1, le=5, description="5 非常满意 ... 1 非常不满意")]
Reason = Annotated[str, Meta(min_length=1, max_length=20, pattern="^[a-z_]+$")]


class RateConsignment(msgspec.Struct):
    """The submitter's rating of the 代办 (once, after the result was collected); ``reasons``
    are keys: slow, attitude, unclear, materials, unsolved, damaged."""

    level: Level
    reasons: Annotated[list[Reason], Meta(max_length=6)] = []
    comment: column_text(ConsignmentRating.comment) = ""  # type: ignore[valid-type]


class Rating(msgspec.Struct):
    """A rating; ``follow_up`` is the id of the follow-up a poor one opened."""

    tracking_code: str
    level: int
    reasons: list[str]
    comment: str
    created_at: str
    follow_up: int | None


class FollowUpsQuery(msgspec.Struct):
    """``state`` one of open, rectified, appealed, closed; ``overdue=1`` only the flagged
    open ones."""

    state: Literal["", "open", "rectified", "appealed", "closed"] = ""
    overdue: Annotated[int, Meta(ge=0, le=1)] = 0


class FollowUp(msgspec.Struct):
    id: int
    source: str
    label: str
    level: int
    reasons: list[str]
    comment: str
    department: str | None
    window: int | None
    assignee: str | None
    state: str
    opened_at: str
    due_at: str
    overdue: bool
    rectification: str
    rectified_at: str | None
    appeal: str
    appealed_at: str | None
    decision: str | None
    review_note: str
    reviewed_at: str | None


Note = text(MAX_TEXT, min_length=1)


class Rectification(msgspec.Struct):
    note: Note  # type: ignore[valid-type]


class Appeal(msgspec.Struct):
    reason: Note  # type: ignore[valid-type]


class Review(msgspec.Struct):
    """``accepted`` closes it (and dismisses any appeal); ``rejected`` sends it back to the
    staff with a fresh deadline (upholding any appeal)."""

    decision: Literal["accepted", "rejected"]
    note: text(MAX_TEXT) = ""  # type: ignore[valid-type]
