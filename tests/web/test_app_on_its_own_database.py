"""The app as it runs: its own engine on a database file, one connection per session.

The other web tests share one connection for speed; locking between a request's sessions only
shows here.
"""

from collections.abc import Iterator

import pytest

from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from core.throttle import LOGIN_ACCOUNT
from core.users import Role, create_user
from services.bootstrap import build_bus
from tests.databases import fresh_database


@pytest.fixture
def running(tmp_path) -> Iterator[tuple[object, str]]:
    from web.app import create_app

    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            create_user(session, "zhang", "password123", "张老师", {Role.TEACHER})
        app = create_app(
            Settings(
                database_url=url,
                mqtt_url=None,
                secret_key="s",
                label_key="l",
                code_key="c",
            )
        )
        app.config.update(WTF_CSRF_ENABLED=False)
        yield app, engine
        app.extensions["courier_sessions"].dispose()
        engine.dispose()


def test_a_wrong_password_while_logged_in_is_refused_and_counted(running):
    app, _engine = running
    client = app.test_client()
    assert (
        client.post("/login", data={"login": "zhang", "password": "password123"}).status_code == 302
    )
    response = client.post("/login", data={"login": "zhang", "password": "wrong-one"})
    assert response.status_code == 401
    remaining = app.extensions["courier_throttle"].remaining(LOGIN_ACCOUNT, "zhang", "127.0.0.1")
    assert remaining == LOGIN_ACCOUNT.limits[0].amount - 1
