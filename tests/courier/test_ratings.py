"""一事一评: the submitter rates the 代办 of a collected consignment, once."""

import pytest

from core.errors import Conflict, DomainError, Forbidden
from core.users import Role
from courier import ratings
from tests import factories
from tests.courier.agent_helpers import at_agent_desk
from tests.feedback.helpers import collected


def test_the_submitter_rates_a_collected_consignment_its_agent_handled(session):
    handled = collected(session)
    rating = ratings.rate(session, handled.consignment, handled.teacher, 4, ["slow"], " 还行 ")
    assert (rating.level, rating.reasons, rating.comment) == (4, ["slow"], "还行")
    assert rating.agent_id == handled.agent.id
    assert rating.department_id == handled.consignment.department_id


def test_the_submitter_is_invited_only_until_rating(session):
    handled = collected(session)
    assert ratings.may_rate(session, handled.consignment, handled.teacher)
    ratings.rate(session, handled.consignment, handled.teacher, 5, [])
    assert not ratings.may_rate(session, handled.consignment, handled.teacher)


def test_a_consignment_is_rated_once(session):
    handled = collected(session)
    ratings.rate(session, handled.consignment, handled.teacher, 5, [])
    with pytest.raises(Conflict):
        ratings.rate(session, handled.consignment, handled.teacher, 1, [])


def test_someone_other_than_the_submitter_may_not_rate(session):
    handled = collected(session)
    other = factories.user(session, "li_t", Role.TEACHER)
    with pytest.raises(Forbidden):
        ratings.rate(session, handled.consignment, other, 1, [])


def test_a_consignment_not_yet_collected_cannot_be_rated(session):
    teacher = factories.user(session, "zhao_t", Role.TEACHER)
    consignment = at_agent_desk(session, submitter=teacher)
    with pytest.raises(DomainError) as refused:
        ratings.rate(session, consignment, teacher, 5, [])
    assert refused.value.code == "not_ratable"


def test_an_unknown_reason_is_refused(session):
    handled = collected(session)
    with pytest.raises(DomainError) as refused:
        ratings.rate(session, handled.consignment, handled.teacher, 2, ["queue"])
    assert refused.value.code == "bad_reason"


def test_a_level_off_the_five_is_refused(session):
    handled = collected(session)
    with pytest.raises(DomainError) as refused:
        ratings.rate(session, handled.consignment, handled.teacher, 6, [])
    assert refused.value.code == "bad_level"
