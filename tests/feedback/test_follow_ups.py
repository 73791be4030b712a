"""A poor rating's follow-up (整改): deadline in working days, rectification, appeal, review,
overdue flagged once, every act audited and told."""

import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.outbox import OutboxMessage
from core.users import Role
from feedback import follow_ups
from feedback.models import Decision, Source, State
from services import ratings
from tests import factories
from tests.feedback.helpers import collected

SH = clock.SHANGHAI


def notices(session, template):
    session.flush()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload.get("template") == template]


def audited(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def handled(session, frozen_clock):
    return collected(session)


@pytest.fixture
def poor(session, handled):
    _rating, follow_up = ratings.rate_consignment(
        session, handled.consignment, handled.teacher, 1, ["slow", "unsolved"], "跑了三趟"
    )
    return follow_up


def test_a_very_dissatisfied_rating_opens_a_follow_up_for_the_agent(session, handled, poor):
    assert poor.source is Source.AGENT
    assert poor.state is State.OPEN
    assert poor.assignee_id == handled.agent.id
    assert poor.department_id == handled.consignment.department_id
    assert (poor.level, poor.reasons, poor.comment) == (1, ["slow", "unsolved"], "跑了三趟")


def test_a_basically_satisfied_rating_opens_no_follow_up(session, handled):
    _rating, follow_up = ratings.rate_consignment(
        session, handled.consignment, handled.teacher, 3, []
    )
    assert follow_up is None


def test_the_deadline_is_five_working_days_by_default(session, poor):
    # Tuesday 17 November 09:30: the fifth working day after it is Tuesday 24 November.
    assert poor.due_at.astimezone(SH) == dt.datetime(2026, 11, 24, 17, 30, tzinfo=SH)


def test_the_deadline_skips_national_day_and_counts_its_make_up_workday(session):
    with clock.frozen(dt.datetime(2026, 9, 29, 9, 0, tzinfo=SH).astimezone(dt.UTC)):
        handled = collected(session)
        _r, follow_up = ratings.rate_consignment(
            session, handled.consignment, handled.teacher, 2, []
        )
    assert follow_up.due_at.astimezone(SH) == dt.datetime(2026, 10, 12, 17, 30, tzinfo=SH)


def test_the_number_of_working_days_is_the_sites_setting(session, handled):
    session.info[follow_ups.DAYS_KEY] = 2
    _r, follow_up = ratings.rate_consignment(session, handled.consignment, handled.teacher, 2, [])
    assert follow_up.due_at.astimezone(SH).date() == dt.date(2026, 11, 19)


def test_the_agent_is_told_of_the_poor_rating_and_its_deadline(session, handled, poor):
    (notice,) = notices(session, "follow_up_assigned")
    assert notice.recipient == "+8613900000003"
    assert notice.payload["params"]["label"] == handled.consignment.tracking_code
    assert notice.payload["params"]["url"].endswith(f"/follow-ups/{poor.id}")


def test_the_agent_records_the_rectification_and_the_teacher_is_told(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已电话致歉，并改为当天办结")
    assert poor.state is State.RECTIFIED
    assert poor.rectified_by_id == handled.agent.id
    (notice,) = notices(session, "follow_up_rectified")
    assert notice.recipient == "+8613900000001"


def test_another_clerk_may_not_record_the_rectification(session, handled, poor):
    other = factories.user(session, "li_clerk", Role.CLERK)
    with pytest.raises(Forbidden):
        follow_ups.rectify(session, poor, other, "不是我的")


def test_an_empty_rectification_is_refused(session, handled, poor):
    with pytest.raises(DomainError) as refused:
        follow_ups.rectify(session, poor, handled.agent, "   ")
    assert refused.value.code == "no_rectification"


def test_the_teacher_appeals_a_rectification(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.appeal(session, poor, handled.teacher, "问题仍未解决")
    assert poor.state is State.APPEALED
    assert poor.appeal == "问题仍未解决"


def test_no_appeal_before_a_rectification(session, handled, poor):
    with pytest.raises(Conflict):
        follow_ups.appeal(session, poor, handled.teacher, "还没整改")


def test_only_the_rater_may_appeal(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    with pytest.raises(Forbidden):
        follow_ups.appeal(session, poor, handled.agent, "代为申诉")


def test_an_administrator_accepting_the_rectification_closes_it(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.review(session, poor, handled.admin, Decision.ACCEPTED, "属实，已整改")
    assert poor.state is State.CLOSED
    assert poor.decision is Decision.ACCEPTED


def test_upholding_an_appeal_sends_it_back_with_a_fresh_deadline(session, handled, poor,
                                                                 frozen_clock):  # fmt: skip
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.appeal(session, poor, handled.teacher, "问题仍未解决")
    frozen_clock.advance(dt.timedelta(days=2))
    follow_ups.review(session, poor, handled.admin, Decision.REJECTED, "请重新办理")
    assert (poor.state, poor.reopened) == (State.OPEN, 1)
    # Thursday 19 November: five working days on is Thursday 26 November.
    assert poor.due_at.astimezone(SH).date() == dt.date(2026, 11, 26)


def test_both_sides_hear_the_review(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.review(session, poor, handled.admin, Decision.ACCEPTED)
    told = {n.recipient for n in notices(session, "follow_up_reviewed")}
    assert told == {"+8613900000001", "+8613900000003"}


def test_only_an_administrator_reviews(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    with pytest.raises(Forbidden):
        follow_ups.review(session, poor, handled.agent, Decision.ACCEPTED)


def test_nothing_is_reviewed_before_a_rectification(session, handled, poor):
    with pytest.raises(Conflict):
        follow_ups.review(session, poor, handled.admin, Decision.ACCEPTED)


def test_every_act_is_in_the_audit_log(session, handled, poor):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    follow_ups.appeal(session, poor, handled.teacher, "问题仍未解决")
    follow_ups.review(session, poor, handled.admin, Decision.ACCEPTED)
    session.flush()
    actors = [
        (action, [e.actor for e in audited(session, action)])
        for action in ("follow_up.opened", "follow_up.rectified", "follow_up.appealed",
                       "follow_up.reviewed")
    ]  # fmt: skip
    assert actors == [
        ("follow_up.opened", ["system"]),
        ("follow_up.rectified", ["wang"]),
        ("follow_up.appealed", ["zhang_t"]),
        ("follow_up.reviewed", ["wang_admin"]),
    ]


def test_a_follow_up_past_its_deadline_is_flagged_overdue_once(session, poor, frozen_clock):
    frozen_clock.advance(dt.timedelta(days=8))
    assert follow_ups.flag_overdue(session) == 1
    assert follow_ups.flag_overdue(session) == 0
    assert poor.overdue
    assert len(audited(session, "follow_up.overdue")) == 1


def test_the_overdue_flag_tells_the_agent_and_the_administrators_once(session, poor,
                                                                      frozen_clock):  # fmt: skip
    frozen_clock.advance(dt.timedelta(days=8))
    follow_ups.flag_overdue(session)
    follow_ups.flag_overdue(session)
    assert len(notices(session, "follow_up_overdue")) == 2  # the agent and the administrator


def test_a_follow_up_within_its_deadline_is_not_flagged(session, poor, frozen_clock):
    frozen_clock.advance(dt.timedelta(days=3))
    assert follow_ups.flag_overdue(session) == 0


def test_a_rectified_follow_up_is_not_flagged_overdue(session, handled, poor, frozen_clock):
    follow_ups.rectify(session, poor, handled.agent, "已致歉")
    frozen_clock.advance(dt.timedelta(days=8))
    assert follow_ups.flag_overdue(session) == 0


def test_the_overdue_filter_lists_only_flagged_open_follow_ups(session, poor, frozen_clock):
    assert follow_ups.find(session, overdue=True) == []
    frozen_clock.advance(dt.timedelta(days=8))
    follow_ups.flag_overdue(session)
    assert follow_ups.find(session, overdue=True) == [poor]


def test_people_see_only_their_own_follow_ups(session, handled, poor):
    stranger = factories.user(session, "stranger", Role.TEACHER)
    assert follow_ups.find(session, user=handled.teacher) == [poor]
    assert follow_ups.find(session, user=handled.agent) == [poor]
    assert follow_ups.find(session, user=stranger) == []
    with pytest.raises(NotFound):
        follow_ups.get(session, poor.id, stranger)
