"""What a follow-up announces; ``services.bootstrap`` wires these to the notices."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True)
class FollowUpOpened(DomainEvent):
    """A poor rating opened a follow-up: its responsible staff are told the deadline."""

    follow_up_id: int


@dataclass(frozen=True)
class FollowUpRectified(DomainEvent):
    """The responsible staff recorded the rectification: the rater is told and may appeal."""

    follow_up_id: int


@dataclass(frozen=True)
class FollowUpReviewed(DomainEvent):
    """An administrator accepted the rectification or sent it back."""

    follow_up_id: int


@dataclass(frozen=True)
class FollowUpOverdue(DomainEvent):
    """The deadline passed with no rectification (announced once per deadline)."""

    follow_up_id: int
