"""SQLite transactions that write take the write lock when they begin."""

import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db import for_writing, make_engine


def test_two_writers_on_sqlite_wait_for_each_other_instead_of_failing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tally (n INTEGER)"))
        connection.execute(text("INSERT INTO tally VALUES (0)"))

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
