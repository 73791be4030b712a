"""Every route of the app's URL map × every role and anonymous, against tests/web/access_table.

Requests carry placeholder arguments, so an allowed caller may well get 404 or 400: what counts
is whether the access check let the request through to the hooks after it.
"""

from __future__ import annotations

import pytest
from flask import Flask, request
from werkzeug.routing import IntegerConverter, Rule

from core.users import Role
from tests import factories
from tests.web.access_table import ACCESS, ANY_USER, PUBLIC

IDENTITIES: tuple[Role | None, ...] = (None, *Role)


def _routes(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(app: Flask, rule: Rule) -> str:
    values = {
        name: 999999 if isinstance(converter, IntegerConverter) else "ZZZ"
        for name, converter in rule._converters.items()
    }
    return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


def _allowed(access: object, role: Role | None) -> bool:
    if access == PUBLIC:
        return True
    if role is None:
        return False
    if access == ANY_USER:
        return True
    assert isinstance(access, (set, frozenset))
    return role is Role.ADMIN or role in access


def _routes_logout_last(app: Flask) -> list[Rule]:
    # Logging out ends the session the rest of the run uses.
    return sorted(_routes(app), key=lambda rule: rule.endpoint == "auth.logout")


def test_every_route_has_a_declared_access(app):
    undecided = sorted({rule.endpoint for rule in _routes(app)} - set(ACCESS))
    assert undecided == [], "add these routes to tests/web/access_table.py"


def test_no_declared_access_is_left_for_a_route_that_is_gone(app):
    assert sorted(set(ACCESS) - {rule.endpoint for rule in _routes(app)}) == []


def test_each_view_declares_the_access_the_table_declares(app):
    for rule in _routes(app):
        declared = getattr(app.view_functions[rule.endpoint], "_access", None)
        expected = ACCESS[rule.endpoint]
        if isinstance(expected, (set, frozenset)):
            expected = frozenset(expected) | {Role.ADMIN}
        assert declared == expected, rule.endpoint


@pytest.mark.parametrize("role", IDENTITIES, ids=lambda r: r.value if r else "anonymous")
def test_every_route_lets_in_exactly_the_declared_callers(app, session, role):
    user = factories.user(session, f"matrix_{role.value}", role) if role else None
    session.flush()
    client = app.test_client()
    if user is not None:
        # Sign in through the session cookie: logging in by password costs an argon2 check.
        with client.session_transaction() as cookie:
            cookie.update(
                user_id=user.id, auth=user.password_hash[-16:], generation=user.session_generation
            )
    headers = {}
    if user is not None:
        from core.users import issue_token

        headers["Authorization"] = f"Bearer {issue_token(session, user, 'matrix')}"
        session.flush()
    passed: list[str] = []
    # Registered after the access check: it runs only for requests the check let through.
    app.before_request(lambda: passed.append(request.endpoint or "") and None)
    wrong = []
    for rule in _routes_logout_last(app):
        url = _url(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            passed.clear()
            response = client.open(url, method=method, headers=headers)
            if _allowed(ACCESS[rule.endpoint], role) != (passed == [rule.endpoint]):
                wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == []
