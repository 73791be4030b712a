"""Logging for every ``courier`` process: one line per record, naming the process it came from."""

from __future__ import annotations

import logging
import multiprocessing

FORMAT = "%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s"
#: Loggers whose INFO lines tell an operator nothing: APScheduler logs every run of every job
#: twice over (each job logs its own result), Alembic lists its plugins at every start.
CHATTY = ("apscheduler", "alembic.runtime.plugins")
#: Marks the handler this module installs, so that configuring again replaces it.
HANDLER_NAME = "courier"


def configure_logging(level: str, process: str | None = None) -> None:
    """Write every record at ``level`` (``INFO``, ``DEBUG``...) or above to stderr, one line
    each; ``process`` names this process in them (``courier-scheduler``), so that the lines of
    ``courier run`` and of the scheduler it starts can be told apart. Configuring again replaces
    the earlier set-up."""
    if process:
        # LogRecord.processName is multiprocessing's name for the current process.
        multiprocessing.current_process().name = process
    root = logging.getLogger()
    for earlier in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(earlier)
        earlier.close()
    handler = logging.StreamHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    chatty_level = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for name in CHATTY:
        logging.getLogger(name).setLevel(chatty_level)
