import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.outbox import OutboxMessage
from core.users import ApiToken, Role, authenticate, issue_token
from services import user_admin
from services.user_admin import Details
from tests import factories

DAY = dt.timedelta(hours=24)
GOOD_PASSWORD = "violet kettle harbour 42"


@pytest.fixture
def admin(session):
    return factories.user(session, "root_admin", Role.ADMIN)


@pytest.fixture
def wang(session):
    user = factories.user(session, "wang", Role.TEACHER, name="王老师", phone="13800138000")
    user.staff_number = "T1001"
    session.flush()
    return user


def actions(session):
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _token_of(session):
    row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return row.payload["params"]["link"].rsplit("/", 1)[1]


@pytest.mark.parametrize("text", ["wang", "王老", "13800138", "t1001"])
def test_search_finds_a_user_by_login_name_phone_or_staff_number(session, wang, text):
    assert [u.login for u in user_admin.search_users(session, text).users] == ["wang"]


def test_search_pages_through_many_users(session):
    for n in range(user_admin.PAGE_SIZE + 3):
        factories.user(session, f"paged{n:02d}")
    second = user_admin.search_users(session, "paged", page=2)
    assert (second.total, second.pages, len(second.users)) == (user_admin.PAGE_SIZE + 3, 2, 3)


def test_an_added_user_has_roles_a_staff_number_and_an_audit_entry(session, admin):
    user = user_admin.add_user(
        session, admin, "li_clerk", Details(name="李", staff_number="S42"), ["clerk"]
    )
    assert (user.roles, user.staff_number) == (frozenset({Role.CLERK}), "S42")
    assert actions(session) == ["user.add"]


def test_a_staff_number_belongs_to_one_user(session, admin, wang):
    with pytest.raises(ValidationFailed):
        user_admin.add_user(
            session, admin, "other", Details(name="别人", staff_number="T1001"), ["teacher"]
        )


def test_setting_roles_is_audited_with_before_and_after(session, admin, wang):
    user_admin.update_user(session, admin, wang, Details(name="王老师"), ["teacher", "clerk"])
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.details["before"]["roles"] == ["teacher"]
    assert entry.details["after"]["roles"] == ["clerk", "teacher"]


def test_an_admin_cannot_take_their_own_admin_role(session, admin):
    with pytest.raises(Forbidden):
        user_admin.update_user(session, admin, admin, Details(name="root"), ["teacher"])


def test_a_disabled_user_cannot_log_in_nor_use_a_token(session, admin, wang):
    issue_token(session, wang)
    user_admin.set_active(session, admin, wang, False)
    assert authenticate(session, "wang", factories.PASSWORD) is None
    assert session.scalars(select(ApiToken.revoked_at)).one() is not None
    assert actions(session) == ["user.disable"]


def test_an_admin_cannot_disable_their_own_account(session, admin):
    with pytest.raises(Forbidden):
        user_admin.set_active(session, admin, admin, False)


def test_revoking_ends_sessions_and_tokens(session, admin, wang):
    issue_token(session, wang)
    generation = wang.session_generation
    assert user_admin.revoke_tokens(session, admin, wang) == 1
    assert wang.session_generation == generation + 1
    assert actions(session) == ["user.revoke_tokens"]


def test_the_password_link_goes_out_through_the_outbox_to_the_users_phone(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    row = session.scalars(select(OutboxMessage)).one()
    assert (row.channel, row.recipient) == ("sms", "+8613800138000")
    assert "/password/" in row.payload["text"]
    assert actions(session) == ["user.password_link"]


def test_a_user_nobody_can_reach_gets_no_link(session, admin):
    silent = factories.user(session, "silent")
    with pytest.raises(Conflict):
        user_admin.send_password_link(session, admin, silent, DAY)


def test_the_link_sets_a_password_that_passes_the_policy(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    user_admin.set_password_with_link(session, _token_of(session), GOOD_PASSWORD)
    assert authenticate(session, "wang", GOOD_PASSWORD) is wang
    assert actions(session)[-1] == "user.password_set"


def test_the_link_refuses_a_weak_password(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    with pytest.raises(ValidationFailed):
        user_admin.set_password_with_link(session, _token_of(session), "password1234")


def test_the_link_works_once(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    token = _token_of(session)
    user_admin.set_password_with_link(session, token, GOOD_PASSWORD)
    with pytest.raises(NotFound):
        user_admin.set_password_with_link(session, token, "another long passphrase 7")


def test_the_link_expires(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    token = _token_of(session)
    with clock.frozen(clock.now() + DAY + dt.timedelta(seconds=1)):
        assert user_admin.live_link(session, token) is None


def test_a_newer_link_ends_the_older_one(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    first = _token_of(session)
    user_admin.send_password_link(session, admin, wang, DAY)
    assert user_admin.live_link(session, first) is None
    assert user_admin.live_link(session, _token_of(session)) is not None


def test_a_forged_link_is_refused(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    link_id, expires, _signature = _token_of(session).split("-")
    assert user_admin.live_link(session, f"{link_id}-{expires}-{'0' * 32}") is None


def test_revoking_tokens_ends_an_unused_link(session, admin, wang):
    user_admin.send_password_link(session, admin, wang, DAY)
    token = _token_of(session)
    user_admin.revoke_tokens(session, admin, wang)
    assert user_admin.live_link(session, token) is None
