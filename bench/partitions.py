"""The partitioned event tables (migration 0029) under N device events and N custody events, on
PostgreSQL, against the same rows in unpartitioned tables.

The bench makes a database of its own on the server (``COURIER_BENCH_DATABASE_URL``, else this
machine's ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), migrates it, and fills:

- ``device_events``: N events of 2,000 controllers, received evenly over the last twelve months;
  all applied but each controller's newest;
- ``custody_events``: N/10 consignments of ten events each, spread over the same months (twelve
  monthly partitions, as a year of service leaves them).

Each is a chunked ``INSERT … SELECT generate_series``, through the partitioned table's triggers
(custody's key table). The baseline is schema ``baseline`` holding unpartitioned copies of both
tables with the indexes and unique constraints they had before 0029, filled from the same rows the
same way (indexes in place); its sessions put ``baseline`` first on the search path, so both
variants run the application's own code: the bridge's lookup of a seq (a duplicate or a reused
seq) and its replay range above the contiguous mark (as ``firmware_bridge.ingest`` and
``.sequence`` query them), ``courier.timeline.timeline``, ``courier.custody.find_event``,
``dashboard.figures.transit_legs`` over a week, and one retention batch
(``firmware_bridge.retention.forget_old_events``, committed: both variants delete their next
oldest rows). Each call is timed with its commit, the variants alternating (ABAB, then BABA).

Every query's plan is checked first with ``EXPLAIN (ANALYZE, BUFFERS)``: no sequential scan of a
table holding more than :data:`SMALL` rows, unless the planner was right to prefer it (planned
again with sequential scans off, on its indexes, the statement takes longer), and partitions
pruned where the query allows (one hash partition for a controller's lookups; the months a period
touches for the dashboard). A plan that breaks this is reported and makes the bench exit with
status 1. The timeline and the key lookup cannot be pruned
(neither names a month): their plans probe every month's index, and the figures show the cost.

Run: ``python -m bench.partitions`` (1 M events each), ``--quick`` (100,000), ``--events N`` or
``COURIER_BENCH_EVENTS=N``; ``--no-baseline`` fills and checks the partitioned tables alone (no
ratios), for sizes whose unpartitioned copy would not fit on the disk. It refuses to start when
the estimated size would leave less than 10 GB free on the database's disk (``--data-dir``,
default ``/var/lib/postgresql``) and drops its database at the end. The fill lifts the tables'
keys, foreign keys and indexes and builds them again once the rows are in (the baseline's too),
and writes custody's key table in one statement. On an idle 2-core machine 1 M events each took
36 s in all (0.54 GB of partitioned events, 0.42 GB of baseline); 100 M each with
``--no-baseline`` took 21 minutes to fill and 57.5 GB (the README's benchmark table has the
figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import Session

import migrations
from bench.harness import emit, percentiles, postgres_database
from bench.timeline import EVENTS as JOURNEY
from core import clock
from core.config import RetentionSettings
from core.db import make_engine, unit_of_work
from courier.custody import find_event
from courier.models import Consignment
from courier.partitions import month_after
from courier.timeline import timeline
from dashboard.figures import Period, transit_legs
from firmware_bridge.models import DeviceEvent
from firmware_bridge.retention import forget_old_events
from services.bootstrap import build_bus

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LABEL_KEY = "bench-label-key"
CONTROLLERS = 2_000
EVENTS_PER_CONSIGNMENT = 10
MONTHS = 12
CHUNK = 250_000
#: Disk one event of each table takes with its indexes and its share of the consignments (one
#: copy; at 1 M events each the database held 0.59 GB, of which 0.54 GB events).
BYTES_PER_EVENT = 320
MIN_FREE = 10 * 1024**3
#: A scan of a table this small may be sequential: the planner's right choice for it.
SMALL = 10_000
BASELINE = """
CREATE SCHEMA baseline;
CREATE TABLE baseline.device_events (LIKE public.device_events INCLUDING DEFAULTS);
CREATE TABLE baseline.custody_events (LIKE public.custody_events INCLUDING DEFAULTS);
"""
#: The unpartitioned tables' keys and indexes, as before migration 0029.
BASELINE_KEYS = """
ALTER TABLE baseline.device_events ADD PRIMARY KEY (id),
    ADD UNIQUE (controller, generation, seq);
CREATE INDEX ON baseline.device_events (received_at);
ALTER TABLE baseline.custody_events ADD PRIMARY KEY (id), ADD UNIQUE (idempotency_key);
CREATE INDEX ON baseline.custody_events (consignment_id, device_at, id);
CREATE INDEX ON baseline.custody_events (kind, device_at);
"""
#: The tables filled, whose keys and indexes are built once they are full (as the baseline's).
FILLED = ("custody_events", "device_events", "custody_event_keys")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events each")
    parser.add_argument("--events", type=int, help="events in each table (default 1,000,000)")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="the partitioned tables alone: plans and timings, no unpartitioned copy to compare",
    )
    parser.add_argument("--data-dir", default="/var/lib/postgresql", help="the server's disk")
    return parser.parse_args()


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _template_consignment(engine: Engine) -> tuple[int, list[int], int]:
    """The demo data; returns a consignment to copy, the campus ids and a user id."""
    from core.db import make_session_factory
    from web.demo import seed_demo

    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
        template = session.scalar(select(Consignment.id).order_by(Consignment.id).limit(1))
        campuses = list(session.scalars(text("SELECT id FROM campuses ORDER BY id")))
        user = session.scalar(text("SELECT min(id) FROM users"))
    return template, campuses, user


def fill(
    engine: Engine, events: int, start: dt.datetime, end: dt.datetime, baseline: bool = True
) -> tuple[dict[str, float], int]:
    """Device and custody events into the partitioned tables and, with ``baseline``, the
    baseline's; the seconds each step took and the id of the first consignment made."""
    template, campuses, user = _template_consignment(engine)
    _say("demo data seeded")
    consignments = events // EVENTS_PER_CONSIGNMENT
    span = (end - start).total_seconds()
    with engine.begin() as connection:
        month = start.date().replace(day=1)
        while month <= end.date():
            connection.execute(text("SELECT custody_events_add_month(:m)"), {"m": month})
            month = month_after(month)
        base = connection.scalar(text("SELECT max(id) FROM consignments"))
    took: dict[str, float] = {}
    started = time.perf_counter()
    _chunks(
        engine,
        consignments,
        """
        INSERT INTO consignments
        SELECT r.* FROM consignments t,
            generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g,
            LATERAL jsonb_populate_record(NULL::consignments, to_jsonb(t)
                || jsonb_build_object('id', :base + 1 + g, 'tracking_code', 'BENCH' || g)) r
        WHERE t.id = :template
        """,
        {"base": base, "template": template},
        replica=True,
    )
    with engine.begin() as connection:
        connection.execute(
            text("SELECT setval('consignments_id_seq', (SELECT max(id) FROM consignments))")
        )
    took["consignments_s"] = time.perf_counter() - started
    kinds = [kind.value for kind, _ in JOURNEY]
    states = [state.value for _, state in JOURNEY]
    custody = """
        INSERT INTO {table} ({columns})
        SELECT :base + 1 + g / 10, (CAST(:kinds AS text[]))[g % 10 + 1], at, at, :user, NULL,
            (CAST(:campuses AS int[]))[(g / 10 + g % 10 / 4) % :ncampuses + 1], 'bench', 'scan',
            'bench:' || g, '', NULL, NULL, (CAST(:states AS text[]))[g % 10 + 1], false
        FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g,
            LATERAL (SELECT CAST(:start AS timestamp)
                + interval '1 second' * ((g / 10) * :step) + interval '1 hour' * (g % 10) AS at) x
        """
    custody_columns = (
        "consignment_id, kind, device_at, server_at, actor_id, location_id, campus_id, device, "
        "source, idempotency_key, notes, photo_id, department_id, state_after, late"
    )
    device = """
        INSERT INTO {table} (controller, generation, seq, boot, type, device_at, received_at,
            data, applied, result)
        SELECT 'L' || lpad((g % :controllers)::text, 4, '0'), 1, g / :controllers + 1, 1, 'door',
            at, at, '{{"door": 1}}', g < :n - :controllers, ''
        FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g,
            LATERAL (SELECT CAST(:start AS timestamp) + interval '1 second' * (g * :step) AS at) x
        """
    naive_start = start.replace(tzinfo=None)
    with engine.begin() as connection:
        first_custody = connection.scalar(text("SELECT max(id) FROM custody_events"))
        restore = _lift_keys(connection)
    started = time.perf_counter()
    _chunks(
        engine,
        events,
        custody.format(table="custody_events", columns=custody_columns),
        {
            "base": base, "kinds": kinds, "states": states, "campuses": campuses,
            "ncampuses": len(campuses), "user": user, "start": naive_start,
            "step": span / max(1, consignments),
        },
    )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO custody_event_keys SELECT id, idempotency_key FROM custody_events "
                "WHERE id > :first"
            ),
            {"first": first_custody},
        )
    took["custody_s"] = time.perf_counter() - started
    started = time.perf_counter()
    _chunks(
        engine,
        events,
        device.format(table="device_events"),
        {"controllers": CONTROLLERS, "n": events, "start": naive_start, "step": span / events},
    )
    took["device_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        for statement in restore:
            _say(f"  {statement[:90]}")
            connection.exec_driver_sql(statement)
    took["keys_and_indexes_s"] = time.perf_counter() - started
    if baseline:
        took |= _fill_baseline(engine)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    took["vacuum_analyze_s"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in took.items()}, base + 1


def _fill_baseline(engine: Engine) -> dict[str, float]:
    """The filled rows copied into the baseline's unpartitioned tables, whose keys and indexes
    are then built; the seconds each step took."""
    took: dict[str, float] = {}
    with engine.begin() as connection:
        connection.exec_driver_sql(BASELINE)
    for table in ("custody_events", "device_events"):
        started = time.perf_counter()
        with engine.connect() as connection:
            last = connection.scalar(text(f"SELECT max(id) FROM {table}"))
        _chunks(
            engine,
            last,
            f"INSERT INTO baseline.{table} SELECT * FROM public.{table} "
            "WHERE id > :lo AND id <= :hi + 1",
            {},
        )
        took[f"baseline_{table}_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        connection.exec_driver_sql(BASELINE_KEYS)
    took["baseline_keys_and_indexes_s"] = time.perf_counter() - started
    return took


def _lift_keys(connection: Connection) -> list[str]:
    """Drop the keys, foreign keys and indexes of the :data:`FILLED` tables and stop custody's
    key trigger (the fill writes the key table itself); returns the statements that put them
    back, as the database describes them, so that they are built once over the full tables."""
    restore = []
    for table in FILLED:
        constraints = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f') "
                "ORDER BY contype = 'f', conname"
            ),
            {"t": table},
        ).all()
        for name, definition in constraints:
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        indexes = connection.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).all()
        for name, definition in indexes:
            connection.exec_driver_sql(f"DROP INDEX {name}")
            # A partitioned table's index is described ON ONLY the parent; made for all.
            restore.append(definition.replace(" ON ONLY ", " ON "))
    connection.exec_driver_sql("ALTER TABLE custody_events DISABLE TRIGGER custody_events_keep_key")
    restore.append("ALTER TABLE custody_events ENABLE TRIGGER custody_events_keep_key")
    return restore


def _chunks(
    engine: Engine, count: int, sql: str, params: dict[str, Any], replica: bool = False
) -> None:
    """``sql`` for ``:lo`` to ``:hi`` in steps of :data:`CHUNK` up to ``count``, a commit each;
    ``replica`` skips foreign-key checks (copies of one valid row that differ in id and code)."""
    for lo in range(0, count, CHUNK):
        hi = min(count, lo + CHUNK) - 1
        with engine.begin() as connection:
            if replica:
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            connection.execute(text(sql), {**params, "lo": lo, "hi": hi})
        _say(f"  {hi + 1:,} / {count:,}: {' '.join(sql.split()[:3])}")


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements ``engine`` runs meanwhile, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of ``plan`` that reads a relation, and the subplans run-time pruning removed."""
    found = []
    if "Relation Name" in plan:
        found.append(
            {
                "node": plan["Node Type"],
                "relation": plan["Relation Name"],
                "index": plan.get("Index Name"),
                "loops": plan.get("Actual Loops", 0),
            }
        )
    if plan.get("Subplans Removed"):
        found.append(
            {"node": "Subplans Removed", "relation": "", "removed": plan["Subplans Removed"]}
        )
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


@dataclass(frozen=True)
class Query:
    """A hot query: what it runs, how its argument is drawn, how often, what its plan must do."""

    name: str
    call: Callable[[Session, Any], object]
    pick: Callable[[random.Random], Any]
    rounds: int
    #: The most partitions of its table one execution may read (``None``: all of them).
    partitions: int | None = None


def explain(engine: Engine, query: Query, arg: Any, sizes: dict[str, float]) -> dict[str, Any]:
    """Run ``query`` once, then ``EXPLAIN (ANALYZE, BUFFERS)`` what it ran, rolled back; the
    scans of the event tables, and any breach of the rules (see the module's docstring)."""
    with captured(engine) as statements, Session(engine) as session:
        query.call(session, arg)
        session.rollback()
    report: dict[str, Any] = {
        "scans": [], "breaches": [], "buffers_hit": 0, "buffers_read": 0, "seq_over_index": [],
    }  # fmt: skip
    with engine.connect() as connection:
        for statement, parameters in statements:
            plan = _analyze(connection, statement, parameters)
            top = plan["Plan"]
            report["buffers_hit"] += top.get("Shared Hit Blocks", 0)
            report["buffers_read"] += top.get("Shared Read Blocks", 0)
            scans = _scans(top)
            big = [s["relation"] for s in scans if _big_seq_scan(s, sizes)]
            if big:
                verdict = _seq_or_index(connection, statement, parameters, big, sizes)
                for key, found in verdict.items():
                    report[key] += found
            events = {
                scan["relation"]
                for scan in scans
                if scan["relation"].startswith(("custody_events", "device_events"))
                and scan.get("loops")
            }
            if query.partitions is not None and len(events) > query.partitions:
                report["breaches"].append(f"read {len(events)} partitions: {sorted(events)}")
            report["scans"] += [s for s in scans if s["relation"] in events or "removed" in s]
        connection.rollback()
    return report


def plan_lines(scans: list[dict[str, Any]]) -> list[str]:
    """The distinct reads of a plan's scans (see :func:`_scans`), one line each: node and index,
    or node and relation."""
    return sorted({f"{s['node']} {s.get('index') or s['relation']}".strip() for s in scans})


def _analyze(connection: Connection, statement: str, parameters: Any) -> dict[str, Any]:
    (plan,) = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
    ).scalar_one()
    return dict(plan)


def _big_seq_scan(scan: dict[str, Any], sizes: dict[str, float]) -> bool:
    return scan["node"] == "Seq Scan" and sizes.get(scan["relation"], 0) > SMALL


def _seq_or_index(
    connection: Connection, statement: str, parameters: Any, big: list[str], sizes: dict[str, float]
) -> dict[str, list[Any]]:
    """A sequential scan of a big table stands only where the planner was right to prefer it:
    the statement planned again with sequential scans off (so on its indexes) must take longer
    than the plan chosen, both timed warm; else, or if no index serves it, it is a breach."""
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    forced = _analyze(connection, statement, parameters)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    chosen = _analyze(connection, statement, parameters)
    chosen_ms, index_ms = chosen["Execution Time"], forced["Execution Time"]
    forced_scans = _scans(forced["Plan"])
    figures = {
        "relations": big,
        "chosen_ms": round(chosen_ms, 1),
        "index_ms": round(index_ms, 1),
        "index_plan": plan_lines(forced_scans),
    }
    if any(_big_seq_scan(s, sizes) for s in forced_scans) or index_ms <= chosen_ms:
        return {"breaches": [f"seq scan of {', '.join(big)} ({figures})"]}
    return {"seq_over_index": [figures]}


def timed(engines: dict[str, Engine], query: Query, rng: random.Random) -> dict[str, Any]:
    """``query`` on each variant, alternating which goes first, each call with its commit."""
    samples: dict[str, list[float]] = {name: [] for name in engines}
    order = list(engines.items())
    for round_ in range(query.rounds + 2):
        arg = query.pick(rng)
        for name, engine in order if round_ % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            with Session(engine) as session:
                query.call(session, arg)
                session.commit()
            if round_ >= 2:  # the first two rounds warm the connections and caches
                samples[name].append((time.perf_counter() - started) * 1000)
    figures: dict[str, Any] = {name: percentiles(values) for name, values in samples.items()}
    if "baseline" in figures:
        figures["p50_ratio"] = round(
            figures["partitioned"]["p50_ms"] / figures["baseline"]["p50_ms"], 2
        )
    return figures


def queries(
    events: int, first_consignment: int, start: dt.datetime, now: dt.datetime
) -> list[Query]:
    """The hot queries over the filled rows."""
    seqs = events // CONTROLLERS
    consignments = events // EVENTS_PER_CONSIGNMENT
    days = (now - start).days

    def controller(rng: random.Random) -> str:
        return f"L{rng.randrange(CONTROLLERS):04d}"

    def seq_lookup(session: Session, arg: tuple[str, int]) -> object:
        return session.execute(
            select(DeviceEvent.type, DeviceEvent.data, DeviceEvent.device_at).where(
                DeviceEvent.controller == arg[0],
                DeviceEvent.generation == 1,
                DeviceEvent.seq == arg[1],
            )
        ).first()

    def replay_range(session: Session, arg: tuple[str, int]) -> object:
        return set(
            session.scalars(
                select(DeviceEvent.seq).where(
                    DeviceEvent.controller == arg[0],
                    DeviceEvent.generation == 1,
                    DeviceEvent.seq > arg[1],
                )
            )
        )

    def consignment_timeline(session: Session, consignment_id: int) -> object:
        consignment = session.get(Consignment, consignment_id)
        assert consignment is not None
        return timeline(session, consignment)

    def week(rng: random.Random) -> Period:
        first = (start + dt.timedelta(days=rng.randrange(7, days - 7))).date()
        return Period(first, first + dt.timedelta(days=6))

    def retention(session: Session, _arg: None) -> object:
        before = now - dt.timedelta(days=RetentionSettings().device_event_days)
        return forget_old_events(session, before, RetentionSettings().batch)

    return [
        Query(
            "bridge_seq_lookup",
            seq_lookup,
            lambda rng: (controller(rng), rng.randrange(1, seqs + 1)),
            400,
            partitions=1,
        ),
        Query(
            "bridge_replay_range",
            replay_range,
            lambda rng: (controller(rng), seqs - 50),
            400,
            partitions=1,
        ),
        Query(
            "consignment_timeline",
            consignment_timeline,
            lambda rng: first_consignment + rng.randrange(consignments),
            200,
        ),
        Query(
            "find_event_by_key",
            lambda session, key: find_event(session, key),
            lambda rng: f"bench:{rng.randrange(events)}",
            400,
        ),
        Query(
            "dashboard_rides_of_a_week",
            lambda session, period: transit_legs(session, period),
            week,
            10,
            partitions=2,
        ),
        Query("retention_batch", retention, lambda rng: None, 6),
    ]


def main() -> None:
    arguments = _arguments()
    events = arguments.events or int(
        os.environ.get("COURIER_BENCH_EVENTS", 100_000 if arguments.quick else 1_000_000)
    )
    free = shutil.disk_usage(arguments.data_dir).free
    needed = events * 2 * BYTES_PER_EVENT * (2 if arguments.baseline else 1)
    if free - needed < MIN_FREE:
        sys.exit(
            f"{events:,} events each need about {needed / 1024**3:.0f} GB; "
            f"{free / 1024**3:.0f} GB free would fall below {MIN_FREE / 1024**3:.0f} GB"
        )
    url = os.environ.get("COURIER_BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        sys.exit("bench.partitions needs PostgreSQL (COURIER_BENCH_DATABASE_URL)")
    now = clock.now().replace(microsecond=0)
    start = now - dt.timedelta(days=365)
    _say("migrating a new database")
    with postgres_database(url, "partitions") as database:
        migrations.upgrade(database)
        engine = make_engine(database)
        _say(f"filling {events:,} device events and {events:,} custody events")
        fill_s, first_consignment = fill(engine, events, start, now, arguments.baseline)
        with engine.connect() as connection:
            sizes = dict(connection.execute(text("SELECT relname, reltuples FROM pg_class")).all())
            disk = connection.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(relid)) FILTER (WHERE relid::text "
                    "LIKE 'baseline.%'), 0), sum(pg_total_relation_size(relid)) FILTER (WHERE "
                    "relid::text NOT LIKE 'baseline.%'), pg_database_size(current_database()) "
                    "FROM (SELECT relid FROM pg_partition_tree('custody_events') UNION ALL "
                    "SELECT relid FROM pg_partition_tree('device_events') UNION ALL "
                    "SELECT to_regclass('baseline.custody_events') UNION ALL "
                    "SELECT to_regclass('baseline.device_events') UNION ALL "
                    "SELECT 'custody_event_keys'::regclass) r"
                )
            ).one()
        engines = {"partitioned": engine}
        if arguments.baseline:
            engines["baseline"] = make_engine(
                database, connect_args={"options": "-c search_path=baseline,public"}
            )
        rng = random.Random(30)
        figures: dict[str, Any] = {}
        breaches: list[str] = []
        for query in queries(events, first_consignment, start, now):
            _say(query.name)
            plans = {name: explain(e, query, query.pick(rng), sizes) for name, e in engines.items()}
            breaches += [f"{query.name}: {b}" for plan in plans.values() for b in plan["breaches"]]
            scans = plans["partitioned"]["scans"]
            figures[query.name] = {
                **timed(engines, query, rng),
                "partitions_read": len({s["relation"] for s in scans if s.get("loops")}),
                "plan": plan_lines(scans),
                "buffers": {
                    name: plan["buffers_hit"] + plan["buffers_read"] for name, plan in plans.items()
                },
            }
            if plans["partitioned"]["seq_over_index"]:
                figures[query.name]["seq_over_index"] = plans["partitioned"]["seq_over_index"]
        for each in engines.values():
            each.dispose()
    emit(
        {
            "bench": "partitions",
            "events_each": events,
            "fill_s": fill_s,
            "disk_gb": {
                "partitioned": round(float(disk[1]) / 1024**3, 2),
                "baseline": round(float(disk[0]) / 1024**3, 2),
                "database": round(float(disk[2]) / 1024**3, 2),
            },
            "queries": figures,
            "plan_breaches": breaches,
        }
    )
    if breaches:
        sys.exit(1)


if __name__ == "__main__":
    main()
