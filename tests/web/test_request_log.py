import logging
import re

import pytest

from tests import factories
from tests.conftest import login

LINE = re.compile(r"(?P<method>\S+) (?P<path>\S+) (?P<status>\d{3}) \d+\.\d ms user=(?P<user>\S+)")


@pytest.fixture
def lines(caplog):
    """The request log's lines so far, each split into its fields."""
    caplog.set_level(logging.INFO, logger="web.request_log")

    def read():
        records = [r for r in caplog.records if r.name == "web.request_log"]
        return [LINE.fullmatch(r.getMessage()).groupdict() for r in records]

    return read


def test_a_request_is_logged_once_with_method_path_status_duration_and_user(client, lines):
    client.get("/healthz")
    assert lines() == [{"method": "GET", "path": "/healthz", "status": "200", "user": "-"}]


def test_a_logged_in_users_requests_name_them_even_when_refused(client, session, lines):
    user = factories.user(session, "logged")
    login(client, "logged")
    client.get("/no-such-page")
    assert lines()[-1] == {
        "method": "GET",
        "path": "/no-such-page",
        "status": "404",
        "user": str(user.id),
    }


def test_the_query_string_stays_out_of_the_log(client, lines):
    client.get("/healthz?code=123456")
    assert lines()[-1]["path"] == "/healthz"
