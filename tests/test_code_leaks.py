"""The code-leak watch of tests/conftest.py fails a run that shows a code where it must not be."""

import pytest

from tests.code_leaks import CodeLeakWatch

pytestmark = pytest.mark.slow

CONFTEST = """
from tests.code_leaks import CodeLeakWatch

def pytest_configure(config):
    config.pluginmanager.register(CodeLeakWatch(), "code-leaks")
"""

LEAKS = """
import datetime as dt
import logging

from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from core import codes
from firmware_bridge.models import Command
from migrations.metadata import target_metadata

def test_a_code_in_a_log_record():
    logging.getLogger("scratch").warning("the code is %s", codes.pickup_digits("k", "log"))

def test_a_code_in_a_command_row():
    engine = create_engine("sqlite://")
    target_metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Command(cmd_id="c1", controller="NH-PU-01", op="show",
                            args={"text": codes.random_pin()},
                            expires_at=dt.datetime.now(dt.UTC)))
        session.flush()

def test_a_code_on_an_admin_page():
    app = Flask("scratch")
    app.add_url_rule("/admin/lockers", "lockers", lambda: codes.pickup_digits("k", "page"))
    app.test_client().get("/admin/lockers")
"""

CLEAN = """
import logging

from flask import Flask

from core import codes

def test_a_code_on_the_recipients_own_page_only():
    digits = codes.pickup_digits("k", "own")
    app = Flask("scratch")
    app.add_url_rule("/pickups", "mine", lambda: digits)
    assert app.test_client().get("/pickups").get_data(as_text=True) == digits
    logging.getLogger("scratch").warning("a code went out: ******")
"""


@pytest.fixture
def scratch(pytester, monkeypatch, request):
    monkeypatch.setenv("PYTHONPATH", str(request.config.rootpath))
    pytester.makeconftest(CONFTEST)
    return pytester


def test_a_run_that_logs_stores_or_shows_a_code_fails_naming_each_place(scratch):
    scratch.makepyfile(test_scratch=LEAKS)
    result = scratch.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for place in (
        "the admin page GET /admin/lockers, in *test_a_code_on_an_admin_page",
        "the command row show to NH-PU-01, in *test_a_code_in_a_command_row",
        "the log record of scratch, in *test_a_code_in_a_log_record",
    ):
        result.stdout.fnmatch_lines([f"code [0-9][0-9][0-9][0-9][0-9][0-9] in {place}"])


def test_a_run_that_shows_codes_only_to_their_recipient_passes(scratch):
    scratch.makepyfile(test_scratch=CLEAN)
    result = scratch.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*leaked*")


def test_a_token_inside_a_longer_number_or_a_digest_is_no_leak():
    watch = CodeLeakWatch()
    watch.issued("123456")
    watch.saw("log record of x", "seq 1234567, hash a123456f, id 0123456")
    assert watch.seen.keys() & watch.codes == set()


def test_the_microseconds_of_a_time_are_no_leak_but_a_code_after_a_time_is():
    watch = CodeLeakWatch()
    watch.issued("123456")
    watch.saw("admin page of x", '"received_at": "2026-12-02T14:25:31.123456+08:00"')
    assert watch.seen.keys() & watch.codes == set()
    watch.saw("admin page of y", "14:25 取件码 123456")
    assert watch.seen.keys() & watch.codes == {"123456"}
