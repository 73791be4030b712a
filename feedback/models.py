"""The follow-up (整改) a poor rating opens, whichever service was rated."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Department
from core import clock
from core.db import Base, value_enum
from core.users import User


class Source(enum.StrEnum):
    """What was rated: a visit to a hall window (一次一评) or a consignment handled by 代办
    (一事一评)."""

    WINDOW = "window"
    AGENT = "agent"


class State(enum.StrEnum):
    OPEN = "open"  # waiting for the responsible staff's rectification
    RECTIFIED = "rectified"  # rectification recorded; the rater was told and may appeal
    APPEALED = "appealed"  # the rater does not accept it; an administrator decides
    CLOSED = "closed"  # an administrator accepted the rectification


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class FollowUp(Base):
    """One poor rating's 整改: who must act by when, what they did, the rater's appeal and the
    administrator's review. The rating itself stays with its service (ticket or consignment);
    ``level``, ``reasons`` and ``comment`` are copied so that the follow-up reads on its own."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("source", "subject_id"),
        Index("ix_follow_ups_open_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[Source] = mapped_column(value_enum(Source, 8))
    #: The rated ticket's or consignment's id.
    subject_id: Mapped[int]
    #: How people name it: the ticket number (A023) or the tracking code.
    label: Mapped[str] = mapped_column(String(40))
    level: Mapped[int]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    window_number: Mapped[int | None]
    #: The staff responsible: the window's clerk or the 代办 agent who handled it.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: An anonymous window visitor's number, to tell them the rectification.
    rater_phone: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[State] = mapped_column(value_enum(State, 10), default=State.OPEN)
    opened_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    due_at: Mapped[dt.datetime]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    #: Set once, by the scheduled scan, when the deadline passed with no rectification.
    overdue_at: Mapped[dt.datetime | None]
    #: Times an administrator sent it back for another rectification.
    reopened: Mapped[int] = mapped_column(default=0)
    rectification: Mapped[str] = mapped_column(String(1000), default="")
    rectified_at: Mapped[dt.datetime | None]
    rectified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appeal: Mapped[str] = mapped_column(String(1000), default="")
    appealed_at: Mapped[dt.datetime | None]
    decision: Mapped[Decision | None] = mapped_column(value_enum(Decision, 10))
    review_note: Mapped[str] = mapped_column(String(1000), default="")
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    rater: Mapped[User | None] = relationship(foreign_keys=[rater_id])
    rectified_by: Mapped[User | None] = relationship(foreign_keys=[rectified_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def overdue(self) -> bool:
        """Flagged by the scan and still waiting for its rectification."""
        return self.overdue_at is not None and self.state is State.OPEN
