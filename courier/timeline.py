"""The tracking timeline: every hop so far, the hops ahead, the due time."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalog.models import Department
from courier.custody import situation
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, State, happy_path


class StepStatus(enum.StrEnum):
    """Where one department of a 联审联办 item stands."""

    RETURNED = "returned"  # it handled the papers and gave them back
    AT_DEPARTMENT = "at_department"  # it has them now
    NEXT = "next"  # the clerk hands them over next
    LATER = "later"


@dataclass(frozen=True)
class JointStepView:
    number: int
    department: Department
    status: StepStatus


def joint_steps(session: Session, consignment: Consignment) -> list[JointStepView]:
    """The departments of a 联审联办 consignment in order, each with where it stands; empty
    for a consignment its one department handles."""
    ids = list(consignment.joint_departments or [])
    if not ids:
        return []
    departments = {
        d.id: d for d in session.scalars(select(Department).where(Department.id.in_(ids)))
    }
    done = consignment.joint_done or 0
    here = consignment.state in (State.AT_DEPARTMENT, State.AWAITING_SIGNATURE)
    views = []
    for index, department_id in enumerate(ids):
        if index < done:
            status = StepStatus.RETURNED
        elif index == done and here:
            status = StepStatus.AT_DEPARTMENT
        elif index == done:
            status = StepStatus.NEXT
        else:
            status = StepStatus.LATER
        views.append(JointStepView(index + 1, departments[department_id], status))
    return views


@dataclass(frozen=True)
class Timeline:
    consignment: Consignment
    events: list[CustodyEvent]
    ahead: list[Kind]
    #: 联审联办: each department in turn and where it stands (empty for one department).
    joint: list[JointStepView]


def timeline(session: Session, consignment: Consignment) -> Timeline:
    """The events of ``consignment`` in device-time order and the ordinary hops still ahead."""
    events = list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.consignment_id == consignment.id)
            .options(
                joinedload(CustodyEvent.actor),
                joinedload(CustodyEvent.location),
                joinedload(CustodyEvent.campus),
                joinedload(CustodyEvent.department),
            )
            .order_by(CustodyEvent.device_at, CustodyEvent.id)
        )
    )
    return Timeline(
        consignment, events, happy_path(situation(consignment)), joint_steps(session, consignment)
    )
