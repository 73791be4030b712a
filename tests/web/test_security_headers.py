import dataclasses
import re
from pathlib import Path

import pytest

from core.users import Role
from tests import factories
from web.security import safe_redirect_target

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        " /x",
    ],
)
def test_a_redirect_target_off_this_site_falls_back(target):
    assert safe_redirect_target(target, "/") == "/"


def test_a_path_on_this_site_is_kept_as_a_redirect_target():
    assert safe_redirect_target("/admin/catalog/?q=1", "/") == "/admin/catalog/?q=1"


def test_logging_in_with_a_tab_in_next_stays_on_the_site(client, session):
    factories.user(session, "wang", Role.TEACHER)
    response = client.post(
        "/login?next=/%09/evil.example", data={"login": "wang", "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/me"


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_pages_forbid_sniffing_framing_and_cross_site_referrers(client):
    headers = client.get("/login").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_hsts_is_only_sent_in_production(settings, connection, session):
    from tests.conftest import _session_on
    from web.app import create_app

    def app_for(production: bool):
        return create_app(
            dataclasses.replace(settings, production=production),
            sessions=lambda: _session_on(connection),
            TESTING=True,
        )

    assert "Strict-Transport-Security" not in app_for(False).test_client().get("/login").headers
    hsts = app_for(True).test_client().get("/login").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=")


def test_the_forwarded_address_is_trusted_only_when_proxy_hops_are_set(settings, connection):
    from flask import request

    from tests.conftest import _session_on
    from web.app import create_app

    seen = []
    for hops in (0, 1):
        app = create_app(
            dataclasses.replace(settings, proxy_hops=hops),
            sessions=lambda: _session_on(connection),
            TESTING=True,
        )
        app.before_request(lambda: seen.append(request.remote_addr))
        app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen == ["127.0.0.1", "203.0.113.9"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_hold_no_inline_script_or_event_handler(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not re.search(r"\son[a-z]+\s*=", text)
