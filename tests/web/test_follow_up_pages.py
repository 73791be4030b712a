"""The 好差评 pages: the teacher rates a 代办, the agent rectifies, the teacher appeals, an
administrator reviews; who may see and do what."""

import datetime as dt

import pytest

from feedback import follow_ups
from feedback.models import Decision, Source, State
from services import ratings
from tests import factories
from tests.conftest import login
from tests.feedback.helpers import collected


@pytest.fixture
def handled(session, frozen_clock):
    handled = collected(session)
    session.flush()
    return handled


@pytest.fixture
def poor(session, handled):
    _rating, follow_up = ratings.rate_consignment(
        session, handled.consignment, handled.teacher, 1, ["slow"], "跑了三趟"
    )
    session.flush()
    return follow_up


def test_the_teachers_consignment_page_invites_the_rating(client, handled):
    login(client, "zhang_t")
    page = client.get(f"/consignments/{handled.consignment.tracking_code}").get_data(as_text=True)
    assert 'data-test="rate-link"' in page


def test_a_bad_rating_on_the_page_opens_a_follow_up(client, session, handled):
    login(client, "zhang_t")
    code = handled.consignment.tracking_code
    page = client.post(
        f"/consignments/{code}/rate",
        data={"level": 2, "reasons": ["slow", "unclear"], "comment": "等太久"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "限期整改" in page
    follow_up = follow_ups.of_subject(session, Source.AGENT, handled.consignment.id)
    assert (follow_up.level, follow_up.reasons) == (2, ["slow", "unclear"])


def test_another_teacher_gets_no_rating_form(client, session, handled):
    factories.user(session, "li_t")
    session.flush()
    login(client, "li_t")
    code = handled.consignment.tracking_code
    assert client.get(f"/consignments/{code}/rate").status_code == 403


def test_the_agent_records_the_rectification_on_the_page(client, session, handled, poor):
    login(client, "wang")
    client.post(f"/follow-ups/{poor.id}/rectify", data={"note": "已致电说明，改为当日办结"})
    session.refresh(poor)
    assert poor.state is State.RECTIFIED


def test_the_teacher_appeals_on_the_page(client, session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    session.flush()
    login(client, "zhang_t")
    page = client.get(f"/follow-ups/{poor.id}").get_data(as_text=True)
    assert 'data-test="appeal-form"' in page
    client.post(f"/follow-ups/{poor.id}/appeal", data={"reason": "问题没有解决"})
    session.refresh(poor)
    assert poor.state is State.APPEALED


def test_the_administrator_sends_an_appealed_rectification_back(client, session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.appeal(session, poor, handled.teacher, "问题没有解决")
    session.flush()
    login(client, "wang_admin")
    client.post(f"/follow-ups/{poor.id}/review", data={"decision": "rejected", "note": "重办"})
    session.refresh(poor)
    assert (poor.state, poor.decision) == (State.OPEN, Decision.REJECTED)


def test_the_administrators_list_filters_overdue_follow_ups(client, session, poor, frozen_clock):
    frozen_clock.advance(dt.timedelta(days=8))
    follow_ups.flag_overdue(session)
    session.flush()
    login(client, "wang_admin")
    page = client.get("/admin/follow-ups?overdue=1").get_data(as_text=True)
    assert f'data-test="follow-up-{poor.id}"' in page
    assert 'data-test="overdue"' in page


def test_the_overdue_filter_leaves_out_follow_ups_within_their_deadline(client, poor):
    login(client, "wang_admin")
    page = client.get("/admin/follow-ups?overdue=1").get_data(as_text=True)
    assert f'data-test="follow-up-{poor.id}"' not in page


def test_the_agent_finds_the_follow_up_among_theirs(client, poor):
    login(client, "wang")
    page = client.get("/follow-ups/").get_data(as_text=True)
    assert f'data-test="follow-up-{poor.id}"' in page


def test_a_stranger_cannot_open_a_follow_up(client, session, poor):
    factories.user(session, "li_t")
    session.flush()
    login(client, "li_t")
    assert client.get(f"/follow-ups/{poor.id}").status_code == 404


def test_the_clerks_statistics_show_satisfaction_with_their_handling(client, poor):
    login(client, "wang")
    page = client.get("/clerk/stats").get_data(as_text=True)
    assert 'data-test="satisfaction-clerk"' in page
    assert "wang 代办员" in page


def test_the_dashboard_has_satisfaction_per_member_of_staff(client, poor):
    login(client, "wang_admin")
    page = client.get("/admin/dashboard/").get_data(as_text=True)
    assert 'data-test="table-satisfaction_clerk"' in page
    assert 'data-test="table-satisfaction_agent_department"' in page
