import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, ValidationFailed
from core.users import (
    ApiToken,
    Role,
    authenticate,
    issue_token,
    user_for_token,
)
from tests import factories


def test_a_user_logs_in_with_the_right_password(session):
    factories.user(session, "wang", Role.TEACHER)
    assert authenticate(session, "wang", factories.PASSWORD).login == "wang"


def test_passwords_are_stored_as_argon2_hashes(session):
    user = factories.user(session, "wang")
    assert user.password_hash.startswith("$argon2")
    assert factories.PASSWORD not in user.password_hash


def test_a_wrong_password_is_refused(session):
    factories.user(session, "wang")
    assert authenticate(session, "wang", "wrong-password") is None


def test_an_unknown_login_is_refused_like_a_wrong_password(session):
    assert authenticate(session, "nobody", "not a password") is None


def test_an_inactive_user_cannot_log_in(session):
    user = factories.user(session, "wang")
    user.active = False
    assert authenticate(session, "wang", factories.PASSWORD) is None


def test_a_taken_login_is_refused(session):
    factories.user(session, "wang")
    with pytest.raises(Conflict):
        factories.user(session, "wang")


def test_a_short_password_is_refused(session):
    with pytest.raises(ValidationFailed):
        factories.user(session, "wang", password="short")


def test_roles_are_kept(session):
    user = factories.user(session, "zhou", Role.HALL_STAFF, Role.CLERK)
    assert user.roles == {Role.HALL_STAFF, Role.CLERK}
    assert user.has_role(Role.CLERK)
    assert not user.has_role(Role.ADMIN)


def test_an_api_token_finds_its_user_and_only_its_hash_is_stored(session):
    user = factories.user(session, "wang")
    token = issue_token(session, user)
    assert user_for_token(session, token).id == user.id
    stored = session.query(ApiToken).one()
    assert token not in stored.token_hash


def test_an_expired_token_is_refused(session, frozen_clock):
    token = issue_token(session, factories.user(session, "wang"))
    frozen_clock.advance(dt.timedelta(days=31))
    assert user_for_token(session, token) is None


def test_an_unknown_token_is_refused(session):
    assert user_for_token(session, "made-up") is None


def test_token_times_are_aware(session):
    token = issue_token(session, factories.user(session, "wang"))
    session.expire_all()
    assert user_for_token(session, token) is not None
    stored = session.query(ApiToken).one()
    assert stored.expires_at.tzinfo is not None
    assert stored.expires_at > clock.now()


def test_a_hash_made_with_the_tests_cheap_parameters_is_made_again_at_the_next_login(
    session, monkeypatch
):
    from argon2 import PasswordHasher

    from core import users

    user = factories.user(session, "cheap")
    monkeypatch.delenv(users.CHEAP_HASHES)
    users._hasher.cache_clear()
    try:
        assert users.authenticate(session, "cheap", factories.PASSWORD) is user
        assert not PasswordHasher().check_needs_rehash(user.password_hash)
    finally:
        users._hasher.cache_clear()
