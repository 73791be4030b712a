"""联审联办: one consignment passes several departments in turn, under one SLA clock."""

import pytest
from sqlalchemy import select

from catalog.items import item_record, parse_item, save_item
from catalog.models import Campus, Department, ServiceItem
from core.errors import Conflict
from courier import agents
from courier.models import CustodyEvent
from courier.states import Kind, State
from courier.timeline import StepStatus, timeline
from services import desk
from tests.courier.agent_helpers import at_agent_desk, clerk


def _joint(session):
    """A consignment at the agent desk whose item 科研处 (SCI) then 档案馆 (ARCH) handle."""
    return at_agent_desk(session, joint=("SCI", "ARCH"))


def _step(session, wang, consignment, kind, n):
    return desk.record_step(session, wang, consignment, kind, f"step:{kind}:{n}")


def _walk_both(session, wang, consignment):
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 2)
    _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 2)


def _department_steps(session, consignment):
    events = session.scalars(
        select(CustodyEvent)
        .where(
            CustodyEvent.consignment_id == consignment.id, CustodyEvent.department_id.is_not(None)
        )
        .order_by(CustodyEvent.id)
    )
    return [(event.kind, event.department.code) for event in events]


def test_the_consignment_keeps_the_item_s_departments_in_order(session):
    consignment = _joint(session)
    codes = [session.get(Department, d).code for d in consignment.joint_departments]
    assert codes == ["SCI", "ARCH"]


def test_each_department_s_handover_and_return_is_in_the_custody_log_in_turn(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _walk_both(session, wang, consignment)
    assert _department_steps(session, consignment) == [
        (Kind.HANDED_TO_DEPARTMENT, "SCI"),
        (Kind.RETURNED_BY_DEPARTMENT, "SCI"),
        (Kind.HANDED_TO_DEPARTMENT, "ARCH"),
        (Kind.RETURNED_BY_DEPARTMENT, "ARCH"),
    ]


def test_one_sla_clock_runs_through_every_department(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    started, due = consignment.sla_started_at, consignment.due_at
    _walk_both(session, wang, consignment)
    desk.record_step(
        session, wang, consignment, Kind.RESULT_READY, "result", result_kind="stamped_copy"
    )
    assert (consignment.sla_started_at, consignment.due_at) == (started, due)
    assert consignment.state == State.RESULT_READY


def test_the_result_is_refused_while_a_department_has_still_to_handle_it(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 1)
    with pytest.raises(Conflict) as refused:
        desk.record_step(
            session, wang, consignment, Kind.RESULT_READY, "early", result_kind="stamped_copy"
        )
    assert refused.value.code == "joint_incomplete"


def test_a_joint_item_is_given_back_by_each_department_not_approved(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    with pytest.raises(Conflict) as refused:
        _step(session, wang, consignment, Kind.APPROVED, 1)
    assert refused.value.code == "joint_needs_return"


def test_after_the_last_department_nothing_more_is_handed_over(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _walk_both(session, wang, consignment)
    with pytest.raises(Conflict) as refused:
        _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 3)
    assert refused.value.code == "joint_complete"


def test_an_ordinary_item_is_not_given_back_between_departments(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    with pytest.raises(Conflict) as refused:
        _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 1)
    assert refused.value.code == "not_joint"


def test_the_timeline_says_which_department_has_the_papers(session):
    consignment = _joint(session)
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 2)
    steps = timeline(session, consignment).joint
    assert [(s.department.code, s.status) for s in steps] == [
        ("SCI", StepStatus.RETURNED),
        ("ARCH", StepStatus.AT_DEPARTMENT),
    ]


def test_papers_back_from_a_materials_request_go_to_the_same_department_again(session):
    consignment = at_agent_desk(
        session, joint=("SCI", "ARCH"), materials=[{"name": "结题报告", "form": "original"}]
    )
    wang = clerk(session, "wang")
    desk.accept(session, wang, consignment)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.RETURNED_BY_DEPARTMENT, 1)
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 2)
    agents.request_materials(session, consignment, wang, ["结题报告"], "", "ask")
    desk.receive_materials(session, wang, consignment, "received")
    _step(session, wang, consignment, Kind.HANDED_TO_DEPARTMENT, 3)
    assert _department_steps(session, consignment)[-1] == (Kind.HANDED_TO_DEPARTMENT, "ARCH")


def test_a_catalog_edit_does_not_reroute_papers_already_submitted(session):
    consignment = _joint(session)
    item = session.get(ServiceItem, consignment.service_item_id)
    raw = item_record(item)
    raw["joint_departments"] = []
    data, problems = parse_item(
        raw,
        session.scalars(select(Department.code)).all(),
        session.scalars(select(Campus.code)).all(),
    )
    assert data is not None, problems
    save_item(session, data)
    assert len(consignment.joint_departments) == 2
