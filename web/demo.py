"""Demo data: the catalog of 江城大学 and one user per role, all with the password ``demo1234``.

Loading is idempotent: existing users are left alone and the catalog is upserted by code.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import catalog
from catalog.models import Affiliation, Campus, Department, Location
from catalog.transfer import ImportReport, import_catalog
from core import clock
from core.codes import CODE_KEY
from core.users import Role, User, create_user
from courier.agents import hand_over, place_at_desk
from courier.consignments import NewConsignment, create_consignment, record_web_event
from courier.models import Consignment
from courier.scans import Scan, process_scans
from courier.states import Kind
from lockers.compartments import add_bank
from lockers.models import BankKind, LockerBank, Size
from routes.dropboxes import rounds_before_departures
from routes.models import Stop, Trip, Vehicle
from routes.plans import replan
from routes.timetable import import_timetable, set_stop
from services.pickup import place_result
from services.ratings import rate_consignment

CATALOG = Path(catalog.__file__).parent / "demo_data" / "catalog.yaml"
DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    roles: frozenset[Role]
    phone: str
    campus: str


DEMO_USERS = (
    DemoUser("admin", "系统管理员 Admin", frozenset({Role.ADMIN}), "13800000001", "NH"),
    DemoUser("teacher", "王老师 Wang Li", frozenset({Role.TEACHER}), "13800000002", "NH"),
    DemoUser("teacher2", "陈老师 Chen Jing", frozenset({Role.TEACHER}), "13800000003", "XL"),
    DemoUser("student", "李同学 Li Ming", frozenset({Role.STUDENT}), "13800000004", "DJ"),
    DemoUser("courier", "赵师傅 Zhao Qiang", frozenset({Role.COURIER}), "13800000005", "NH"),
    DemoUser("clerk", "孙代办 Sun Yue", frozenset({Role.CLERK}), "13800000006", "XL"),
    DemoUser("hall", "周窗口 Zhou Fang", frozenset({Role.HALL_STAFF}), "13800000007", "NH"),
)

#: Locker banks of the demo: (controller, name, kind, location, compartment sizes). Names are
#: what people call them: the building, then what the cabinet is for.
DEMO_LOCKERS = (
    ("NH-DB-01", "服务中心文件投递柜", BankKind.DROP_BOX, "NH-LOCKER-1", "MMMMMMLL"),
    ("NH-PU-01", "行政楼取件柜", BankKind.PICKUP, "NH-LOCKER-2", "SSSSSSMMMMLL"),
    ("NH-SO-01", "服务中心代办分拣柜", BankKind.SORTING, "NH-HALL", "MMMMMMMMMMMMMMMM"),
    ("XL-SO-01", "综合楼代办分拣柜", BankKind.SORTING, "XL-HALL", "MMMMMMMMMMMMMMMM"),
    ("XL-DB-01", "综合楼文件投递柜", BankKind.DROP_BOX, "XL-LOCKER-1", "MMMMMMLL"),
    ("XL-PU-01", "综合楼取件柜", BankKind.PICKUP, "XL-LOCKER-1", "SSSSSSMMMMLL"),
    ("DJ-SO-01", "学生事务中心代办分拣柜", BankKind.SORTING, "DJ-HALL", "MMMMMMMMMMMMMMMM"),
    ("DJ-DB-01", "学生事务中心文件投递柜", BankKind.DROP_BOX, "DJ-LOCKER-1", "MMMMMMLL"),
    ("DJ-PU-01", "教学主楼取件柜", BankKind.PICKUP, "DJ-LOCKER-2", "SSSSSSMMMMLL"),
)

#: Each shuttle's bus box (通勤车跨校区专递材料保管箱), a locker bank on the bus: (vehicle,
#: controller, name, the stop the bus starts its day at, compartment sizes).
DEMO_BUS_BOXES = (
    ("NH-XL-1", "BUS-NHXL-1", "南湖—西岭通勤车 1 号车专递箱", "NH-SHUTTLE", "LL"),
    ("NH-XL-2", "BUS-NHXL-2", "南湖—西岭通勤车 2 号车专递箱", "XL-SHUTTLE", "LL"),
    ("NH-DJ-1", "BUS-NHDJ-1", "南湖—东江通勤车 1 号车专递箱", "NH-SHUTTLE", "LL"),
    ("NH-DJ-2", "BUS-NHDJ-2", "南湖—东江通勤车 2 号车专递箱", "DJ-SHUTTLE", "LL"),
)

#: From the Nanhu drop box to the agent desk at Xiling.
ARRIVED_AT_XL = [
    ("deposit", "NH-LOCKER-1"),
    ("collect", "NH-LOCKER-1"),
    ("load", "NH-SHUTTLE"),
    ("unload", "XL-SHUTTLE"),
    ("sort", "XL-HALL"),
]

#: A few consignments of the demo teacher, at different points of their journey:
#: (service item, scans by the courier as (kind, place), events by the clerk).
DEMO_JOURNEYS = (
    ("SCI-001", [], []),
    (
        "SCI-002",
        [("deposit", "NH-LOCKER-1"), ("collect", "NH-LOCKER-1"), ("load", "NH-SHUTTLE")],
        [],
    ),
    (
        "ARCH-002",
        ARRIVED_AT_XL,
        [Kind.AGENT_ACCEPTED, Kind.RESULT_READY],
    ),
    ("SCI-003", ARRIVED_AT_XL, []),
    ("ASSET-001", ARRIVED_AT_XL, [Kind.AGENT_ACCEPTED, Kind.HANDED_TO_DEPARTMENT]),
    # 联审联办: 科学技术处 has stamped the completion report; 档案馆 files it next.
    (
        "SCI-007",
        ARRIVED_AT_XL,
        [Kind.AGENT_ACCEPTED, Kind.HANDED_TO_DEPARTMENT, Kind.RETURNED_BY_DEPARTMENT],
    ),
)


#: Results waiting in pickup lockers on two campuses: (recipient, service item, campus, places
#: of the courier's scans). Same-campus requests, so no shuttle is needed to bring them back.
DEMO_PICKUPS = (
    ("teacher", "HR-002", "NH", ("NH-LOCKER-1", "NH-HALL")),
    ("teacher2", "SCI-006", "XL", ("XL-LOCKER-1", "XL-HALL")),
)


#: 代办 results the demo teacher collected at 综合楼's service desk and rated (一事一评): (service
#: item, level, reasons, comment). The poor one has its follow-up (整改) open for the clerk.
DEMO_RATINGS = (
    ("SCI-002", 2, ["slow", "unclear"], "合同在代办处放了两天才送到科技处，进度也没人告知。"),
    ("ASSET-001", 5, [], "代办员主动提醒补签字页，省了一趟。"),
)


#: The staff shuttle: (line, from, to, minutes, workday departures, weekend departures).
#: Two buses per line start at either end and take turns, so neither runs two trips at once.
DEMO_LINES = (
    ("NH-XL", "NH", "XL", 40, ("07:30", "10:00", "12:30", "15:00", "17:30"), ("09:00", "16:00")),
    ("NH-DJ", "NH", "DJ", 55, ("07:30", "10:00", "12:30", "15:00", "17:30"), ("09:00", "16:00")),
)
#: Minutes sorting takes at each campus's hub.
DEMO_SORTING = {"NH": 20, "XL": 15, "DJ": 15}
#: Drop boxes are emptied this long before each departure from their campus.
DEMO_EMPTY_BEFORE = 20


def demo_timetable() -> str:
    """The demo's shuttle timetable as CSV (the format administrators upload)."""
    rows = ["trip,line,vehicle,days,season,stop,arrive,depart"]
    for line, a, b, minutes, workdays, weekends in DEMO_LINES:
        for days, times in (("workday", workdays), ("dayoff", weekends)):
            for index, leaves in enumerate(times):
                hour, minute = map(int, leaves.split(":"))
                arrives = hour * 60 + minute + minutes
                for start, end, bus in ((a, b, "1"), (b, a, "2")):
                    # Each bus alternates direction, so after an odd trip it starts the other way.
                    if index % 2:
                        start, end = end, start
                    trip = f"{start}-{end}-{days[0].upper()}{hour:02d}{minute:02d}"
                    vehicle = f"{line}-{bus}"
                    rows.append(f"{trip},{line},{vehicle},{days},all,{start}-SHUTTLE,,{leaves}")
                    rows.append(
                        f"{trip},{line},{vehicle},{days},all,{end}-SHUTTLE,"
                        f"{arrives // 60:02d}:{arrives % 60:02d},"
                    )
    return "\n".join(rows) + "\n"


def seed_network(session: Session) -> None:
    """The demo's shuttle network: hubs at each campus's stop, drop boxes emptied before
    each departure (idempotent: an existing timetable is left alone)."""
    if session.scalar(select(Trip.id).limit(1)) is not None:
        return
    import_timetable(session, demo_timetable())
    stops = {stop.code: stop for stop in session.scalars(select(Stop))}
    for campus, minutes in DEMO_SORTING.items():
        set_stop(session, stops[f"{campus}-SHUTTLE"], True, minutes)
    for _controller, _name, kind, place, _sizes in DEMO_LOCKERS:
        if kind is BankKind.DROP_BOX:
            location = session.scalar(select(Location).where(Location.code == place))
            if location is None:
                continue
            stop = stops[f"{location.campus.code}-SHUTTLE"]
            rounds_before_departures(session, location, stop, DEMO_EMPTY_BEFORE)


def seed_demo(session: Session, label_key: str) -> tuple[ImportReport, int]:
    """Load the demo catalog, users and journeys; returns the import report and the users added."""
    report = import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    existing = set(session.scalars(select(User.login)))
    campuses = {c.code: c for c in session.scalars(select(Campus))}
    added = 0
    for demo in DEMO_USERS:
        if demo.login in existing:
            continue
        user = create_user(
            session, demo.login, DEMO_PASSWORD, demo.name, demo.roles, phone=demo.phone
        )
        session.add(Affiliation(user_id=user.id, campus_id=campuses[demo.campus].id))
        added += 1
    session.flush()
    _seed_lockers(session)
    _seed_sorting(session)
    seed_hall(session)
    seed_network(session)
    _seed_bus_boxes(session)
    if session.scalar(select(Consignment.id).limit(1)) is None:
        _seed_journeys(session, label_key)
        _seed_ratings(session, label_key)
    return report, added


def _seed_lockers(session: Session) -> None:
    places = {loc.code: loc for loc in session.scalars(select(Location))}
    existing = {bank.controller: bank for bank in session.scalars(select(LockerBank))}
    for controller, name, kind, place, sizes in DEMO_LOCKERS:
        if controller in existing:
            # Demo databases from before the banks were named as people say them.
            existing[controller].name = name
        else:
            add_bank(session, controller, name, kind, places[place], [Size(s) for s in sizes])


def _seed_bus_boxes(session: Session) -> None:
    """A bus box on every demo shuttle, at home at the campus where the bus starts its day
    (also on demo databases whose timetable predates the boxes)."""
    places = {loc.code: loc for loc in session.scalars(select(Location))}
    vehicles = {vehicle.code: vehicle for vehicle in session.scalars(select(Vehicle))}
    existing = set(session.scalars(select(LockerBank.controller)))
    for code, controller, name, home, sizes in DEMO_BUS_BOXES:
        vehicle = vehicles.get(code)
        if vehicle is None:
            continue
        if controller not in existing:
            add_bank(
                session, controller, name, BankKind.BUS_BOX, places[home], [Size(s) for s in sizes]
            )
        vehicle.bus_box = vehicle.bus_box or controller
    session.flush()


def _seed_sorting(session: Session) -> None:
    """Each sorting locker gives a compartment to every department of its campus, in code
    order, and its last one to the agent desk (for departments without their own)."""
    from lockers.sorting import assign, assignments

    banks = session.scalars(select(LockerBank).where(LockerBank.kind == BankKind.SORTING))
    for bank in banks:
        if assignments(session, bank):
            continue
        departments = session.scalars(
            select(Department)
            .where(Department.campus_id == bank.campus_id)
            .order_by(Department.code)
        ).all()
        for number, department in enumerate(departments[: len(bank.compartments) - 1], start=1):
            assign(session, bank, number, department)
        assign(session, bank, len(bank.compartments), None)


#: Minutes from a journey's previous step to each scan (a collection round, the next shuttle,
#: the ride, sorting at the hall) and to each of the clerk's events, so that the demo's history
#: and dashboard show rides and handling that took time.
SCAN_MINUTES = {"deposit": 10, "collect": 35, "load": 20, "unload": 45, "sort": 15}
EVENT_MINUTES = 40


def _seed_journeys(session: Session, label_key: str) -> None:
    users = {u.login: u for u in session.scalars(select(User))}
    now = clock.now()
    for n, (item, scans, events) in enumerate(DEMO_JOURNEYS):
        minutes = sum(SCAN_MINUTES[kind] for kind, _place in scans) + EVENT_MINUTES * len(events)
        # Each journey ends a few minutes before the seeding, its steps spaced as in a day. The
        # clock is the process's: seeding runs before `courier run` starts any other thread.
        with clock.frozen(now - dt.timedelta(minutes=minutes + 5 * (n + 1))) as moment:
            consignment = create_consignment(
                session, users["teacher"], NewConsignment(service_item=item), label_key
            )
            for kind, place in scans:
                moment.advance(dt.timedelta(minutes=SCAN_MINUTES[kind]))
                process_scans(
                    session,
                    users["courier"],
                    [
                        Scan(
                            id=f"demo-{consignment.tracking_code}-{kind}",
                            code=consignment.tracking_code,
                            kind=kind,
                            location=place,
                        )
                    ],
                    label_key,
                )
            for kind in events:
                moment.advance(dt.timedelta(minutes=EVENT_MINUTES))
                record_web_event(
                    session,
                    consignment,
                    users["clerk"],
                    kind,
                    f"demo:{consignment.tracking_code}:{kind}",
                )
        replan(session, consignment)


def _seed_ratings(session: Session, label_key: str) -> None:
    """Results handed over at 综合楼's desk (the teacher dropped them at the drop box there) and
    the teacher's ratings of them."""
    users = {u.login: u for u in session.scalars(select(User))}
    teacher, clerk = users["teacher"], users["clerk"]
    # The handover code is never shown: a session without the server's key (a test's) hashes it
    # under a throwaway one.
    own_key = CODE_KEY not in session.info
    if own_key:
        session.info[CODE_KEY] = secrets.token_hex(16)
    try:
        for item, level, reasons, comment in DEMO_RATINGS:
            consignment = create_consignment(
                session,
                teacher,
                NewConsignment(service_item=item, origin_campus="XL", pickup_campus="XL"),
                label_key,
            )
            code = consignment.tracking_code
            steps = [("deposit", "XL-LOCKER-1"), ("collect", "XL-LOCKER-1"), ("sort", "XL-HALL")]
            process_scans(
                session,
                users["courier"],
                [
                    Scan(id=f"demo-{code}-{kind}", code=code, kind=kind, location=at)
                    for kind, at in steps
                ],
                label_key,
            )
            for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
                record_web_event(session, consignment, clerk, kind, f"demo:{code}:{kind}")
            place_at_desk(session, consignment, clerk, f"demo:{code}:desk")
            hand_over(session, consignment, clerk, f"demo:{code}:handed",
                      collected_by=teacher.name, id_checked=True)  # fmt: skip
            rate_consignment(session, consignment, teacher, level, reasons, comment)
    finally:
        if own_key:
            del session.info[CODE_KEY]


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


#: The demo hall's appointment times each working day (local), 4 places each.
DEMO_SLOT_TIMES = tuple(
    (dt.time(hour, minute), dt.time(hour + (minute + 30) // 60, (minute + 30) % 60))
    for hour in (9, 10, 14, 15)
    for minute in (0, 30)
)


def seed_hall(session: Session) -> None:
    """One hall per service centre (the catalog's hall locations: 南湖's centre and the 西岭 and
    东江 sub-centres), each with queues from the items served on its campus, windows (four at
    南湖, two at each sub-centre; the ``hall`` user signed in at 南湖's window 1) and
    appointment slots for today and the next 14 days."""
    from catalog.models import Location, LocationKind
    from tickets import queue
    from tickets.appointments import add_slots
    from tickets.models import Window
    from tickets.setup import add_hall, add_window, categories_from_catalog

    places = session.scalars(
        select(Location).where(Location.kind == LocationKind.HALL).order_by(Location.id)
    ).all()
    for place in places:
        hall = add_hall(
            session,
            place.campus.code,
            place.name,
            place.campus,
            name_en=place.name_en,
            address=place.address,
        )
        categories = categories_from_catalog(session, hall)
        if not categories:
            continue
        if session.scalar(select(Window.id).where(Window.hall_id == hall.id).limit(1)) is None:
            windows = 4 if place is places[0] else 2
            for number in range(1, windows + 1):
                # Window 1 serves every queue; the others share them out between them.
                served = (
                    categories
                    if number == 1
                    else categories[number - 2 :: windows - 1] or categories
                )
                add_window(session, hall, number, served, f"{number} 号窗口")
        for days in range(15):
            day = queue.today() + dt.timedelta(days=days)
            if day.weekday() < 5:
                for category in categories:
                    add_slots(session, category, day, list(DEMO_SLOT_TIMES), 4)
    staff = session.scalar(select(User).where(User.login == "hall"))
    first = queue.halls(session)
    if staff is not None and first and queue.window_of(session, staff) is None:
        queue.sign_in(session, queue.window_by_number(session, 1, first[0]), staff)


def seed_pickups(session: Session, label_key: str) -> list[str]:
    """Put a finished result for each demo recipient in their campus's pickup locker (the code
    goes out as a notice and shows on *My pickups*). Needs a session with the code key
    (``services.bootstrap``); returns the recipients' logins."""
    users = {u.login: u for u in session.scalars(select(User))}
    told = []
    for login, item, campus, (drop, hall) in DEMO_PICKUPS:
        consignment = create_consignment(
            session,
            users[login],
            NewConsignment(service_item=item, origin_campus=campus, pickup_campus=campus),
            label_key,
        )
        code = consignment.tracking_code
        steps = [("deposit", drop), ("collect", drop), ("sort", hall)]
        process_scans(
            session,
            users["courier"],
            [
                Scan(id=f"demo-{code}-{kind}", code=code, kind=kind, location=at)
                for kind, at in steps
            ],
            label_key,
        )
        for kind in (Kind.AGENT_ACCEPTED, Kind.RESULT_READY):
            record_web_event(session, consignment, users["clerk"], kind, f"demo:{code}:{kind}")
        place_result(session, users["clerk"], consignment, f"demo:{code}:placed")
        told.append(login)
    return told
