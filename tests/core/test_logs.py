import logging

import pytest

from core.logs import configure_logging

pytestmark = pytest.mark.usefixtures("restored_logging")


def courier_handlers():
    return [h for h in logging.getLogger().handlers if h.get_name() == "courier"]


def test_the_level_given_is_the_root_loggers():
    configure_logging("WARNING")
    assert logging.getLogger().level == logging.WARNING


def test_a_line_names_the_time_process_logger_and_level(capsys):
    configure_logging("INFO", "courier-test")
    logging.getLogger("courier.example").info("hello %s", "there")
    line = capsys.readouterr().err.strip()
    assert line.endswith(" courier-test courier.example INFO hello there")
    assert line[:4].isdigit()


def test_configuring_again_replaces_the_handler_instead_of_adding_one():
    configure_logging("INFO")
    configure_logging("DEBUG")
    assert len(courier_handlers()) == 1
    assert logging.getLogger().level == logging.DEBUG


def test_chatty_libraries_say_only_what_went_wrong_unless_debugging():
    configure_logging("INFO")
    assert logging.getLogger("apscheduler").level == logging.WARNING
    configure_logging("DEBUG")
    assert logging.getLogger("apscheduler").level == logging.NOTSET
