"""Processes plan on one shared timetable snapshot until the timetable (or a holiday) changes in
any process.

Two "processes" here are two engines on one committed database, each with its own snapshot
cache, as the web worker and the bridge would be.
"""

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import make_engine
from core.workdays import DayKind, set_special_day
from routes.models import Season, Stop
from routes.network import CACHE_KEY, SnapshotCache, Timetable, changed, revision
from routes.periods import add_period
from routes.planner import Planner
from routes.timetable import import_timetable, set_stop
from tests.databases import fresh_database
from tests.routes.conftest import TIMETABLE, build_network, local

#: A bus from NH at 09:45, earlier than any in :data:`TIMETABLE` after 09:30.
EARLIER = (
    "NX-0945,NH-XL,B9,workday,all,NH-STOP,,09:45\nNX-0945,NH-XL,B9,workday,all,XL-STOP,10:25,\n"
)


def fresh_session_view(session: Session) -> Timetable:
    """What a new transaction of this process sees."""
    session.info.pop(CACHE_KEY, None)
    return Timetable.of(session)


def test_a_new_transaction_reuses_the_snapshot_while_the_timetable_is_unchanged(session, network):
    first = fresh_session_view(session)
    again = fresh_session_view(session)
    assert again.trips is first.trips


def test_a_change_to_the_timetable_makes_every_transaction_load_it_again(session, network):
    first = fresh_session_view(session)
    add_period(session, "寒假", dt.date(2027, 1, 18), dt.date(2027, 2, 24), Season.VACATION)
    after = fresh_session_view(session)
    assert after.trips is not first.trips
    assert [p[2] for p in after.periods] == [Season.VACATION]


def test_changed_gives_a_new_token_each_time(session, network):
    before = revision(session)
    changed(session)
    assert revision(session) not in (None, before)


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("shared")) as url:
        yield url


@pytest.fixture
def processes(shared_database: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on a committed database holding the routes network, no holiday set."""
    engines = make_engine(shared_database), make_engine(shared_database)
    with Session(engines[1]) as session:
        build_network(session)
        set_special_day(session, dt.date(2026, 11, 17), None)
        session.commit()
    yield engines
    for engine in engines:
        engine.dispose()


def first_ride(engine: Engine, cache: SnapshotCache, ready: dt.datetime) -> tuple[str, dt.datetime]:
    """The trip and departure of the first ride from NH-STOP to XL, planned in a new
    transaction of the process of ``engine`` and ``cache``."""
    with Session(engine) as session:
        planner = Planner(session, Timetable.of(session, cache))
        nh = next(s for s in planner.timetable.stops.values() if s.code == "NH-STOP")
        xl = next(s for s in planner.timetable.stops.values() if s.code == "XL-STOP")
        route = planner.route({nh.id: ready}, xl.campus_id)
        assert route is not None
        ride = route.rides[0]
        code = next(t.code for t in planner.timetable.trips if t.id == ride.trip_id)
        return code, ride.departs_at


def test_a_timetable_changed_in_another_process_is_planned_on_in_this_one(processes):
    here, there = processes
    cache = SnapshotCache()
    ready = local(2026, 11, 17, 9, 30)
    assert first_ride(here, cache, ready)[0] == "NX-1030"
    with Session(there) as session:
        import_timetable(session, TIMETABLE + EARLIER)
        session.commit()
    assert first_ride(here, cache, ready) == ("NX-0945", local(2026, 11, 17, 9, 45))


def test_the_timetable_is_loaded_once_while_nothing_changes(processes):
    here, _ = processes
    cache = SnapshotCache()
    for _ in range(5):
        first_ride(here, cache, local(2026, 11, 17, 9, 30))
    assert cache.loads == 1


def test_a_holiday_set_in_another_process_changes_the_days_planned_on(processes):
    here, there = processes
    cache = SnapshotCache()
    ready = local(2026, 11, 17, 8, 30)
    assert first_ride(here, cache, ready)[0] == "NX-1030"
    with Session(there) as session:
        set_special_day(session, dt.date(2026, 11, 17), DayKind.HOLIDAY, "校庆")
        session.commit()
    assert first_ride(here, cache, ready)[0] == "NX-W0900"
    assert cache.loads == 1


def test_a_stop_changed_in_another_process_reloads_the_timetable(processes):
    here, there = processes
    cache = SnapshotCache()
    first_ride(here, cache, local(2026, 11, 17, 9, 30))
    with Session(there) as session:
        stop = session.query(Stop).first()
        set_stop(session, stop, stop.is_hub, 25)
        session.commit()
    first_ride(here, cache, local(2026, 11, 17, 9, 30))
    assert cache.loads == 2
