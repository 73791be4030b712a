from core.users import ApiToken, Role, issue_token, user_for_token
from tests import factories
from tests.conftest import login

NEW_PASSWORD = "amber-kettle-violin-42"


def test_a_session_cookie_copied_before_logout_no_longer_works(app, session):
    factories.user(session, "wang", Role.ADMIN)
    client = app.test_client()
    login(client, "wang")
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/admin/catalog/").status_code == 302


def test_the_account_page_lists_the_users_tokens_by_name(client, session):
    user = factories.user(session, "wang")
    issue_token(session, user, "scanner 2")
    login(client, "wang")
    page = client.get("/account").get_data(as_text=True)
    assert "scanner 2" in page


def test_creating_a_token_shows_it_once(client, session, frozen_clock):
    user = factories.user(session, "wang")
    login(client, "wang")
    response = client.post("/account/tokens", data={"name": "laptop", "days": "3"})
    assert response.status_code == 201
    row = session.query(ApiToken).filter_by(user_id=user.id).one()
    assert row.name == "laptop"
    assert (row.expires_at - row.created_at).days == 3


def test_a_revoked_token_no_longer_opens_the_api(client, session):
    user = factories.user(session, "wang")
    token = issue_token(session, user, "laptop")
    row = session.query(ApiToken).filter_by(user_id=user.id).one()
    login(client, "wang")
    client.post(f"/account/tokens/{row.id}/revoke")
    session.expire_all()
    assert user_for_token(session, token) is None


def test_a_user_cannot_revoke_another_users_token(client, session):
    other = factories.user(session, "li")
    token = issue_token(session, other, "li's")
    row = session.query(ApiToken).filter_by(user_id=other.id).one()
    factories.user(session, "wang")
    login(client, "wang")
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert user_for_token(session, token) is not None


def test_changing_the_password_revokes_every_token(client, session):
    user = factories.user(session, "wang")
    token = issue_token(session, user, "laptop")
    login(client, "wang")
    response = client.post(
        "/account/password", data={"current": factories.PASSWORD, "new": NEW_PASSWORD}
    )
    assert response.status_code == 302
    session.expire_all()
    assert user_for_token(session, token) is None


def test_changing_the_password_keeps_this_browser_and_ends_the_others(app, session):
    factories.user(session, "wang")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "wang")
    login(elsewhere, "wang")
    here.post("/account/password", data={"current": factories.PASSWORD, "new": NEW_PASSWORD})
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_a_common_new_password_is_refused(client, session):
    factories.user(session, "wang")
    login(client, "wang")
    response = client.post(
        "/account/password", data={"current": factories.PASSWORD, "new": "12345678"}
    )
    assert response.status_code == 400
    assert "至少需要 10 个字符" in response.get_data(as_text=True)


def test_the_password_is_not_changed_without_the_current_one(client, session):
    factories.user(session, "wang")
    login(client, "wang")
    response = client.post("/account/password", data={"current": "guess", "new": NEW_PASSWORD})
    assert response.status_code == 400
    assert login(client, "wang").status_code == 302
