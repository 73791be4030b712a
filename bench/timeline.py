"""Timeline lookup latency with 10,000 and with 1,000,000 consignments of 10 events each.

Each lookup is what the tracking page does: verify the code, find the consignment, load its
events with their places and people in order. The same lookups run against both sizes in this
run; the figure to watch is the p99 ratio between them (a lookup that scanned would grow a
hundredfold; an indexed one barely moves).

Run: ``python -m bench.timeline`` (``--quick``: 10,000 against 100,000); the last line is JSON.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any

from sqlalchemy import insert, select

from bench.harness import emit, scratch_database, time_calls
from core import codes
from core.db import make_engine, make_session_factory, unit_of_work
from courier.consignments import find_consignment
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, State
from courier.timeline import timeline
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


def measure(count: int, lookups: int) -> dict[str, Any]:
    with scratch_database() as url:
        print(f"populating {count} consignments ...", file=sys.stderr)
        tracking = populate(url, count)
        engine = make_engine(url)
        rng = random.Random(11)
        sample = [rng.choice(tracking) for _ in range(lookups)]
        with make_session_factory(engine, build_bus())() as session:

            def lookup(code: str) -> None:
                session.expunge_all()
                view = timeline(session, find_consignment(session, code, LABEL_KEY))
                assert len(view.events) == len(EVENTS)

            figures = time_calls([lambda c=c: lookup(c) for c in sample], rounds=1)
        engine.dispose()
    figures["consignments"] = count
    figures["events"] = count * len(EVENTS)
    return figures


def main() -> None:
    large = 100_000 if "--quick" in sys.argv else 1_000_000
    small = measure(10_000, 2000)
    big = measure(large, 2000)
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
