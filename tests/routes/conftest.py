import datetime as dt

import pytest

from core import clock
from routes.dropboxes import set_rounds
from routes.models import DayType, Stop
from routes.timetable import import_timetable, set_stop
from tests import factories

TIMETABLE = """trip,line,vehicle,days,season,stop,arrive,depart
NX-0730,NH-XL,B1,workday,all,NH-STOP,,07:30
NX-0730,NH-XL,B1,workday,all,XL-STOP,08:10,
NX-1030,NH-XL,B1,workday,all,NH-STOP,,10:30
NX-1030,NH-XL,B1,workday,all,XL-STOP,11:10,
NX-1400,NH-XL,B1,workday,all,NH-STOP,,14:00
NX-1400,NH-XL,B1,workday,all,XL-STOP,14:40,
XN-1500,XL-NH,B1,workday,all,XL-STOP,,15:00
XN-1500,XL-NH,B1,workday,all,NH-STOP,15:40,
XD-1120,XL-DJ,B2,workday,term,XL-STOP,,11:20
XD-1120,XL-DJ,B2,workday,term,DJ-STOP,12:10,
XD-1230,XL-DJ,B2,workday,term,XL-STOP,,12:30
XD-1230,XL-DJ,B2,workday,term,DJ-STOP,13:20,
NX-W0900,NH-XL,B3,dayoff,all,NH-STOP,,09:00
NX-W0900,NH-XL,B3,dayoff,all,XL-STOP,09:40,
"""


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.SHANGHAI)


def build_network(session):
    """NH, XL and DJ with a stop each (hubs: 15 minutes to sort), a drop box on NH emptied at
    07:10, 10:10 and 13:40 on working days and 08:40 on days off, and :data:`TIMETABLE`."""
    for code in ("NH", "XL", "DJ"):
        factories.campus(session, code)
        factories.location(session, f"{code}-STOP", code)
    box = factories.location(session, "NH-BOX", "NH", "locker_site")
    import_timetable(session, TIMETABLE)
    stops = {s.code: s for s in session.query(Stop)}
    for stop in stops.values():
        set_stop(session, stop, True, 15)
    set_rounds(
        session,
        box,
        stops["NH-STOP"],
        [
            (7 * 60 + 10, DayType.WORKDAY),
            (10 * 60 + 10, DayType.WORKDAY),
            (13 * 60 + 40, DayType.WORKDAY),
            (8 * 60 + 40, DayType.DAYOFF),
        ],
    )
    return stops


@pytest.fixture
def network(session):
    """The network of :func:`build_network`, in the test's transaction."""
    return build_network(session)


@pytest.fixture
def at():
    """Stand the clock at a local time: ``with at(2026, 11, 17, 9, 30): ...``."""
    return lambda *args: clock.frozen(local(*args).astimezone(dt.UTC))
