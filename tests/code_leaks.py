"""No six-digit code leaks: a watch over the whole test run, registered by tests/conftest.py.

Every pickup code (``core.codes.pickup_digits``) and desk handover code (``core.codes.random_pin``)
made during the run goes into a set. Meanwhile every log record, every locker command row written
(its op, arguments, reason and error) and every administrator's page rendered (``/admin/...`` and
the routes tests/web/access_table.py declares admin-only) is searched once for six-digit tokens,
each kept with the first place it was seen. At the end the two sets meet: a token that is an issued
code fails the run, naming where it was seen and in which test. Codes are checked at the end, not
as they appear, so a code issued after it was seen is caught too.

It sees this process only: a bridge or a web server started as a subprocess is not watched.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Response, request, request_finished
from sqlalchemy import event

from core import codes
from firmware_bridge.models import Command
from tests.web.access_table import ACCESS, ADMIN_ONLY

#: A six-digit token: not part of a longer number, a hex digest or an identifier, nor the
#: microseconds of a time (``14:25:31.312865``), which match an issued code one run in many.
TOKEN = re.compile(r"(?<![0-9A-Za-z])(?<!:[0-9]{2}\.)[0-9]{6}(?![0-9A-Za-z])")
#: What the watch wraps in ``core.codes``: every way a code is made.
MAKERS = ("pickup_digits", "random_pin")


def _test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "outside any test").rsplit(" (", 1)[0]


def _is_admin_page() -> bool:
    return request.path.startswith("/admin/") or ACCESS.get(request.endpoint or "") == ADMIN_ONLY


class _Records(logging.Handler):
    def __init__(self, watch: CodeLeakWatch) -> None:
        super().__init__(logging.NOTSET)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        self.watch.saw(f"log record of {record.name}", text)


class CodeLeakWatch:
    """Collects issued codes and six-digit tokens seen; fails the session if they meet."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.seen: dict[str, str] = {}
        self._lock = threading.Lock()
        self._handler = _Records(self)
        self._makers: dict[str, Callable[..., str]] = {}
        self.leaks: list[str] = []

    def issued(self, digits: str) -> None:
        self.codes.add(digits)

    def saw(self, where: str, text: str) -> None:
        """Keep the six-digit tokens of ``text``, each with the first place it was seen."""
        tokens = TOKEN.findall(text)
        if not tokens:
            return
        with self._lock:
            for token in tokens:
                self.seen.setdefault(token, f"{where}, in {_test()}")

    def _wrap(self, name: str) -> None:
        made = getattr(codes, name)
        self._makers[name] = made

        def making(*args: Any, **kwargs: Any) -> str:
            digits = made(*args, **kwargs)
            self.issued(digits)
            return digits

        setattr(codes, name, making)

    def _command(self, _mapper: Any, _connection: Any, command: Command) -> None:
        text = " ".join((command.op, json.dumps(command.args), command.reason, command.error))
        self.saw(f"command row {command.op} to {command.controller}", text)

    def _page(self, _app: Any, response: Response, **_extra: Any) -> None:
        if response.is_streamed or response.direct_passthrough or not _is_admin_page():
            return
        if response.mimetype.startswith("text/") or response.is_json:
            self.saw(f"admin page {request.method} {request.path}", response.get_data(as_text=True))

    @pytest.hookimpl
    def pytest_sessionstart(self) -> None:
        for name in MAKERS:
            self._wrap(name)
        logging.getLogger().addHandler(self._handler)
        event.listen(Command, "after_insert", self._command)
        event.listen(Command, "after_update", self._command)
        request_finished.connect(self._page)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        request_finished.disconnect(self._page)
        event.remove(Command, "after_update", self._command)
        event.remove(Command, "after_insert", self._command)
        logging.getLogger().removeHandler(self._handler)
        for name, made in self._makers.items():
            setattr(codes, name, made)
        self.leaks = sorted(
            f"code {token} in the {self.seen[token]}" for token in self.seen.keys() & self.codes
        )
        if self.leaks:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.leaks:
            return
        terminalreporter.section("six-digit codes leaked", red=True)
        for leak in self.leaks:
            terminalreporter.line(leak, red=True)
