"""好差评 on both services: the 代办 invitation after pickup, and a poor window rating's
follow-up for the clerk who served."""

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from feedback import follow_ups
from feedback.models import Source, State
from services import ratings
from tests.feedback.helpers import collected
from tests.tickets.conftest import make_hall
from tickets import queue


def notices(session, template):
    session.flush()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload.get("template") == template]


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


def served(session, hall, phone=None):
    queue.take_ticket(session, hall.a, phone=phone)
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    return queue.finish(session, hall.one)


def test_the_teacher_is_invited_to_rate_once_the_agents_result_is_collected(session):
    handled = collected(session)
    (notice,) = notices(session, "rating_invite")
    assert notice.recipient == "+8613900000001"
    code = handled.consignment.tracking_code
    assert notice.payload["params"]["url"].endswith(f"/consignments/{code}/rate")


def test_a_poor_window_rating_is_followed_up_by_the_clerk_who_served(session, hall):
    ticket = served(session, hall)
    _rating, follow_up = ratings.rate_ticket(session, ticket, 2, ["wait"], "等了一个小时")
    assert (follow_up.source, follow_up.label, follow_up.state) == (Source.WINDOW, "A001",
                                                                    State.OPEN)  # fmt: skip
    assert follow_up.assignee_id == hall.staff.id
    assert follow_up.window_number == 1
    assert follow_up.department_id == hall.a.department_id


def test_a_good_window_rating_opens_no_follow_up(session, hall):
    _rating, follow_up = ratings.rate_ticket(session, served(session, hall), 5, [])
    assert follow_up is None


def test_an_anonymous_visitor_hears_the_rectification_by_sms_without_a_link(session, hall):
    ticket = served(session, hall, phone="13700000009")
    _rating, follow_up = ratings.rate_ticket(session, ticket, 1, [])
    follow_ups.rectify(session, follow_up, hall.staff, "已向来访者致歉")
    (notice,) = notices(session, "follow_up_rectified")
    assert notice.recipient == "+8613700000009"
    assert notice.payload["params"]["url"] == ""
