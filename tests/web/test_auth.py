from flask import Flask

from core.throttle import LOGIN_ACCOUNT
from core.users import Role
from tests import factories
from tests.conftest import login


def test_the_login_page_is_in_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page
    assert 'lang="zh-CN"' in page


def test_a_user_logs_in_and_is_sent_where_they_were_going(client, session):
    factories.user(session, "wang", Role.ADMIN)
    response = client.post(
        "/login?next=/admin/catalog/", data={"login": "wang", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/catalog/"


def test_a_wrong_password_gets_a_generic_message(client, session):
    factories.user(session, "wang")
    response = login(client, "wang", "wrong-password")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)


def test_an_unknown_login_gets_the_same_message(client):
    response = login(client, "nobody", "wrong-password")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)


def test_repeated_failures_are_rate_limited_even_with_the_right_password(client, session):
    factories.user(session, "wang")
    for _ in range(LOGIN_ACCOUNT.limits[0].amount):
        login(client, "wang", "wrong-password")
    assert login(client, "wang").status_code == 429


def test_the_next_parameter_cannot_send_users_to_another_site(client, session):
    factories.user(session, "wang")
    response = client.post(
        "/login?next=//evil.example/", data={"login": "wang", "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/me"


def test_a_teacher_starts_on_their_home(client, session):
    factories.user(session, "wang", Role.TEACHER)
    assert login(client, "wang").headers["Location"] == "/me"


def test_a_courier_starts_on_their_home(client, session):
    factories.user(session, "zhao", Role.COURIER)
    assert login(client, "zhao").headers["Location"] == "/me"


def test_a_safe_next_wins_over_the_home(client, session):
    factories.user(session, "wang", Role.TEACHER)
    response = client.post(
        "/login?next=/pickups", data={"login": "wang", "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/pickups"


def test_an_administrator_starts_on_the_dashboard(client, session):
    factories.user(session, "li", Role.ADMIN)
    assert login(client, "li").headers["Location"] == "/admin/dashboard/"


def test_a_clerk_starts_on_the_inbox(client, session):
    factories.user(session, "sun", Role.CLERK)
    assert login(client, "sun").headers["Location"] == "/clerk/"


def test_hall_staff_start_at_the_window_they_are_signed_in_at(client, session):
    from tickets.queue import sign_in, window_by_number
    from tickets.setup import add_window

    staff = factories.user(session, "zhou", Role.HALL_STAFF)
    hall = factories.hall(session)
    add_window(session, hall, 3, [], "3 号窗口")
    sign_in(session, window_by_number(session, 3, hall), staff)
    assert login(client, "zhou").headers["Location"] == "/hall/NH/windows/3"


def test_hall_staff_at_no_window_start_at_the_hall(client, session):
    factories.user(session, "zhou", Role.HALL_STAFF)
    assert login(client, "zhou").headers["Location"] == "/hall/"


def test_logging_out_ends_the_session(client, session):
    factories.user(session, "wang", Role.ADMIN)
    login(client, "wang")
    client.post("/logout")
    assert client.get("/admin/catalog/").status_code == 302


def test_a_page_of_another_role_is_forbidden(client, session):
    factories.user(session, "li", Role.STUDENT)
    login(client, "li")
    response = client.get("/admin/catalog/")
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/admin/catalog/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/catalog/")


def test_a_changed_password_ends_other_sessions(client, session):
    user = factories.user(session, "wang", Role.ADMIN)
    login(client, "wang")
    from core.users import hash_password

    user.password_hash = hash_password("another-password")
    session.flush()
    assert client.get("/admin/catalog/").status_code == 302


def test_forms_without_a_csrf_token_are_refused(settings, connection, session):
    from tests.conftest import _session_on
    from web.app import create_app

    factories.user(session, "wang")
    session.flush()
    app: Flask = create_app(settings, sessions=lambda: _session_on(connection), TESTING=True)
    response = app.test_client().post(
        "/login", data={"login": "wang", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_every_view_declares_who_may_use_it(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "_access")
    ]
    assert undeclared == []
