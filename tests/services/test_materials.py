"""补正 without a trip: asked once with the whole list, a supplement envelope that resumes the
clock when it reaches the desk."""

import pytest
from sqlalchemy import select

from core.errors import Forbidden, ValidationFailed
from core.outbox import OutboxMessage
from core.users import Role
from courier import agents
from courier.models import Consignment
from courier.states import Kind, State
from services import materials
from tests import factories
from tests.courier.agent_helpers import at_agent_desk, clerk, walk
from tests.factories import LABEL_KEY

BASE = "https://courier.example.edu.cn"


@pytest.fixture
def asked(session):
    """A consignment its clerk has just asked one missing material for."""
    teacher = factories.user(session, "supp_teacher", Role.TEACHER, phone="+8613800000077")
    consignment = at_agent_desk(
        session, submitter=teacher, materials=[{"name": "学生证", "form": "original"}]
    )
    wang = clerk(session, "supp_wang")
    agents.accept(session, consignment, wang)
    request = ask(session, wang, consignment, key="m1")
    return consignment, wang, request


def ask(session, user, consignment, key, reason=""):
    return materials.request_materials(
        session, user, consignment, ["学生证"], "需学院盖章", key,
        reason=reason, label_key=LABEL_KEY, base_url=BASE,
    )  # fmt: skip


def notices(session):
    session.expire_all()
    return [
        row
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        if row.payload.get("template") == "materials_missing"
    ]


def test_a_request_comes_with_a_supplement_envelope_linked_to_the_original(session, asked):
    consignment, _wang, request = asked
    supplement = request.supplement
    assert supplement.supplement_of_id == consignment.id
    assert supplement.department_id == consignment.department_id
    assert supplement.state is State.CREATED


def test_the_notice_tells_the_teacher_how_to_send_the_materials(session, asked):
    _consignment, _wang, request = asked
    [notice] = notices(session)
    text = notice.payload["text"]
    assert f"{BASE}/consignments/{request.supplement.tracking_code}" in text
    assert "投递柜" in text
    assert "学生证；需学院盖章" in text


def test_a_second_request_by_the_clerk_is_refused(session, asked):
    consignment, wang, _request = asked
    walk(session, consignment, Kind.MATERIALS_RECEIVED)
    with pytest.raises(Forbidden) as refused:
        ask(session, wang, consignment, key="m2")
    assert refused.value.code == "asked_once"


def test_an_administrator_asks_again_only_with_a_reason(session, asked):
    consignment, _wang, _request = asked
    walk(session, consignment, Kind.MATERIALS_RECEIVED)
    admin = factories.user(session, "supp_admin", Role.ADMIN)
    with pytest.raises(ValidationFailed):
        ask(session, admin, consignment, key="m2")
    again = ask(session, admin, consignment, key="m3", reason="盖章页模糊，需重新提供")
    assert again.reason == "盖章页模糊，需重新提供"
    assert consignment.state is State.AWAITING_MATERIALS


def test_the_same_form_sent_twice_is_one_request(session, asked):
    consignment, wang, request = asked
    assert ask(session, wang, consignment, key="m1").id == request.id
    assert len(notices(session)) == 1


def test_the_supplement_sorted_at_the_desk_resumes_the_clock_by_itself(session, asked):
    consignment, _wang, request = asked
    walk(session, request.supplement, Kind.DEPOSITED, Kind.COLLECTED, Kind.SORTED)
    session.refresh(consignment)
    assert consignment.state is State.WITH_AGENT
    assert consignment.sla_paused_since is None
    assert request.received_at is not None
    assert consignment.events[-1].kind is Kind.MATERIALS_RECEIVED
    assert consignment.events[-1].notes == request.supplement.tracking_code


def test_the_supplement_is_not_a_case_of_its_own_in_the_inbox(session, asked):
    consignment, wang, request = asked
    walk(session, request.supplement, Kind.DEPOSITED, Kind.COLLECTED, Kind.SORTED)
    listed = [row.consignment for row in agents.inbox(session, wang).rows]
    assert request.supplement not in listed
    assert session.get(Consignment, consignment.id) in listed
