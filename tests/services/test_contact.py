"""A user's mobile number and WeCom id: one rule for every path that sets them."""

import pytest

from core.errors import ValidationFailed
from services.contact import set_contact
from tests import factories


@pytest.fixture
def user(session):
    return factories.user(session, "li", phone="13800138000")


def test_a_mainland_mobile_is_stored_without_its_country_code(session, user):
    set_contact(session, user, "+86 139 0013 9000", None)
    assert user.phone == "13900139000"


def test_a_mobile_of_another_region_is_refused_unless_the_setting_allows_it(session, user):
    with pytest.raises(ValidationFailed):
        set_contact(session, user, "+852 5123 4567", None)
    set_contact(session, user, "+852 5123 4567", None, phone_regions=("CN", "HK"))
    assert user.phone == "+85251234567"


def test_a_landline_is_refused(session, user):
    with pytest.raises(ValidationFailed) as refused:
        set_contact(session, user, "010 6275 1234", None)
    assert [p.field for p in refused.value.problems] == ["phone"]


def test_both_fields_are_checked_before_either_is_stored(session, user):
    with pytest.raises(ValidationFailed) as refused:
        set_contact(session, user, "12345", "@all")
    assert [p.field for p in refused.value.problems] == ["phone", "wechat_id"]
    assert user.phone == "13800138000"


def test_a_blank_number_removes_it_and_none_keeps_it(session, user):
    preference = set_contact(session, user, None, "li.xiao")
    assert (user.phone, preference.wechat_id) == ("13800138000", "li.xiao")
    set_contact(session, user, " ", None)
    assert (user.phone, preference.wechat_id) == (None, "li.xiao")
