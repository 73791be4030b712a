"""The administrator's dashboard at a year of data: 1 M consignments and 1 M hall tickets.

The database gets the demo catalog, lockers and hall, then a year up to ``NOW`` of bulk-inserted
history: consignments (those of the last three days still in the network, the rest picked up,
each with the time its result became ready), a load and an unload scan for each that rode the
shuttle, hall tickets with their waits and services, ratings for a third of them, compartments
in every state and fault alerts.

The rollup job (:func:`dashboard.rollups.refresh`) is timed first, apart: its runs one after
another until the year is rolled up from scratch (``rollup_year_s``, in runs of a month), then
one incremental run (``rollup_incremental_ms``, the last week again).

Timed, interleaved ABAB in the same run, for the default period (the last 30 days) and for the
whole year: *ours* is :func:`dashboard.figures.dashboard` as the page serves it (the rollups up
to yesterday, today's source rows live); the *baseline* computes the same figures in Python from
the rows of the period (loaded with the same WHERE clauses and indexes, grouped and ranked in
Python, durations put in the same buckets before ranking). Every pair of answers must be equal,
or the benchmark fails. The full page request (``GET /admin/dashboard/`` and its nine chart
images, through Flask's test client, logged in as the demo administrator) is timed too, for the
default period and for the year, alone and with its chart images requested one after another (a
browser fetches them in parallel).

Run: ``python -m bench.dashboard`` (``--quick``: 20,000 consignments and 20,000 tickets; ``--size
N``: N of each, with the full run's rounds); SQLite
by default, PostgreSQL with ``COURIER_BENCH_DATABASE_URL``. The last line is JSON. On SQLite the
generated database is kept in ``var/bench-cache/`` (keyed by :data:`DATA_VERSION` and the size)
and copied for the next run, which skips the generation (minutes at full size).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

import migrations
from bench.harness import emit, percentiles, scratch_database
from catalog.models import Campus, Department, ServiceItem
from core import clock
from core.db import make_engine, make_session_factory, unit_of_work
from core.jobs import run_once
from core.users import User
from courier.models import Consignment, CustodyEvent, Source
from courier.states import IN_NETWORK, Kind, Leg, State
from dashboard import figures as ours
from dashboard.jobs import JOBS
from dashboard.rollups import LONGEST_RIDE, SATISFIED, rolled_up_through
from dashboard.sql_time import python_bucket, python_local_hour, python_seconds
from lockers.models import Alert, AlertKind, Compartment, CompartmentState, LockerBank
from services.bootstrap import build_bus
from tickets.models import Category, Hall, Outcome, Rating, Status, Ticket, Window

LABEL_KEY = "bench-label-key"
NOW = dt.datetime(2026, 11, 17, 18, 0, tzinfo=clock.SHANGHAI)
DAYS = 365
CHUNK = 100_000
#: The generated data's version: change it with the generator, so no stale cache is reused.
DATA_VERSION = 1
CACHE = Path("var/bench-cache")
IN_NETWORK_STATES = sorted(IN_NETWORK)


# --- the year of data ---------------------------------------------------------------------


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    """The row without the generator's own keys (those starting with ``_``)."""
    return {key: value for key, value in row.items() if key[0] != "_"}


def _insert(
    engine: Engine, rows: Iterable[dict[str, Any]], *related: tuple[Any, Callable[..., Any]]
) -> Counter[str]:
    """Insert ``rows`` chunk by chunk: each ``(model, rows_of)`` of ``related`` inserts the rows
    ``rows_of(chunk)`` yields, in the chunk's transaction. Returns the rows inserted per table."""
    counts: Counter[str] = Counter()
    for chunk in _chunks(rows):
        with engine.begin() as connection:
            for model, rows_of in related:
                made = list(rows_of(chunk))
                if made:
                    connection.execute(insert(model), made)
                counts[model.__tablename__] += len(made)
        print(f"  {dict(counts)}", file=sys.stderr)
    return counts


def _whole_seconds(at: dt.datetime) -> dt.datetime:
    return at.replace(microsecond=0)


def _consignments(session: Session, count: int, rng: random.Random) -> Iterable[dict[str, Any]]:
    """Consignments created over the year (an ``_home`` key names their department's campus)."""
    items = {
        department_id: item_id
        for item_id, department_id in session.execute(
            select(ServiceItem.id, ServiceItem.department_id).order_by(ServiceItem.id)
        )
    }
    homes = dict(session.execute(select(Department.id, Department.campus_id)).all())
    departments = sorted(items)
    campuses = list(session.scalars(select(Campus.id).order_by(Campus.id)))
    teacher = session.scalar(select(User.id).where(User.login == "teacher"))
    clerk = session.scalar(select(User.id).where(User.login == "clerk"))
    first_id = (session.scalar(select(func.max(Consignment.id))) or 0) + 1
    year = DAYS * 86400
    for n in range(count):
        department = departments[n % len(departments)]
        origin = rng.choice(campuses)
        created = _whole_seconds(NOW - dt.timedelta(seconds=rng.randrange(600, year)))
        started = created + dt.timedelta(seconds=rng.randrange(2 * 3600, 8 * 3600))
        paused = rng.choice((0, 0, 0, 3600, 86400))
        ready = started + dt.timedelta(seconds=paused + rng.randrange(3600, 5 * 86400))
        recent = NOW - created < dt.timedelta(days=3)
        state = rng.choice(IN_NETWORK_STATES) if recent else State.PICKED_UP
        ready_at = None if recent or ready > NOW else ready
        yield {
            "id": first_id + n,
            "tracking_code": f"B{first_id + n:012d}",
            "submitter_id": teacher,
            "recipient_user_id": teacher,
            "recipient_name": "bench",
            "service_item_id": items[department],
            "origin_campus_id": origin,
            "department_id": department,
            "pickup_campus_id": origin,
            "current_campus_id": rng.choice(campuses) if recent else origin,
            "transfer_next": "",
            "pages": 1,
            "documents": 1,
            "contains_originals": False,
            "materials_checked": [],
            "priority": "normal",
            "due_at": started + dt.timedelta(days=3),
            "due_provisional": False,
            "state": state,
            "state_since": created,
            "leg": Leg.OUTBOUND,
            "damaged": False,
            "last_event_at": created,
            "created_at": created,
            "agent_id": clerk,
            "accepted_at": started,
            "sla_phase": "done" if ready_at else "",
            "sla_paused_seconds": paused,
            "sla_started_at": started,
            "result_ready_at": ready_at,
            "closed_at": ready_at,
            "_home": homes[department],
        }


def _rides(consignments: Iterable[dict[str, Any]], rng: random.Random) -> Iterable[dict[str, Any]]:
    """A load at the origin and an unload at the department's campus, for those that rode."""
    for row in consignments:
        if row["origin_campus_id"] == row["_home"]:
            continue
        loaded = row["created_at"] + dt.timedelta(seconds=rng.randrange(1800, 4 * 3600))
        unloaded = loaded + dt.timedelta(seconds=rng.randrange(20 * 60, 90 * 60))
        for kind, at, campus in (
            (Kind.LOADED, loaded, row["origin_campus_id"]),
            (Kind.UNLOADED, unloaded, row["_home"]),
        ):
            yield {
                "consignment_id": row["id"],
                "kind": kind,
                "device_at": at,
                "server_at": at,
                "campus_id": campus,
                "source": Source.SCAN,
                "idempotency_key": f"bench-{row['id']}-{kind}",
                "notes": "",
                "state_after": State.IN_TRANSIT,
                "late": False,
            }


def _tickets(session: Session, count: int, rng: random.Random) -> Iterable[dict[str, Any]]:
    """Tickets over the year's days, served or missed (``_rate`` and ``_level``: its rating)."""
    categories = list(session.execute(select(Category.id, Category.prefix)))
    windows = list(session.scalars(select(Window.id).order_by(Window.id)))
    first_id = (session.scalar(select(func.max(Ticket.id))) or 0) + 1
    per_day = max(1, count // DAYS)
    seqs: Counter[tuple[int, dt.date]] = Counter()
    for n in range(count):
        day = NOW.date() - dt.timedelta(days=n // per_day % DAYS)
        category, prefix = categories[n % len(categories)]
        seqs[category, day] += 1
        seq = seqs[category, day]
        opens = dt.datetime.combine(day, dt.time(8, 30), tzinfo=clock.SHANGHAI)
        waits_from = opens + dt.timedelta(seconds=rng.randrange(0, 8 * 3600 + 1800))
        called = waits_from + dt.timedelta(seconds=rng.randrange(30, 45 * 60))
        served = rng.random() < 0.9
        started = called + dt.timedelta(seconds=rng.randrange(10, 120))
        finished = started + dt.timedelta(seconds=rng.randrange(120, 25 * 60))
        yield {
            "id": first_id + n,
            "category_id": category,
            "day": day,
            "seq": seq,
            "number": f"{prefix}{seq:04d}",
            "issued_at": waits_from,
            "queue_at": waits_from,
            "wait_from": waits_from,
            "appointment": False,
            "status": Status.DONE,
            "outcome": Outcome.SERVED if served else Outcome.NO_SHOW,
            "window_id": windows[n % len(windows)],
            "calls": 1,
            "first_called_at": called,
            "last_called_at": called,
            "started_at": started if served else None,
            "finished_at": finished if served else None,
            "near_notified": False,
            "_rate": served and rng.random() < 0.33,
            "_level": rng.choice((5, 5, 5, 4, 4, 3, 2, 1)),
        }


def populate(url: str, consignments: int, tickets: int) -> dict[str, Any]:
    """The demo data and a year of history; returns what was made and how long it took."""
    from web.demo import seed_demo

    started = time.perf_counter()
    engine = make_engine(url)
    rng = random.Random(16)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
    with make_session_factory(engine)() as session:
        consignments_made = _consignments(session, consignments, rng)
        tickets_made = _tickets(session, tickets, rng)
        banks = list(session.scalars(select(LockerBank.id)))
        compartments = list(session.scalars(select(Compartment.id)))
        # The generators read what they need before yielding their first row.
        first_consignment, first_ticket = next(consignments_made), next(tickets_made)
    made = _insert(
        engine,
        itertools.chain([first_consignment], consignments_made),
        (Consignment, lambda chunk: map(_stored, chunk)),
        (CustodyEvent, lambda chunk: _rides(chunk, rng)),
    )
    made += _insert(
        engine,
        itertools.chain([first_ticket], tickets_made),
        (Ticket, lambda chunk: map(_stored, chunk)),
        (
            Rating,
            lambda chunk: (
                {"ticket_id": r["id"], "level": r["_level"], "reasons": [], "comment": ""}
                for r in chunk
                if r["_rate"]
            ),
        ),
    )
    with engine.begin() as connection:
        for compartment in compartments:
            connection.execute(
                update(Compartment)
                .where(Compartment.id == compartment)
                .values(state=rng.choice(list(CompartmentState)))
            )
    faults = (
        {
            "kind": AlertKind.FAULT,
            "bank_id": rng.choice(banks),
            "message": "bench",
            "created_at": NOW - dt.timedelta(seconds=rng.randrange(0, DAYS * 86400)),
        }
        for _ in range(len(banks) * 50)
    )
    made += _insert(engine, faults, (Alert, lambda chunk: chunk))
    engine.dispose()
    return {
        "consignments": made["consignments"],
        "tickets": made["tickets"],
        "ride_scans": made["custody_events"],
        "ratings": made["ticket_ratings"],
        "fault_alerts": made["alerts"],
        "generation_s": round(time.perf_counter() - started, 1),
    }


# --- the baseline: the same figures in Python from rows -----------------------------------


def _nearest_rank(ordered: list[int], percent: int) -> int:
    return ordered[(len(ordered) * percent + 99) // 100 - 1]


def _named(session: Session, model: Any, key: str = "code") -> dict[int, ours.Named]:
    return {
        row.id: ours.Named(getattr(row, key), row.name, getattr(row, "name_en", ""))
        for row in session.scalars(select(model))
    }


def baseline(session: Session, period: ours.Period) -> ours.Dashboard:
    """Every figure of :func:`dashboard.figures.dashboard`, grouped and ranked in Python."""
    campuses = _named(session, Campus)
    departments = _named(session, Department)
    start, end = period.start, period.end

    counts: Counter[tuple[int, str]] = Counter()
    for current, origin, state in session.execute(
        select(
            Consignment.current_campus_id, Consignment.origin_campus_id, Consignment.state
        ).where(Consignment.state.in_(IN_NETWORK_STATES))
    ):
        counts[current or origin, state] += 1
    network = sorted(
        (ours.InNetwork(campuses[c], State(s), n) for (c, s), n in counts.items()),
        key=lambda r: (r.campus.code, r.state),
    )

    rides: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    previous: dict[int, tuple[Kind, int | None, dt.datetime]] = {}
    for consignment, kind, campus, at in session.execute(
        select(
            CustodyEvent.consignment_id,
            CustodyEvent.kind,
            CustodyEvent.campus_id,
            CustodyEvent.device_at,
        )
        .where(
            CustodyEvent.kind.in_([Kind.LOADED, Kind.UNLOADED, Kind.TRANSFERRED]),
            CustodyEvent.device_at >= start,
            CustodyEvent.device_at < end + dt.timedelta(seconds=LONGEST_RIDE),
        )
        .order_by(CustodyEvent.consignment_id, CustodyEvent.device_at, CustodyEvent.id)
    ):
        before = previous.get(consignment)
        previous[consignment] = (kind, campus, at)
        if before is None or kind == Kind.LOADED or before[0] != Kind.LOADED:
            continue
        seconds = python_seconds(before[2], at)
        if before[2] < end and seconds <= LONGEST_RIDE and before[1] and campus:
            rides[before[1], campus].append(python_bucket(seconds))
    transit = []
    for (origin, destination), seconds in rides.items():
        seconds.sort()
        transit.append(
            ours.Leg(
                campuses[origin],
                campuses[destination],
                len(seconds),
                _nearest_rank(seconds, 50),
                _nearest_rank(seconds, 90),
            )
        )
    transit.sort(key=lambda r: (r.origin.code, r.destination.code))

    handling: defaultdict[int, list[int]] = defaultdict(list)
    on_time: Counter[int] = Counter()
    for department, clock_start, created, ready, due, paused in session.execute(
        select(
            Consignment.department_id,
            Consignment.sla_started_at,
            Consignment.created_at,
            Consignment.result_ready_at,
            Consignment.due_at,
            Consignment.sla_paused_seconds,
        ).where(Consignment.result_ready_at >= start, Consignment.result_ready_at < end)
    ):
        handling[department].append(
            python_bucket(python_seconds(clock_start or created, ready) - paused)
        )
        on_time[department] += ready <= due
    sla = sorted(
        (
            ours.Sla(departments[d], len(s), on_time[d], _nearest_rank(sorted(s), 50))
            for d, s in handling.items()
        ),
        key=lambda r: r.department.code,
    )

    states: defaultdict[int, Counter[CompartmentState]] = defaultdict(Counter)
    for bank, state in session.execute(select(Compartment.bank_id, Compartment.state)):
        states[bank][state] += 1
    alerts = Counter(
        session.scalars(
            select(Alert.bank_id).where(
                Alert.kind == AlertKind.FAULT, Alert.created_at >= start, Alert.created_at < end
            )
        )
    )
    lockers = []
    for bank in session.scalars(select(LockerBank).order_by(LockerBank.controller)):
        tally = states[bank.id]
        lockers.append(
            ours.Bank(
                ours.Named(bank.controller, bank.name),
                bank.kind,
                sum(tally.values()) - tally[CompartmentState.DISABLED],
                sum(tally[s] for s in ours.OCCUPIED),
                tally[CompartmentState.FAULT],
                alerts[bank.id],
            )
        )

    # Each hall letters its own queues and numbers its own windows: named with the hall's code.
    halls = {hall.id: hall.code for hall in session.scalars(select(Hall))}
    queues = {
        q.id: (
            q.hall_id,
            ours.Named(
                q.prefix, f"{halls[q.hall_id]} · {q.name}", f"{halls[q.hall_id]} · {q.name_en}"
            ),
        )
        for q in session.scalars(select(Category))
    }
    hours: defaultdict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for category, waits_from, called, begun, finished in session.execute(
        select(
            Ticket.category_id,
            Ticket.wait_from,
            Ticket.first_called_at,
            Ticket.started_at,
            Ticket.finished_at,
        ).where(Ticket.day >= period.first, Ticket.day <= period.last)
    ):
        tally = hours[category, python_local_hour(waits_from)]
        tally[0] += 1
        if called is not None:
            tally[1] += 1
            tally[2] += python_seconds(waits_from, called)
        if begun is not None and finished is not None:
            tally[3] += 1
            tally[4] += python_seconds(begun, finished)
    hall = [
        ours.HallHour(queues[c][1], h, *tally)
        for (c, h), tally in sorted(
            hours.items(), key=lambda ch: (queues[ch[0][0]][0], queues[ch[0][0]][1].code, ch[0][1])
        )
    ]

    windows = {w.id: w for w in session.scalars(select(Window))}
    owners = dict(session.execute(select(Category.id, Category.department_id)).all())
    by_window: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_department: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for level, window, category in session.execute(
        select(Rating.level, Ticket.window_id, Ticket.category_id)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.day >= period.first, Ticket.day <= period.last)
    ):
        for tallies, key in ((by_window, window), (by_department, owners[category])):
            if key is None:
                continue
            tallies[key][0] += 1
            tallies[key][1] += level
            tallies[key][2] += level >= SATISFIED
    return ours.Dashboard(
        period,
        network,
        transit,
        sla,
        lockers,
        hall,
        [
            ours.Satisfaction(
                ours.Named(
                    str(windows[w].number), f"{halls[windows[w].hall_id]} · {windows[w].name}"
                ),
                *t,
            )
            for w, t in sorted(
                by_window.items(), key=lambda wt: (windows[wt[0]].hall_id, windows[wt[0]].number)
            )
        ],
        sorted(
            (ours.Satisfaction(departments[d], *t) for d, t in by_department.items()),
            key=lambda r: r.of.code,
        ),
    )


# --- timing --------------------------------------------------------------------------------


def interleaved(
    a: Callable[[], Any], b: Callable[[], Any], rounds: int
) -> tuple[list[float], list[float]]:
    """Milliseconds of ``a`` and ``b`` run alternately (ABAB...), their answers equal each time."""
    a_ms, b_ms = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = a()
        a_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        expected = b()
        b_ms.append((time.perf_counter() - start) * 1000)
        assert answer == expected, "the dashboard and the baseline disagree"
    return a_ms, b_ms


def page_requests(url: str, rounds: int, period: ours.Period) -> dict[str, dict[str, float]]:
    """The page of ``period`` alone, and with its chart images, through Flask's test client as
    the demo administrator."""
    from core.config import Settings
    from web.app import create_app
    from web.dashboard_charts import CHARTS
    from web.demo import DEMO_PASSWORD

    settings = Settings(
        database_url=url, mqtt_url=None, secret_key="b", label_key=LABEL_KEY, code_key="c"
    )
    client = create_app(settings, WTF_CSRF_ENABLED=False).test_client()
    client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD})
    dates = f"from={period.first}&to={period.last}"

    def page() -> None:
        response = client.get(f"/admin/dashboard/?{dates}")
        assert response.status_code == 200, response.status_code

    def charts() -> None:
        for name in CHARTS:
            assert client.get(f"/admin/dashboard/charts/{name}.svg?{dates}").status_code == 200

    page()
    charts()
    alone, with_charts = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        page()
        alone.append((time.perf_counter() - start) * 1000)
        charts()
        with_charts.append((time.perf_counter() - start) * 1000)
    return {"page": percentiles(alone), "page_with_charts": percentiles(with_charts)}


def generated(url: str, size: int) -> dict[str, Any]:
    """:func:`populate` at ``url``; on SQLite, a copy of the database generated before at this
    size and :data:`DATA_VERSION` if there is one (the figures of its generation are kept
    beside it)."""
    if not url.startswith("sqlite:///"):
        return populate(url, size, size)
    database = Path(url.removeprefix("sqlite:///"))
    cached = CACHE / f"dashboard-v{DATA_VERSION}-{size}.sqlite3"
    made = cached.with_suffix(".json")
    if cached.exists() and made.exists():
        shutil.copyfile(cached, database)
        migrations.upgrade(url)
        return {**json.loads(made.read_text()), "generation_reused": True}
    figures = populate(url, size, size)
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, cached)
    made.write_text(json.dumps(figures))
    return figures


def rollup_runs(url: str) -> dict[str, Any]:
    """The rollup job from scratch (run after run until yesterday is rolled up, as the scheduler
    would, minus its intervals), then one incremental run."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    (job,) = JOBS
    yesterday = clock.local_now().date() - dt.timedelta(days=1)
    runs = 0
    start = time.perf_counter()
    while True:
        run_once(sessions, job)
        runs += 1
        with sessions() as session:
            if rolled_up_through(session) == yesterday:
                break
    from_scratch = time.perf_counter() - start
    start = time.perf_counter()
    run_once(sessions, job)
    incremental = time.perf_counter() - start
    engine.dispose()
    return {
        "rollup_year_s": round(from_scratch, 1),
        "rollup_year_runs": runs,
        "rollup_incremental_ms": round(incremental * 1000, 1),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    size = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 0
    size = size or (20_000 if quick else 1_000_000)
    rounds = 6 if quick else 20
    with scratch_database() as url:
        made = generated(url, size)
        figures: dict[str, Any] = {**made, "measured": "dashboard.figures.dashboard"}
        with clock.frozen(NOW.astimezone(dt.UTC)):
            figures.update(rollup_runs(url))
            engine = make_engine(url)
            sessions = make_session_factory(engine)
            periods = (
                ("month", ours.Period.last_days(30), rounds),
                ("year", ours.Period.last_days(DAYS), rounds if quick else 8),
            )
            for name, period, count in periods:
                with sessions() as session:

                    def run_ours(period: ours.Period = period, session: Session = session) -> Any:
                        return ours.dashboard(session, period)

                    def run_baseline(
                        period: ours.Period = period, session: Session = session
                    ) -> Any:
                        return baseline(session, period)

                    run_ours()
                    mine, theirs = interleaved(run_ours, run_baseline, count)
                mine_p, theirs_p = percentiles(mine), percentiles(theirs)
                figures[f"{name}_p50_ms"] = mine_p["p50_ms"]
                figures[f"{name}_p99_ms"] = mine_p["p99_ms"]
                figures[f"{name}_baseline_p50_ms"] = theirs_p["p50_ms"]
                figures[f"{name}_baseline_p99_ms"] = theirs_p["p99_ms"]
                figures[f"{name}_speedup_p50"] = round(theirs_p["p50_ms"] / mine_p["p50_ms"], 2)
                figures[f"{name}_rounds"] = count
            engine.dispose()
            for name, period, _ in periods:
                for what, timing in page_requests(url, rounds, period).items():
                    figures[f"{name}_{what}_p50_ms"] = timing["p50_ms"]
                    figures[f"{name}_{what}_p99_ms"] = timing["p99_ms"]
    figures["answers_equal"] = True
    emit(figures)


if __name__ == "__main__":
    main()
