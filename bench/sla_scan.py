"""The scheduled SLA breach scan over 100,000 open consignments, as ``courier scheduler`` runs it.

The scheduler runs :func:`courier.sla.scan` every minute through :func:`core.jobs.run_once`: its
own transaction and job lock, the commit, and the handlers :func:`services.bootstrap.build_bus`
subscribes (the clerks' notices). This fills a database with 100,000 open consignments (with an
agent, due times spread over the coming two weeks, a few hundred already late) and 100,000
finished ones, then times the first run (it catches up on everything already late) and sixty
steady runs one simulated minute apart (each writes the handful of warnings and breaches that
fell due in that minute), all of it: job, commit and handlers.

The baseline is the floor of finding the same alerts: ONE SQL statement that selects what fell
due since the previous run, with its level, in its own committed transaction. The two are
interleaved minute by minute (the first alternating), and each run's alerts are asserted to be
the baseline's set.

Run: ``python -m bench.sla_scan`` (``--quick``: 10,000 of each); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, insert, literal, or_, select
from sqlalchemy.orm import Session

from bench.harness import emit, percentiles, scratch_database
from core import clock, codes
from core.db import make_engine, make_session_factory, unit_of_work
from core.jobs import run_once
from courier import sla
from courier.jobs import JOBS
from courier.models import Consignment, SlaAlert
from courier.states import State
from services.bootstrap import build_bus

LABEL_KEY = "bench-label-key"
CHUNK = 20_000
NOW = dt.datetime(2026, 11, 17, 9, 30, tzinfo=clock.SHANGHAI).astimezone(dt.UTC)
#: Before any due time: the catch-up run's window starts here.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
INTERVAL_S = 60.0
JOB = next(job for job in JOBS if job.id == "courier.sla_scan")

Alerts = set[tuple[int, str]]


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


def one_statement(session: Session, since: dt.datetime) -> Alerts:
    """The alerts that fell due in (``since``, now]: breaches of what came due (before now) since
    the last run, warnings of what reached its warning time and is not yet due; paused and
    finished clocks left out."""
    now = clock.now()
    c = Consignment
    came_due = (c.due_at >= since) & (c.due_at < now)
    rows = session.execute(
        select(
            c.id,
            case((c.due_at < now, literal(sla.BREACH.value)), else_=literal(sla.WARNING.value)),
        ).where(
            c.sla_paused_since.is_(None),
            c.sla_phase.in_((sla.RUNNING, sla.WARNING, sla.BREACH)),
            or_(came_due, (c.sla_warn_at > since) & (c.sla_warn_at <= now) & (c.due_at >= now)),
        )
    ).all()
    return {(row[0], row[1]) for row in rows}


def written_at(session: Session, moment: dt.datetime) -> Alerts:
    """The alerts the scan wrote at ``moment``."""
    rows = session.execute(
        select(SlaAlert.consignment_id, SlaAlert.level).where(SlaAlert.created_at == moment)
    )
    return {(row[0], sla.Level(row[1]).value) for row in rows}


def main() -> None:
    open_count = 10_000 if "--quick" in sys.argv else 100_000
    with scratch_database() as url:
        populate(url, open_count)
        engine = make_engine(url)
        sessions = make_session_factory(engine, build_bus())

        def ours(moment: dt.datetime) -> float:
            with clock.frozen(moment):
                start = time.perf_counter()
                run_once(sessions, JOB)
                return time.perf_counter() - start

        def baseline(moment: dt.datetime, since: dt.datetime) -> tuple[float, Alerts]:
            with clock.frozen(moment):
                start = time.perf_counter()
                with unit_of_work(sessions) as session:
                    alerts = one_statement(session, since)
                return time.perf_counter() - start, alerts

        def both(minute: int, since: dt.datetime) -> tuple[float, float, int]:
            moment = NOW + dt.timedelta(minutes=minute)
            runs: list[Callable[[], Any]] = [
                lambda: ours(moment),
                lambda: baseline(moment, since),
            ]
            first, second = runs if minute % 2 == 0 else runs[::-1]
            results = [first(), second()]
            ours_s, (baseline_s, expected) = results if minute % 2 == 0 else results[::-1]
            with sessions() as session:
                got = written_at(session, moment)
            if got != expected:
                raise AssertionError(
                    f"minute {minute}: {len(got)} alerts, one statement {len(expected)}"
                )
            return ours_s, baseline_s, len(got)

        catch_up_s, catch_up_baseline_s, catch_up = both(0, EPOCH)
        steady, steady_baseline, alerts = [], [], 0
        for minute in range(1, 61):
            ours_s, baseline_s, count = both(minute, NOW + dt.timedelta(minutes=minute - 1))
            steady.append(ours_s * 1000)
            steady_baseline.append(baseline_s * 1000)
            alerts += count
        engine.dispose()
    figures, floor = percentiles(steady), percentiles(steady_baseline)
    emit(
        {
            "benchmark": "sla_scan",
            "open_consignments": open_count,
            "finished_consignments": open_count,
            "catch_up_run_ms": round(catch_up_s * 1000, 1),
            "catch_up_baseline_ms": round(catch_up_baseline_s * 1000, 1),
            "catch_up_alerts": catch_up,
            "run_p50_ms": figures["p50_ms"],
            "run_p99_ms": figures["p99_ms"],
            "baseline_p50_ms": floor["p50_ms"],
            "baseline_p99_ms": floor["p99_ms"],
            "ratio_of_baseline_p50": round(floor["p50_ms"] / figures["p50_ms"], 3),
            "ratio_of_baseline_catch_up": round(catch_up_baseline_s / catch_up_s, 3),
            "runs": len(steady),
            "alerts_per_run": round(alerts / len(steady), 1),
            "interval_ms": INTERVAL_S * 1000,
            "share_of_interval_p99": round(figures["p99_ms"] / (INTERVAL_S * 1000), 5),
        }
    )


if __name__ == "__main__":
    main()
