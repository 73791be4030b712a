"""The SQLAlchemy base, engines and the unit of work.

Domain functions take a :class:`~sqlalchemy.orm.Session` and only flush. The entry point (a web
request, an MQTT batch, a scheduled job, a CLI command) owns the transaction and commits once,
through :func:`unit_of_work` or the web layer's request hooks.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Enum,
    Integer,
    MetaData,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core.events import BUS_KEY, EventBus, settle

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The primary key of a table that grows by millions a day: 64-bit on PostgreSQL, and SQLite's
#: ``INTEGER PRIMARY KEY`` (already 64-bit, and the rowid only under that exact spelling).
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored as UTC.

    SQLite keeps no time zone, so values are normalised to naive UTC on the way in and made
    aware again on the way out; PostgreSQL gets the same naive UTC in a ``timestamp`` column, so
    both databases compare and sort identically.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def _member_values(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


def value_enum(enum_class: type[enum.Enum], length: int | None = None) -> Enum:
    """A VARCHAR column holding ``enum_class``'s values that loads as its members.

    SQLAlchemy's default stores the member *names*, in a native ENUM type on PostgreSQL; our
    columns hold the values in plain VARCHARs, and keep doing so: no database type and no CHECK
    constraint, so a new member needs no migration. A string that is no value is refused on the
    way in (``validate_strings``) as it is on the way out. ``length`` keeps a column wider than
    its longest value, room that was left for values to come.
    """
    width = {} if length is None else {"length": length}
    return Enum(
        enum_class,
        native_enum=False,
        values_callable=_member_values,
        validate_strings=True,
        **width,
    )


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names follow :data:`NAMING_CONVENTION`.

    A ``Mapped[SomeEnum]`` column without a type of its own gets :func:`value_enum` for that
    enum, as wide as its longest value.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        enum.Enum: value_enum(enum.Enum),
    }


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; let SQLAlchemy
        # emit BEGIN itself (see SQLAlchemy's "Serializable isolation / Savepoints" notes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite lets one transaction write at a time. This process's writers queue on a lock of
    # the engine's, woken in turn; left to SQLite's busy handler they poll with sleeps of up to
    # 100 ms, and under 200 users some waited past the busy timeout and answered 500 ("database
    # is locked"). The busy timeout still covers writers in other processes.
    writer = threading.Lock()

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        begin = conn.get_execution_options().get("sqlite_begin", "BEGIN")
        if begin == WRITER["sqlite_begin"]:
            if not writer.acquire(timeout=WRITER_WAIT_S):
                raise OperationalError(begin, {}, Exception("database is locked (in-process)"))
            conn.info[_HOLDS_WRITER] = True
        try:
            conn.exec_driver_sql(begin)
        except BaseException:
            _release(conn.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Any) -> None:
        if not conn.invalidated:  # an invalidated one was released on invalidation
            _release(conn.info)

    # However a connection's transaction ends otherwise (invalidated, or back in the pool
    # unfinished), its turn is over.
    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _release(record.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            _release(record.info)


#: Execution options of a transaction that will write (see :func:`for_writing`).
WRITER = {"sqlite_begin": "BEGIN IMMEDIATE"}
#: How long a writer waits for its process's other writers on SQLite before it gives up with
#: "database is locked" (SQLite's own busy timeout, for writers elsewhere, is 5 s).
WRITER_WAIT_S = 30.0
#: ``Connection.info`` key: this connection's transaction holds its engine's writer lock.
_HOLDS_WRITER = "core.db.holds_writer"


def for_writing(session: Session) -> Session:
    """Declare that ``session``'s transaction will write; call it before its first statement.

    On SQLite a transaction that read and then writes fails at once ("database is locked",
    the busy timeout does not apply) when another connection committed in between; a writer
    therefore takes the write lock when it begins and waits for it instead. Readers stay
    deferred, so a busy writer cannot starve them. Other databases ignore the option.
    """
    session.connection(execution_options=WRITER)
    return session


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock number for ``name``: a stable signed 64-bit hash (Python's
    ``hash`` differs between processes)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def in_commit_order(session: Session, name: str) -> None:
    """Make the rows this transaction inserts under ``name`` commit in the order of their ids.

    A reader that follows new rows by ``id > last`` misses a row whose transaction took its id
    before another's but committed after it. On PostgreSQL a transaction-scoped advisory lock,
    taken before the insert, serialises such writers; SQLite has one writer at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key(name))))


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only before SQLite opens it (its journal
    and WAL files take the same mode); a folder made for it is the owner's only too."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            _create_private_file(Path(path))
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine, bus: EventBus | None = None) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose domain events go to ``bus``."""
    info = {BUS_KEY: bus} if bus is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def commit(session: Session) -> None:
    """End the unit of work: settle what its handlers deferred, then commit.

    Every entry point commits through here (or :func:`unit_of_work`), so that settling a batch's
    hops is an explicit step of the transaction, not a hook on every session of the process.
    """
    settle(session)
    session.commit()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed, never on rollback.

    This is how side effects (waking the outbox dispatcher, say) wait for the data they describe
    to be durable.
    """
    if not session.in_transaction():
        # Tie the callback to a transaction, so a rollback before any query still drops it.
        session.begin()
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, _previous: Any) -> None:
    session.info.pop("after_commit", None)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session for one entry point; settle and commit when the block succeeds, else roll
    back."""
    with factory() as session:
        try:
            yield session
            commit(session)
        except BaseException:
            session.rollback()
            raise
