"""The tracking page ``/t/<code>`` with 10,000 and with 1,000,000 consignments of 10 events each.

Each request is the whole page through the application (Flask's test client, no server): verify
the code, find the consignment, its timeline with places and people, its route plan and ETA
history, the template. The baseline is the floor of showing the same events: one query joining
the consignment to its events in order, rendered by a minimal template. The two are interleaved
request by request (the first alternating). Both sizes are asked about their first 10,000
consignments; the figures to watch are ours against the baseline, and the p99 ratio between the
sizes (a lookup that scanned would grow a hundredfold; an indexed one barely moves).

Run: ``python -m bench.timeline`` (``--quick``: 10,000 against 100,000); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from typing import Any

from jinja2 import Environment
from sqlalchemy import Engine, insert, select

from bench.harness import emit, percentiles, scratch_database
from core import codes
from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, State
from services.bootstrap import build_bus

LABEL_KEY = "bench-label-key"
EVENTS = [
    (Kind.CREATED, State.CREATED),
    (Kind.DEPOSITED, State.DEPOSITED),
    (Kind.COLLECTED, State.COLLECTED),
    (Kind.LOADED, State.IN_TRANSIT),
    (Kind.UNLOADED, State.ARRIVED),
    (Kind.SORTED, State.SORTED),
    (Kind.AGENT_ACCEPTED, State.WITH_AGENT),
    (Kind.RESULT_READY, State.RESULT_READY),
    (Kind.LOADED, State.RETURN_IN_TRANSIT),
    (Kind.UNLOADED, State.RETURN_ARRIVED),
]
CHUNK = 20_000
MINIMAL = Environment(autoescape=True).from_string(
    "<!doctype html><title>{{ code }}</title><h1>{{ code }}: {{ state }}</h1><ol>"
    "{% for e in events %}<li>{{ e.device_at }} {{ e.kind }} → {{ e.state_after }}</li>"
    "{% endfor %}</ol>"
)


def populate(url: str, count: int) -> list[str]:
    """The demo catalog and users, then ``count`` consignments with ten events each."""
    from core.users import User
    from web.demo import seed_demo

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
        courier = session.scalar(select(User.id).where(User.login == "courier"))
        template = session.scalar(select(Consignment).limit(1))
        base = {
            "submitter_id": template.submitter_id,
            "recipient_user_id": template.recipient_user_id,
            "recipient_name": template.recipient_name,
            "recipient_phone": template.recipient_phone,
            "service_item_id": template.service_item_id,
            "origin_campus_id": template.origin_campus_id,
            "department_id": template.department_id,
            "pickup_campus_id": template.pickup_campus_id,
            "current_campus_id": template.pickup_campus_id,
            "pages": 1,
            "documents": 1,
            "contains_originals": False,
            "materials_checked": [],
            "priority": "normal",
            "due_provisional": False,
            "leg": "return",
            "damaged": False,
        }
        first_id = session.scalar(select(Consignment.id).order_by(Consignment.id.desc())) + 1
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    tracking: list[str] = []
    issued: set[str] = set()
    with engine.begin() as connection:
        for chunk_start in range(0, count, CHUNK):
            consignments, events = [], []
            for n in range(chunk_start, min(count, chunk_start + CHUNK)):
                ident = first_id + n
                code = codes.new_code(LABEL_KEY)
                while code in issued:  # 40-bit ids: a million of them meet a twin now and then
                    code = codes.new_code(LABEL_KEY)
                issued.add(code)
                tracking.append(code)
                at = start + dt.timedelta(minutes=n)
                consignments.append(
                    {
                        **base,
                        "id": ident,
                        "tracking_code": code,
                        "due_at": at,
                        "state": State.RETURN_ARRIVED,
                        "state_since": at,
                        "last_event_at": at,
                        "created_at": at,
                    }
                )
                events += [
                    {
                        "consignment_id": ident,
                        "kind": kind,
                        "device_at": at + dt.timedelta(hours=h),
                        "server_at": at + dt.timedelta(hours=h),
                        "actor_id": courier,
                        "source": "scan",
                        "idempotency_key": f"bench:{ident}:{h}",
                        "notes": "",
                        "state_after": state,
                        "late": False,
                    }
                    for h, (kind, state) in enumerate(EVENTS)
                ]
            connection.execute(insert(Consignment), consignments)
            connection.execute(insert(CustodyEvent), events)
            print(f"  {min(count, chunk_start + CHUNK)} / {count}", file=sys.stderr)
    engine.dispose()
    return tracking


def bare_page(engine: Engine, code: str) -> str:
    """The floor: verify the code, one joined query, a minimal template."""
    verified = codes.verify(code, LABEL_KEY)
    with engine.connect() as connection:
        events = connection.execute(
            select(
                Consignment.state,
                CustodyEvent.kind,
                CustodyEvent.device_at,
                CustodyEvent.state_after,
            )
            .join(CustodyEvent, CustodyEvent.consignment_id == Consignment.id)
            .where(Consignment.tracking_code == verified)
            .order_by(CustodyEvent.device_at, CustodyEvent.id)
        ).all()
    return MINIMAL.render(code=code, state=events[-1].state, events=events)


def measure(count: int, sample_codes: int, lookups: int) -> dict[str, Any]:
    with scratch_database() as url:
        print(f"populating {count} consignments ...", file=sys.stderr)
        tracking = populate(url, count)
        from web.app import create_app

        app = create_app(
            Settings(
                database_url=url, mqtt_url=None, secret_key="b", label_key=LABEL_KEY, code_key="c"
            )
        )
        client = app.test_client()
        engine = make_engine(url)
        rng = random.Random(11)
        sample = [rng.choice(tracking[:sample_codes]) for _ in range(lookups)]

        def page(code: str) -> float:
            start = time.perf_counter()
            response = client.get(f"/t/{code}")
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.status_code
            return elapsed

        def bare(code: str) -> float:
            start = time.perf_counter()
            html = bare_page(engine, code)
            elapsed = time.perf_counter() - start
            assert html.count("<li>") == len(EVENTS)
            return elapsed

        page(sample[0]), bare(sample[0])
        ours, floor = [], []
        for n, code in enumerate(sample):
            if n % 2:
                floor.append(bare(code) * 1000)
                ours.append(page(code) * 1000)
            else:
                ours.append(page(code) * 1000)
                floor.append(bare(code) * 1000)
        engine.dispose()
    figures = percentiles(ours)
    baseline = percentiles(floor)
    figures["baseline_p50_ms"] = baseline["p50_ms"]
    figures["baseline_p99_ms"] = baseline["p99_ms"]
    figures["ratio_of_baseline_p50"] = round(baseline["p50_ms"] / figures["p50_ms"], 3)
    figures["consignments"] = count
    figures["events"] = count * len(EVENTS)
    return figures


def main() -> None:
    quick = "--quick" in sys.argv
    large = 100_000 if quick else 1_000_000
    lookups = 200 if quick else 1000
    # Both sizes are asked about their first 10,000 consignments, in the same random order.
    small = measure(10_000, 10_000, lookups)
    big = measure(large, 10_000, lookups)
    emit(
        {
            "benchmark": "timeline",
            "small": small,
            "large": big,
            "p50_ratio": round(big["p50_ms"] / small["p50_ms"], 3),
            "p99_ratio": round(big["p99_ms"] / small["p99_ms"], 3),
        }
    )


if __name__ == "__main__":
    main()
