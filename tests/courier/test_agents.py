"""Agent clerks: first-ask ownership, processing steps, missing materials told once."""

import pytest
from sqlalchemy import select

from core import codes
from core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from courier import agents
from courier.events import MaterialsRequested, ResultAtDesk
from courier.models import CustodyEvent, MaterialsRequest
from courier.states import Kind, State
from tests import factories
from tests.conftest import CODE_KEY
from tests.courier.agent_helpers import at_agent_desk, clerk, walk

MATERIALS = [
    {"name": "申请表", "name_en": "Application form", "form": "original"},
    {"name": "身份证复印件", "name_en": "Copy of ID card", "form": "copy"},
    {"name": "导师签字页", "name_en": "Supervisor's signed page", "form": "original"},
]


@pytest.fixture
def heard(bus):
    """Domain events published during the test."""
    events = []
    bus.subscribe(MaterialsRequested, lambda _s, e: events.append(e))
    bus.subscribe(ResultAtDesk, lambda _s, e: events.append(e))
    return events


def test_the_first_clerk_to_accept_owns_the_consignment(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    assert consignment.agent_id == wang.id
    assert consignment.state == State.WITH_AGENT


def test_accepting_a_consignment_someone_else_owns_is_refused_and_names_the_owner(session):
    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    with pytest.raises(Conflict) as refused:
        agents.accept(session, consignment, clerk(session, "li"))
    assert refused.value.code == "owned_by_other"
    assert refused.value.params["owner"] == "wang 代办员"


def test_accepting_twice_by_the_owner_is_harmless(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    assert agents.accept(session, consignment, wang).duplicate


def test_another_clerk_cannot_record_a_step_on_a_consignment_they_do_not_own(session):
    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    with pytest.raises(Conflict) as refused:
        agents.record_step(
            session, consignment, clerk(session, "li"), Kind.HANDED_TO_DEPARTMENT, "k1"
        )
    assert refused.value.code == "owned_by_other"


def test_reassigning_needs_a_reason(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(ValidationFailed):
        agents.reassign(session, consignment, wang, clerk(session, "li"), "  ")


def test_a_reassignment_moves_ownership_and_is_in_the_custody_log(session):
    consignment = at_agent_desk(session)
    wang, li = clerk(session, "wang"), clerk(session, "li")
    agents.accept(session, consignment, wang)
    agents.reassign(session, consignment, wang, li, "王老师休假")
    assert consignment.agent_id == li.id
    logged = session.scalars(
        select(CustodyEvent).where(
            CustodyEvent.consignment_id == consignment.id, CustodyEvent.kind == Kind.REASSIGNED
        )
    ).one()
    assert logged.actor_id == wang.id
    assert "王老师休假" in logged.notes
    assert "li 代办员" in logged.notes


def test_only_the_owner_or_an_administrator_may_reassign(session):
    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    with pytest.raises(Forbidden):
        agents.reassign(
            session, consignment, clerk(session, "li"), clerk(session, "zhao"), "想接手"
        )


def test_each_processing_step_is_a_custody_event_with_the_clerk(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.record_step(session, consignment, wang, Kind.HANDED_TO_DEPARTMENT, "k1")
    agents.record_step(session, consignment, wang, Kind.AWAITING_SIGNATURE, "k2")
    agents.record_step(session, consignment, wang, Kind.APPROVED, "k3")
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "k4", result_kind="stamped_copy"
    )
    kinds = session.execute(
        select(CustodyEvent.kind, CustodyEvent.actor_id)
        .where(CustodyEvent.consignment_id == consignment.id)
        .order_by(CustodyEvent.id)
    ).all()
    assert [tuple(row) for row in kinds[-5:]] == [
        (Kind.AGENT_ACCEPTED, wang.id),
        (Kind.HANDED_TO_DEPARTMENT, wang.id),
        (Kind.AWAITING_SIGNATURE, wang.id),
        (Kind.APPROVED, wang.id),
        (Kind.RESULT_READY, wang.id),
    ]
    assert consignment.result_kind == "stamped_copy"
    assert consignment.result_ready_at is not None


def test_a_step_out_of_order_is_refused_with_the_reason(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(Conflict) as refused:
        agents.record_step(session, consignment, wang, Kind.APPROVED, "k1")
    assert refused.value.code == "out_of_order"
    assert refused.value.params["state"] == State.WITH_AGENT


def test_a_rejection_needs_its_reason(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(ValidationFailed):
        agents.record_step(session, consignment, wang, Kind.REJECTED, "k1")


def test_a_result_must_say_what_it_is(session):
    consignment = at_agent_desk(session)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(ValidationFailed):
        agents.record_step(session, consignment, wang, Kind.RESULT_READY, "k1")


def test_missing_materials_are_asked_once_with_the_whole_list(session, heard):
    consignment = at_agent_desk(session, materials=MATERIALS)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.request_materials(
        session, consignment, wang, ["导师签字页", "申请表"], "成绩单需加盖公章", "m1"
    )
    assert consignment.state == State.AWAITING_MATERIALS
    [notice] = [e for e in heard if isinstance(e, MaterialsRequested)]
    assert notice.items == ("申请表", "导师签字页", "成绩单需加盖公章")
    assert notice.submitter_id == consignment.submitter_id


def test_a_missing_materials_form_with_nothing_ticked_is_refused(session):
    consignment = at_agent_desk(session, materials=MATERIALS)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(ValidationFailed):
        agents.request_materials(session, consignment, wang, [], "  ", "m1")
    assert consignment.state == State.WITH_AGENT


def test_a_material_the_item_does_not_list_is_refused(session):
    consignment = at_agent_desk(session, materials=MATERIALS)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    with pytest.raises(ValidationFailed):
        agents.request_materials(session, consignment, wang, ["户口本"], "", "m1")


def test_the_same_materials_form_sent_twice_tells_the_submitter_once(session, heard):
    consignment = at_agent_desk(session, materials=MATERIALS)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.request_materials(session, consignment, wang, ["申请表"], "", "m1")
    agents.request_materials(session, consignment, wang, ["申请表"], "", "m1")
    assert len(heard) == 1
    assert session.scalars(select(MaterialsRequest)).all() != []
    assert len(session.scalars(select(MaterialsRequest)).all()) == 1


def test_received_materials_close_the_request_and_the_clerk_works_on(session):
    consignment = at_agent_desk(session, materials=MATERIALS)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    request = agents.request_materials(session, consignment, wang, ["申请表"], "", "m1")
    agents.receive_materials(session, consignment, wang, "m2")
    assert request.received_at is not None
    assert request.received_by_id == wang.id
    assert consignment.state == State.WITH_AGENT


def test_the_inbox_lists_the_clerks_campus_only_with_their_own_first(session):
    wang = clerk(session, "wang")
    other = at_agent_desk(session)
    mine = at_agent_desk(session)
    agents.accept(session, mine, wang)
    elsewhere = at_agent_desk(session, origin="DJ", department_campus="DJ")
    box = agents.inbox(session, wang)
    listed = [row.consignment.id for row in box.rows]
    assert listed[0] == mine.id
    assert other.id in listed
    assert elsewhere.id not in listed
    assert box.counts == {"sorted": 1, "with_agent": 1}


def test_the_inbox_filters_by_state(session):
    wang = clerk(session, "wang")
    at_agent_desk(session)
    mine = at_agent_desk(session)
    agents.accept(session, mine, wang)
    box = agents.inbox(session, wang, state="with_agent")
    assert [row.consignment.id for row in box.rows] == [mine.id]
    assert box.counts["sorted"] == 1


def _ready_same_campus(session, wang):
    consignment = at_agent_desk(session)
    agents.accept(session, consignment, wang)
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r", result_kind="certificate"
    )
    return consignment


def test_a_result_at_the_desk_is_handed_over_with_its_code(session, heard):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    digits = agents.place_at_desk(session, consignment, wang, "d1")
    assert [e.digits for e in heard if isinstance(e, ResultAtDesk)] == [digits]
    agents.hand_over(session, consignment, wang, "h1", collected_by="张老师", code=digits)
    assert consignment.state == State.PICKED_UP
    assert consignment.collected_by == "张老师"
    assert consignment.closed_at is not None
    assert consignment.desk_code_hash is None


def test_a_wrong_desk_code_is_refused(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    digits = agents.place_at_desk(session, consignment, wang, "d1")
    wrong = f"{(int(digits) + 1) % 10**6:06d}"
    with pytest.raises(DomainError) as refused:
        agents.hand_over(session, consignment, wang, "h1", collected_by="张老师", code=wrong)
    assert refused.value.code == "wrong_code"
    assert consignment.state == State.AT_DESK


def test_a_desk_code_is_kept_as_its_hmac_under_the_desks_key(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    digits = agents.place_at_desk(session, consignment, wang, "d1")
    key = codes.desk_key(CODE_KEY, consignment.pickup_campus.code)
    assert consignment.desk_code_hash == codes.keyed_pin_hash(key, digits)


def test_a_desk_code_does_not_verify_under_another_servers_key(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    digits = agents.place_at_desk(session, consignment, wang, "d1")
    session.info[codes.CODE_KEY] = "another-server"
    with pytest.raises(DomainError) as refused:
        agents.hand_over(session, consignment, wang, "h1", collected_by="张老师", code=digits)
    assert refused.value.code == "wrong_code"


def test_placing_at_the_desk_twice_keeps_the_code_already_sent(session, heard):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    digits = agents.place_at_desk(session, consignment, wang, "d1")
    assert agents.place_at_desk(session, consignment, wang, "d1") == ""
    assert [e.digits for e in heard if isinstance(e, ResultAtDesk)] == [digits]
    agents.hand_over(session, consignment, wang, "h1", collected_by="张老师", code=digits)
    assert consignment.state == State.PICKED_UP


def test_a_code_typed_for_a_result_whose_code_was_retired_asks_for_an_id(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    agents.place_at_desk(session, consignment, wang, "d1")
    consignment.desk_code_hash = None  # as migration 0019 leaves a salted code
    with pytest.raises(DomainError) as refused:
        agents.hand_over(session, consignment, wang, "h1", collected_by="张老师", code="123456")
    assert refused.value.code == "no_desk_code"


def test_a_checked_id_hands_the_result_over_without_the_code(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    agents.place_at_desk(session, consignment, wang, "d1")
    agents.hand_over(session, consignment, wang, "h1", collected_by="李同学", id_checked=True)
    assert consignment.state == State.PICKED_UP
    logged = session.scalars(
        select(CustodyEvent).where(
            CustodyEvent.consignment_id == consignment.id, CustodyEvent.kind == Kind.PICKED_UP
        )
    ).one()
    assert logged.notes == "李同学 (ID)"


def test_neither_code_nor_id_hands_nothing_over(session):
    wang = clerk(session, "wang")
    consignment = _ready_same_campus(session, wang)
    agents.place_at_desk(session, consignment, wang, "d1")
    with pytest.raises(ValidationFailed):
        agents.hand_over(session, consignment, wang, "h1", collected_by="李同学")


def test_a_cross_campus_result_goes_on_the_return_leg_before_placing(session):
    wang = clerk(session, "wang")
    consignment = at_agent_desk(session, pickup="NH")
    agents.accept(session, consignment, wang)
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r", result_kind="signed_form"
    )
    with pytest.raises(Conflict) as refused:
        agents.place_at_desk(session, consignment, wang, "d1")
    assert refused.value.code == "not_arrived"
    walk(session, consignment, Kind.LOADED, Kind.UNLOADED)
    assert consignment.state == State.RETURN_ARRIVED
    assert consignment in agents.results_to_place(session, factories.campus(session, "NH").id)


def test_another_clerk_cannot_return_an_owned_consignment_to_its_sender(session):
    from courier.custody import EventInput, record_event
    from courier.models import Source

    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    outcome = record_event(
        session,
        consignment,
        EventInput(
            kind=Kind.RETURNED_TO_SENDER,
            actor=clerk(session, "li"),
            idempotency_key="rts-1",
            source=Source.WEB,
        ),
    )
    assert not outcome.ok
    assert outcome.reason_code == "owned_by_other"


def test_nobody_records_a_reassignment_as_a_bare_event(session):
    from core.users import Role
    from courier.custody import may_record

    consignment = at_agent_desk(session)
    agents.accept(session, consignment, clerk(session, "wang"))
    admin = factories.user(session, "root", Role.ADMIN)
    assert not may_record(clerk(session, "li"), consignment, Kind.REASSIGNED)
    assert not may_record(admin, consignment, Kind.REASSIGNED)
