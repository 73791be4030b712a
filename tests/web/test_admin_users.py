import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.outbox import OutboxMessage
from core.users import Role, User
from tests import factories
from tests.conftest import login
from tests.pages import visible_text


@pytest.fixture
def admin(client, session):
    factories.user(session, "admin1", Role.ADMIN)
    login(client, "admin1")
    return client


@pytest.fixture
def wang(session):
    return factories.user(session, "wang", Role.TEACHER, name="王老师", phone="13800138000")


def _link(session):
    row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return row.payload["params"]["link"].split("/password/", 1)[1]


def test_the_list_finds_a_user_by_name(admin, wang):
    page = admin.get("/admin/users/?q=王").get_data(as_text=True)
    assert 'data-test="user-wang"' in page
    assert 'data-test="user-admin1"' not in page


def test_the_list_counts_users_with_the_right_plural_in_english(admin, wang):
    admin.post("/lang/en")
    assert "1 user" in visible_text(admin.get("/admin/users/?q=wang"))
    assert "2 users" in visible_text(admin.get("/admin/users/"))


def test_an_admin_adds_a_user_with_a_staff_number(admin, session):
    response = admin.post(
        "/admin/users/new",
        data={"login": "zhao", "name": "赵", "staff_number": "C2024", "roles": ["courier"]},
    )
    user = session.scalars(select(User).where(User.login == "zhao")).one()
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}")
    assert (user.staff_number, user.roles) == ("C2024", frozenset({Role.COURIER}))


def test_a_user_without_a_role_is_refused_with_the_reason(admin, session):
    response = admin.post("/admin/users/new", data={"login": "zhao", "name": "赵"})
    assert response.status_code == 422
    assert "至少分配一个角色" in visible_text(response)


def test_an_admin_sets_roles(admin, session, wang):
    admin.post(f"/admin/users/{wang.id}", data={"name": "王老师", "roles": ["teacher", "clerk"]})
    session.expire_all()
    assert session.get(User, wang.id).roles == {Role.TEACHER, Role.CLERK}


def test_a_disabled_user_is_logged_out_of_the_browser(admin, app, session, wang):
    teacher = app.test_client()
    login(teacher, "wang")
    admin.post(f"/admin/users/{wang.id}/active", data={"active": "0"})
    assert teacher.get("/consignments/").status_code == 302


def test_the_send_link_button_queues_a_notice_and_audits_it(admin, session, wang):
    admin.post(f"/admin/users/{wang.id}/password-link")
    assert session.scalars(select(OutboxMessage.channel)).all() == ["sms"]
    assert session.scalars(select(AuditEntry.action)).all() == ["user.password_link"]


def test_the_set_password_page_sets_it_once_and_then_says_the_link_is_dead(
    admin, app, session, wang
):
    admin.post(f"/admin/users/{wang.id}/password-link")
    token = _link(session)
    visitor = app.test_client()
    password = "violet kettle harbour 42"
    answer = visitor.post(f"/password/{token}", data={"password": password, "again": password})
    assert answer.headers["Location"].endswith("/login")
    assert login(visitor, "wang", password).status_code == 302
    assert visitor.get(f"/password/{token}").status_code == 404


def test_the_set_password_page_refuses_a_weak_password(admin, app, session, wang):
    admin.post(f"/admin/users/{wang.id}/password-link")
    answer = app.test_client().post(
        f"/password/{_link(session)}", data={"password": "1234567890", "again": "1234567890"}
    )
    assert answer.status_code == 422


def test_users_are_managed_by_administrators_only(client, session):
    factories.user(session, "clerk_li", Role.CLERK)
    login(client, "clerk_li")
    assert client.get("/admin/users/").status_code == 403
