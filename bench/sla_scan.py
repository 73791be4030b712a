"""The scheduled SLA breach scan over 100,000 open consignments.

The scheduler runs :func:`courier.sla.scan` every minute. This fills a database with 100,000
open consignments (with an agent, due times spread over the coming two weeks, a few hundred
already late) and 100,000 finished ones, then times: the first run (it catches up on everything
already late), and sixty steady runs one simulated minute apart (each writes the handful of
warnings and breaches that fell due in that minute). Time spent in the database is measured at
the DBAPI cursor. The baseline is the scan one would write first: load every open consignment
and compare its times in Python.

Run: ``python -m bench.sla_scan`` (``--quick``: 10,000 of each); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, insert, select

from bench.harness import emit, percentiles, scratch_database
from core import clock, codes
from core.db import make_engine, make_session_factory, unit_of_work
from courier import sla
from courier.models import Consignment
from courier.states import State
from services.bootstrap import build_bus

LABEL_KEY = "bench-label-key"
CHUNK = 20_000
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=clock.SHANGHAI).astimezone(dt.UTC)
INTERVAL_S = 60.0


def populate(url: str, open_count: int) -> None:
    """Demo data, then ``open_count`` open and as many finished consignments."""
    from web.demo import seed_demo

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
        template = session.scalar(select(Consignment).limit(1))
        base = {
            "submitter_id": template.submitter_id,
            "recipient_user_id": template.recipient_user_id,
            "recipient_name": template.recipient_name,
            "service_item_id": template.service_item_id,
            "origin_campus_id": template.origin_campus_id,
            "department_id": template.department_id,
            "pickup_campus_id": template.pickup_campus_id,
            "agent_id": template.submitter_id,
            "leg": "outbound",
            "due_provisional": False,
        }
        first_id = session.scalar(select(Consignment.id).order_by(Consignment.id.desc())) + 1
    rng = random.Random(7)
    issued: set[str] = set()
    with engine.begin() as connection:
        for chunk_start in range(0, 2 * open_count, CHUNK):
            rows = []
            for n in range(chunk_start, min(2 * open_count, chunk_start + CHUNK)):
                code = codes.new_code(LABEL_KEY)
                while code in issued:
                    code = codes.new_code(LABEL_KEY)
                issued.add(code)
                finished = n >= open_count
                created = NOW - dt.timedelta(minutes=rng.randrange(10, 14 * 24 * 60))
                # Most are due in the next two weeks; about 0.5 % are already late.
                due = NOW + dt.timedelta(minutes=rng.randrange(-100, 14 * 24 * 60 * 2))
                due = max(due, created + dt.timedelta(hours=1))
                rows.append(
                    {
                        **base,
                        "id": first_id + n,
                        "tracking_code": code,
                        "state": State.PICKED_UP if finished else State.AT_DEPARTMENT,
                        "state_since": created,
                        "last_event_at": created,
                        "created_at": created,
                        "accepted_at": created,
                        "due_at": due,
                        "sla_warn_at": sla.warn_at(created, due),
                        "sla_phase": sla.DONE if finished else sla.RUNNING,
                        "sla_paused_seconds": 0,
                    }
                )
            connection.execute(insert(Consignment), rows)
            print(f"  {chunk_start + len(rows)} / {2 * open_count}", file=sys.stderr)
    engine.dispose()


class CursorTimer:
    """Seconds spent inside the DBAPI's ``execute`` calls."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, cursor: Any, *_args: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, _conn: Any, cursor: Any, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    with clock.frozen(moment):
        yield


def naive_scan(session: Any) -> int:
    """Every open consignment loaded and its times compared in Python."""
    now = clock.now()
    late = 0
    for consignment in session.scalars(
        select(Consignment).where(Consignment.state.in_([State.AT_DEPARTMENT, State.WITH_AGENT]))
    ):
        late += sla.colour(consignment, now) in (sla.Colour.RED, sla.Colour.AMBER)
    return late


def main() -> None:
    open_count = 10_000 if "--quick" in sys.argv else 100_000
    with scratch_database() as url:
        populate(url, open_count)
        engine = make_engine(url)
        sessions = make_session_factory(engine, build_bus())
        timer = CursorTimer(engine)

        def timed_run(moment: dt.datetime, scan: Any) -> tuple[float, float, Any]:
            timer.seconds = 0.0
            with at(moment), sessions() as session, session.begin():
                start = time.perf_counter()
                result = scan(session)
                total = time.perf_counter() - start
            return total, timer.seconds, result

        catch_up_s, catch_up_db_s, catch_up = timed_run(NOW, sla.scan)
        steady, db_share, alerts = [], [], 0
        for minute in range(1, 61):
            total, in_db, result = timed_run(NOW + dt.timedelta(minutes=minute), sla.scan)
            steady.append(total * 1000)
            db_share.append(in_db / total)
            alerts += result.warnings + result.breaches
        naive = [
            timed_run(NOW + dt.timedelta(minutes=61 + n), naive_scan)[0] * 1000 for n in range(5)
        ]
        engine.dispose()
    figures = percentiles(steady)
    emit(
        {
            "open_consignments": open_count,
            "finished_consignments": open_count,
            "catch_up_run_ms": round(catch_up_s * 1000, 1),
            "catch_up_alerts": catch_up.warnings + catch_up.breaches,
            "catch_up_db_share": round(catch_up_db_s / catch_up_s, 3),
            "run_p50_ms": figures["p50_ms"],
            "run_p99_ms": figures["p99_ms"],
            "runs": len(steady),
            "alerts_per_run": round(alerts / len(steady), 1),
            "db_share": round(sum(db_share) / len(db_share), 3),
            "interval_ms": INTERVAL_S * 1000,
            "share_of_interval_p99": round(figures["p99_ms"] / (INTERVAL_S * 1000), 5),
            "baseline_full_load_ms": round(sorted(naive)[len(naive) // 2], 1),
            "speedup_vs_baseline": round(sorted(naive)[len(naive) // 2] / figures["p50_ms"], 1),
        }
    )


if __name__ == "__main__":
    main()
