"""Thirty wrong passwords sent at once for one account: the account's limit holds exactly."""

import threading

import pytest

from core.db import make_engine, make_session_factory, unit_of_work
from core.throttle import LOGIN_ACCOUNT, Throttle, TooManyAttempts
from services.auth import log_in
from services.bootstrap import build_bus
from tests import factories
from tests.databases import fresh_database

GUESSES = 30


@pytest.mark.slow
def test_of_thirty_simultaneous_guesses_only_the_limit_is_checked(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=GUESSES)
        sessions = make_session_factory(engine, build_bus())
        with unit_of_work(sessions) as session:
            factories.user(session, "wang")
        throttle = Throttle("memory://")
        start = threading.Barrier(GUESSES)
        outcomes: list[str] = []

        def guess() -> None:
            with sessions() as session:
                start.wait()
                try:
                    log_in(session, throttle, "wang", "wrong guess", "10.0.0.9")
                    outcomes.append("checked")
                except TooManyAttempts:
                    outcomes.append("refused")

        threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        engine.dispose()
    assert outcomes.count("checked") == LOGIN_ACCOUNT.limits[0].amount
    assert outcomes.count("refused") == GUESSES - LOGIN_ACCOUNT.limits[0].amount
