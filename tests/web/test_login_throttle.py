import dataclasses

import pytest

from core.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS
from core.users import Role
from tests import factories
from tests.conftest import login

FAILURES = LOGIN_ACCOUNT.limits[0].amount


def test_failures_on_one_account_leave_the_right_password_of_another_account_working(
    client, session
):
    factories.user(session, "admin", Role.ADMIN)
    for _ in range(FAILURES + 2):
        login(client, "mallory", "guess")
    assert login(client, "admin").status_code == 302


def test_a_locked_account_at_one_address_can_still_log_in_from_another(app, session):
    factories.user(session, "wang")
    client = app.test_client()
    for _ in range(FAILURES):
        login(client, "wang", "guess")
    other = app.test_client()
    response = other.post(
        "/login",
        data={"login": "wang", "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302


def test_a_refused_login_says_when_to_retry_in_the_visitors_language(client, session):
    factories.user(session, "wang")
    for _ in range(FAILURES):
        login(client, "wang", "guess")
    response = login(client, "wang")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "分钟后再试" in response.get_data(as_text=True)


def test_the_token_api_answers_a_used_up_throttle_with_retry_after(client, session):
    factories.user(session, "wang")
    for _ in range(FAILURES):
        client.post("/api/auth/token", json={"login": "wang", "password": "guess"})
    response = client.post("/api/auth/token", json={"login": "wang", "password": "x"})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.slow
def test_guessing_at_many_accounts_stops_the_address_but_not_a_known_browser(app, session):
    factories.user(session, "wang")
    known = app.test_client()
    login(known, "wang")
    known.post("/logout")
    attacker = app.test_client()
    for n in range(LOGIN_ADDRESS.limits[0].amount):
        login(attacker, f"user{n}", "guess")
    assert login(attacker, "wang").status_code == 429
    assert login(known, "wang").status_code == 302


@pytest.mark.slow
def test_login_failures_are_counted_across_processes_in_redis(settings, connection, session):
    """Two app instances (as two worker processes) share the counters through Redis."""
    import uuid

    from tests.conftest import _session_on
    from web.app import create_app

    factories.user(session, "wang")
    session.flush()
    shared = dataclasses.replace(settings, throttle_storage_uri="redis://127.0.0.1:6379/0")
    apps = [
        create_app(
            shared, sessions=lambda: _session_on(connection), TESTING=True, WTF_CSRF_ENABLED=False
        )
        for _ in range(2)
    ]
    address = {"REMOTE_ADDR": f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}
    try:
        for n in range(FAILURES):
            apps[n % 2].test_client().post(
                "/login", data={"login": "wang", "password": "guess"}, environ_base=address
            )
        response = (
            apps[0]
            .test_client()
            .post(
                "/login",
                data={"login": "wang", "password": factories.PASSWORD},
                environ_base=address,
            )
        )
        assert response.status_code == 429
    finally:
        throttle = apps[0].extensions["courier_throttle"]
        throttle.clear(LOGIN_ACCOUNT, "wang", address["REMOTE_ADDR"])
        throttle.clear(LOGIN_ADDRESS, address["REMOTE_ADDR"])
