"""SQLite transactions that write take the write lock when they begin, queued in turn within
a process."""

import threading
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db import WRITER, WRITER_WAIT_S, for_writing, make_engine


def _tally(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 't.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tally (n INTEGER)"))
        connection.execute(text("INSERT INTO tally VALUES (0)"))
    return engine


def test_two_writers_on_sqlite_wait_for_each_other_instead_of_failing(tmp_path):
    engine = _tally(tmp_path)

    def add_one() -> None:
        with Session(engine) as session:
            for_writing(session)
            # Read, then write: without the lock taken at BEGIN the second writer fails here.
            n = session.execute(text("SELECT n FROM tally")).scalar_one()
            session.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
            session.commit()

    first = Session(engine)
    for_writing(first)
    n = first.execute(text("SELECT n FROM tally")).scalar_one()
    other = threading.Thread(target=add_one)
    other.start()
    other.join(timeout=0.3)  # the other writer waits for our lock (or, without it, commits)
    first.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
    first.commit()
    first.close()
    other.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM tally")).scalar_one() == 2
    engine.dispose()


def test_a_crowd_of_writers_longer_than_the_busy_timeout_all_commit(tmp_path):
    # 40 writers at once, each holding the lock 150 ms: the last one's turn comes after six
    # seconds, past SQLite's busy timeout of five, which is how 200 users once got 500s.
    engine = _tally(tmp_path)
    failures = []

    def write() -> None:
        try:
            with Session(engine) as session:
                for_writing(session)
                n = session.execute(text("SELECT n FROM tally")).scalar_one()
                time.sleep(0.15)
                session.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
                session.commit()
        except OperationalError as error:
            failures.append(error)

    writers = [threading.Thread(target=write) for _ in range(40)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert failures == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM tally")).scalar_one() == 40
    engine.dispose()


def test_a_writer_that_ends_without_committing_lets_the_next_one_write(tmp_path):
    engine = _tally(tmp_path)
    abandoned = Session(engine)
    for_writing(abandoned)
    abandoned.execute(text("UPDATE tally SET n = 5"))
    abandoned.close()
    broken = engine.connect().execution_options(**WRITER)
    broken.begin()
    broken.invalidate()
    broken.rollback()
    broken.close()
    started = time.monotonic()
    with Session(engine) as session:
        for_writing(session)
        session.execute(text("UPDATE tally SET n = n + 1"))
        session.commit()
    # Left holding the lock, this writer would wait WRITER_WAIT_S (30 s) and fail.
    assert time.monotonic() - started < WRITER_WAIT_S / 3
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM tally")).scalar_one() == 1
    engine.dispose()
