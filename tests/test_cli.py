"""The ``courier`` command, run against a fresh database as an operator would."""

import logging
import multiprocessing

import pytest
from click.testing import CliRunner

from notifications.notify import notify
from tests.databases import fresh_database
from web.cli import main

pytestmark = pytest.mark.usefixtures("restored_logging")


@pytest.fixture
def run(tmp_path, monkeypatch):
    with fresh_database(tmp_path, migrate=False) as url:
        monkeypatch.setenv("COURIER_DATABASE_URL", url)
        monkeypatch.setenv("COURIER_SECRET_KEY", "s")
        monkeypatch.setenv("COURIER_LABEL_KEY", "l")
        monkeypatch.setenv("COURIER_CODE_KEY", "c")
        runner = CliRunner()

        def invoke(*args, **kwargs):
            return runner.invoke(main, list(args), catch_exceptions=False, **kwargs)

        invoke("db", "upgrade")
        yield invoke


def test_courier_log_level_sets_the_level_of_every_command(run, monkeypatch):
    monkeypatch.setenv("COURIER_LOG_LEVEL", "debug")
    run("db", "upgrade")
    assert logging.getLogger().level == logging.DEBUG


def test_a_commands_log_lines_name_it_as_their_process(run):
    run("db", "upgrade")
    assert multiprocessing.current_process().name == "courier-db"


def test_courier_language_is_the_language_of_notices_to_people_who_chose_none(
    run, monkeypatch, session, restored_notice_language
):
    monkeypatch.setenv("COURIER_LANGUAGE", "en")
    run("db", "upgrade")
    turn = {"ticket": "A1", "ahead": 2, "area": "Hall"}
    (row,) = notify(session, "turn_near", phone="+8613800000010", params=turn, dedupe_key="cli")
    assert row.payload["language"] == "en"


def test_db_upgrade_reports_the_database(run):
    assert "database is up to date" in run("db", "upgrade").output


@pytest.mark.slow
def test_seed_demo_is_idempotent(run):
    first = run("seed-demo")
    assert "7 demo users added" in first.output
    second = run("seed-demo")
    assert "0 items created" in second.output
    assert "0 demo users added" in second.output


def test_seed_demo_refuses_production(run, monkeypatch):
    monkeypatch.setenv("COURIER_ENV", "production")
    result = CliRunner().invoke(main, ["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output


@pytest.mark.slow
def test_the_catalog_exports_and_imports_again(run, tmp_path):
    run("seed-demo")
    path = tmp_path / "catalog.csv"
    run("catalog", "export", "--format", "csv", "-o", str(path))
    result = run("catalog", "import", str(path))
    assert "0 items created" in result.output


def test_a_bad_import_exits_non_zero_with_the_lines(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,department,campuses,channels,time_limit_days,fee\nX,,,,,,\n")
    result = CliRunner().invoke(main, ["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2" in result.output


def test_user_add_creates_a_user_who_can_log_in(run):
    result = run(
        "user",
        "add",
        "hall2",
        "--name",
        "周",
        "--role",
        "hall_staff",
        "--password",
        "amber-kettle-violin-42",
    )
    assert "added hall2" in result.output
    again = CliRunner().invoke(
        main,
        [
            "user",
            "add",
            "hall2",
            "--name",
            "x",
            "--role",
            "admin",
            "--password",
            "amber-kettle-violin-42",
        ],
    )
    assert again.exit_code == 1


def test_holidays_import_reads_a_csv(run, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("date,kind,name,name_en\n2027-01-01,holiday,元旦,New Year's Day\n")
    assert "2027" in run("holidays", "import", str(path)).output
