import pytest

from core.errors import ValidationFailed
from routes.models import Trip, Vehicle
from routes.timetable import export_timetable, import_timetable
from tests import factories
from tests.routes.conftest import TIMETABLE

HEADER = "trip,line,vehicle,days,season,stop,arrive,depart\n"


def problems(session, text):
    with pytest.raises(ValidationFailed) as refused:
        import_timetable(session, HEADER + text)
    return [(p.line, p.field) for p in refused.value.problems]


@pytest.fixture
def stops(session):
    for code in ("NH", "XL"):
        factories.location(session, f"{code}-STOP", code)


def test_a_trip_arriving_before_it_leaves_is_refused_with_its_row(session, stops):
    text = "T1,L,B1,workday,all,NH-STOP,,10:30\nT1,L,B1,workday,all,XL-STOP,10:10,\n"
    assert problems(session, text) == [(3, "arrive")]


def test_an_unknown_stop_is_refused_with_its_row(session, stops):
    text = "T1,L,B1,workday,all,NH-STOP,,10:30\nT1,L,B1,workday,all,MOON-STOP,11:10,\n"
    assert problems(session, text) == [(3, "stop")]


def test_overlapping_duties_of_one_vehicle_are_refused_with_the_row(session, stops):
    text = (
        "T1,L,B1,workday,all,NH-STOP,,10:30\nT1,L,B1,workday,all,XL-STOP,11:10,\n"
        "T2,L,B1,workday,all,XL-STOP,,11:00\nT2,L,B1,workday,all,NH-STOP,11:40,\n"
    )
    assert problems(session, text) == [(4, "vehicle")]


def test_one_vehicle_on_workdays_and_days_off_at_the_same_time_is_fine(session, stops):
    text = (
        "T1,L,B1,workday,all,NH-STOP,,10:30\nT1,L,B1,workday,all,XL-STOP,11:10,\n"
        "T2,L,B1,dayoff,all,XL-STOP,,11:00\nT2,L,B1,dayoff,all,NH-STOP,11:40,\n"
    )
    assert import_timetable(session, HEADER + text) == 2


def test_a_bad_time_is_refused_with_its_row(session, stops):
    text = "T1,L,B1,workday,all,NH-STOP,,25:00\nT1,L,B1,workday,all,XL-STOP,11:10,\n"
    assert problems(session, text) == [(2, "time")]


def test_every_bad_row_is_reported_at_once(session, stops):
    text = (
        "T1,L,B1,workday,all,NH-STOP,,10:30\nT1,L,B1,workday,all,NOWHERE,11:10,\n"
        "T2,L,B2,someday,all,NH-STOP,,10:30\n"
    )
    assert [line for line, _ in problems(session, text)] == [3, 4]


def test_an_exported_timetable_imports_back_the_same(session, network):
    exported = export_timetable(session)
    assert import_timetable(session, exported) == len(session.query(Trip).all())
    assert export_timetable(session) == exported


def test_the_bus_box_of_a_vehicle_is_named_by_its_controller(session, stops):
    text = (
        "trip,line,vehicle,days,season,stop,arrive,depart,bus_box\n"
        "T1,L,B1,workday,all,NH-STOP,,10:30,BUS-01\nT1,L,B1,workday,all,XL-STOP,11:10,,BUS-01\n"
    )
    import_timetable(session, text)
    assert session.query(Vehicle).one().bus_box == "BUS-01"


def test_a_new_import_replaces_the_trips(session, network):
    lines = TIMETABLE.splitlines()
    import_timetable(session, "\n".join(lines[:3]) + "\n")
    assert [t.code for t in session.query(Trip).all() if t.stop_times] == ["NX-0730"]
