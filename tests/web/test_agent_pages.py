"""The agent desk's pages: inbox, the work page's forms, statistics."""

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import object_session

from courier.models import MaterialsRequest, SlaAlert
from courier.states import State
from firmware_bridge.models import Command
from lockers.compartments import add_bank
from lockers.models import BankKind, CompartmentState, Size
from tests import factories
from tests.conftest import login
from tests.courier.agent_helpers import at_agent_desk, clerk

MATERIALS = [
    {"name": "申请表", "name_en": "Application form", "form": "original"},
    {"name": "导师签字页", "name_en": "Supervisor's signed page", "form": "original"},
]


@pytest.fixture
def wang(session, client):
    person = clerk(session, "wang")
    login(client, "wang")
    return person


@pytest.fixture
def waiting(session):
    return at_agent_desk(session, materials=MATERIALS)


def post(client, consignment, action, **data):
    """Submit one form of the work page; the test's session then sees what the request did."""
    response = client.post(
        f"/clerk/{consignment.tracking_code}/{action}", data={"form_id": "f", **data}
    )
    object_session(consignment).expire_all()
    return response


def test_the_inbox_lists_what_waits_with_its_sla_colour_and_counts(client, wang, waiting):
    page = client.get("/clerk/").get_data(as_text=True)
    assert f'data-test="row-{waiting.tracking_code}"' in page
    assert 'class="sla-waiting' in page  # the clock starts when a clerk accepts it
    assert 'data-test="count-sorted"' in page


def test_an_urgent_consignment_is_marked_urgent_in_the_inbox(client, session, wang):
    from courier.models import Priority

    urgent = at_agent_desk(session, priority=Priority.URGENT)
    normal = at_agent_desk(session)
    page = client.get("/clerk/").get_data(as_text=True)
    rows = {
        code: page.split(f'data-test="row-{code}"')[1].split("</tr>")[0]
        for code in (urgent.tracking_code, normal.tracking_code)
    }
    assert 'data-test="urgent"' in rows[urgent.tracking_code]
    assert 'data-test="urgent"' not in rows[normal.tracking_code]


def test_the_inbox_is_for_clerks(client, session, waiting):
    factories.user(session, "teacher_li")
    login(client, "teacher_li")
    assert client.get("/clerk/").status_code == 403


def test_accepting_on_the_page_makes_the_clerk_the_owner(client, wang, waiting):
    response = post(client, waiting, "accept")
    assert response.status_code == 302
    assert waiting.agent_id == wang.id
    page = client.get(f"/clerk/{waiting.tracking_code}").get_data(as_text=True)
    assert 'data-test="step-handed_to_department"' in page


def test_a_consignment_someone_else_owns_shows_the_owner_and_refuses(
    client, session, wang, waiting
):
    from courier import agents

    agents.accept(session, waiting, clerk(session, "li"))
    session.flush()
    response = post(client, waiting, "accept")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "li 代办员" in page
    assert waiting.agent.login == "li"


def test_a_step_out_of_order_is_refused_with_the_reason(client, wang, waiting):
    post(client, waiting, "accept")
    response = post(client, waiting, "step", kind="approved", form_id="g")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in page
    assert waiting.state == State.WITH_AGENT


def test_the_materials_form_with_nothing_ticked_is_refused(client, session, wang, waiting):
    post(client, waiting, "accept")
    response = post(client, waiting, "materials", form_id="g")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in page
    assert session.scalars(select(MaterialsRequest)).all() == []


def test_the_materials_form_pauses_the_clock_and_lists_what_is_missing(
    client, session, wang, waiting
):
    post(client, waiting, "accept")
    post(
        client,
        waiting,
        "materials",
        form_id="g",
        missing=["申请表", "导师签字页"],
        other="缺学院公章",
    )
    assert waiting.state == State.AWAITING_MATERIALS
    page = client.get(f"/clerk/{waiting.tracking_code}").get_data(as_text=True)
    assert "申请表; 导师签字页; 缺学院公章" in page
    assert 'class="sla sla-paused"' in page


@pytest.fixture
def ready(client, session, wang, waiting):
    post(client, waiting, "accept")
    post(client, waiting, "step", kind="result_ready", result_kind="certificate", form_id="r")
    assert waiting.state == State.RESULT_READY
    return waiting


@pytest.fixture
def pickup_locker(session):
    place = factories.location(session, "XL-LOCKER-1", "XL", kind="locker_site")
    return add_bank(
        session, "XL-PU-01", "西岭取件柜", BankKind.PICKUP, place, [Size.S, Size.S, Size.M]
    )


def test_placing_in_a_locker_issues_a_code_and_sends_it_to_the_controller(
    client, session, ready, pickup_locker
):
    post(client, ready, "locker", bank=pickup_locker.id, form_id="p")
    assert ready.state == State.AWAITING_PICKUP
    command = session.scalars(select(Command).where(Command.op == "set_code")).one()
    assert command.controller == "XL-PU-01"


def test_an_occupied_compartment_is_refused_and_the_next_free_one_offered(
    client, session, ready, pickup_locker
):
    pickup_locker.compartments[0].state = CompartmentState.OCCUPIED
    session.flush()
    response = post(client, ready, "locker", bank=pickup_locker.id, compartment="1", form_id="p")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请改用 2 号格口" in page
    assert ready.state == State.RESULT_READY


def test_a_faulty_compartment_is_refused(client, session, ready, pickup_locker):
    pickup_locker.compartments[2].state = CompartmentState.FAULT
    session.flush()
    post(client, ready, "locker", bank=pickup_locker.id, compartment="3", form_id="p")
    assert ready.state == State.RESULT_READY


def test_a_desk_handover_closes_the_consignment_with_who_collected_it(client, session, ready):
    post(client, ready, "desk", form_id="d")
    assert ready.state == State.AT_DESK
    post(client, ready, "handover", collected_by="张老师", id_checked="1", form_id="h")
    assert ready.state == State.PICKED_UP
    assert ready.collected_by == "张老师"


def test_the_statistics_page_shows_each_department(client, ready):
    page = client.get("/clerk/stats").get_data(as_text=True)
    assert "XL部门" in page
    assert "100%" in page


def test_a_result_at_the_desk_cannot_be_marked_picked_up_without_the_handover(
    client, session, ready
):
    post(client, ready, "desk", form_id="d")
    response = client.post(
        f"/consignments/{ready.tracking_code}/events", data={"kind": "picked_up", "event_id": "x"}
    )
    object_session(ready).expire_all()
    assert ready.state == State.AT_DESK
    assert "凭取件码或核验证件" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_sla_alert_shows_in_the_owners_inbox_until_they_mark_it_seen(
    frozen_clock, client, session, wang, waiting
):
    from courier import agents, sla

    agents.accept(session, waiting, wang)
    frozen_clock.set(waiting.due_at + dt.timedelta(minutes=1))
    assert sla.scan(session) == sla.AlertsWritten(0, 1)
    session.flush()
    page = client.get("/clerk/").get_data(as_text=True)
    assert 'data-test="sla-alerts"' in page
    alert = session.scalars(select(SlaAlert)).one()
    client.post(f"/clerk/alerts/{alert.id}/ack")
    assert 'data-test="sla-alerts"' not in client.get("/clerk/").get_data(as_text=True)


def test_another_clerk_may_not_place_a_result_its_clerk_made_ready(client, session, ready):
    clerk(session, "li")
    client.post("/logout")
    login(client, "li")
    post(client, ready, "desk", form_id="d")
    assert ready.state == State.RESULT_READY
    assert "wang 代办员" in client.get(f"/clerk/{ready.tracking_code}").get_data(as_text=True)


def _codes_in_order(page):
    import re

    return re.findall(r'data-test="row-([A-Z0-9]+)"', page)


def test_a_consignment_due_within_a_working_day_is_marked_and_sorted_first(client, session, wang):
    from core import clock

    later = at_agent_desk(session)
    later.due_at = clock.now() + dt.timedelta(days=10)
    soon = at_agent_desk(session)
    soon.due_at = clock.now() + dt.timedelta(hours=2)
    session.flush()
    page = client.get("/clerk/").get_data(as_text=True)
    assert _codes_in_order(page) == [soon.tracking_code, later.tracking_code]
    row = page.split(f'data-test="row-{soon.tracking_code}"')[1].split("</tr>")[0]
    assert 'data-test="urgent"' in row


def test_an_overdue_consignment_is_marked_urgent(client, session, wang):
    from core import clock

    late = at_agent_desk(session)
    late.due_at = clock.now() - dt.timedelta(hours=1)
    session.flush()
    page = client.get("/clerk/").get_data(as_text=True)
    assert 'data-test="urgent"' in page.split(f'data-test="row-{late.tracking_code}"')[1]


def test_a_consignment_due_in_a_week_is_not_marked(client, session, wang):
    from core import clock

    calm = at_agent_desk(session)
    calm.due_at = clock.now() + dt.timedelta(days=10)
    session.flush()
    row = client.get("/clerk/").text.split(f'data-test="row-{calm.tracking_code}"')[1]
    assert 'data-test="urgent"' not in row.split("</tr>")[0]
