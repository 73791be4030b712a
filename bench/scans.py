"""Scans per second through ``POST /api/scans``, against a bare persist of the same rows.

A waitress server (8 threads, as ``courier web`` runs) serves the real application in a child
process. Couriers post batches of 50 authenticated scans, each courier on its own keep-alive
connection and its own consignments, every scan taking an envelope one hop further with every
domain effect (scan record, custody event, state, plans, manifests, receipts).

The baseline is the floor of the same work: an endpoint added to the same application in this
child only, behind the same token check, that verifies the codes, finds the consignments and
places, asks the state machine for the next state and writes the same scan, custody and state
rows with SQLAlchemy Core, one statement a table, in the request's transaction. Ours and the
baseline are interleaved batch by batch (ABAB…, the first alternating), on consignments of their
own, with one courier and then with eight at once. Figures: scans per second for both, and
their ratio.

Run: ``python -m bench.scans`` (``--quick`` for a short run); the last line is JSON.
``COURIER_BENCH_DATABASE_URL`` points it at an empty PostgreSQL database instead of SQLite.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from bench.harness import emit, scratch_database
from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from firmware_bridge.broker import free_port, wait_listening
from services.bootstrap import build_bus

BATCH = 50
KINDS = ("deposit", "collect", "load", "unload", "sort")
PLACES = {"deposit": "NH-LOCKER-1", "collect": "NH-LOCKER-1", "load": "NH-SHUTTLE",
          "unload": "XL-SHUTTLE", "sort": "XL-HALL"}  # fmt: skip
LABEL_KEY = "bench-label-key"
PASSWORD = "demo1234"
CROWD = 8
#: Consignments a side sends through its hops, untimed, before any figure is taken (the first
#: requests load the timetable, fill caches and open connections).
WARM_UP = 20


def bare_persist(session: Any, courier_id: int, raw: list[dict[str, Any]], key: str) -> list[bool]:
    """The scans' own rows and nothing else: scan records, custody events, new states."""
    from sqlalchemy import bindparam, insert, select, update

    from catalog.models import Department, Location
    from core import clock, codes
    from courier.models import Consignment, CustodyEvent, ScanRecord, Source
    from courier.states import SCAN_KINDS, Refusal, Situation, next_state

    connection = session.connection()
    verified = {}
    for scan in raw:
        try:
            verified[scan["id"]] = codes.verify(scan["code"], key)
        except codes.ForgedCode:
            verified[scan["id"]] = None
    rows = {
        row.tracking_code: row
        for row in connection.execute(
            select(
                Consignment.id,
                Consignment.tracking_code,
                Consignment.state,
                Consignment.leg,
                Consignment.origin_campus_id,
                Department.campus_id.label("department_campus"),
                Consignment.pickup_campus_id,
                Consignment.current_campus_id,
                Consignment.transfer_campus_id,
            )
            .join(Department, Department.id == Consignment.department_id)
            .where(Consignment.tracking_code.in_([c for c in verified.values() if c]))
            .with_for_update(of=Consignment.__table__)
        )
    }
    places = {
        row.code: row
        for row in connection.execute(
            select(Location.id, Location.code, Location.campus_id).where(
                Location.code.in_({scan["location"] for scan in raw})
            )
        )
    }
    now = clock.now()
    records, events, states, answers = [], [], [], []
    for scan in raw:
        row, place = rows.get(verified[scan["id"]] or ""), places.get(scan["location"])
        state = None
        if row is not None and place is not None:
            situation = Situation(
                state=row.state, leg=row.leg, origin_campus=row.origin_campus_id,
                department_campus=row.department_campus, pickup_campus=row.pickup_campus_id,
                current_campus=row.current_campus_id, event_campus=place.campus_id,
                transfer_campus=row.transfer_campus_id,
            )  # fmt: skip
            after = next_state(SCAN_KINDS[scan["kind"]], situation)
            state = None if isinstance(after, Refusal) else after
        records.append(
            {"scan_id": scan["id"], "user_id": courier_id, "code_text": scan["code"],
             "kind": scan["kind"], "location_code": scan["location"], "scanned_at": now,
             "consignment_id": row.id if row else None, "ok": state is not None,
             "state": state, "reason_params": {}, "created_at": now}
        )  # fmt: skip
        answers.append(state is not None)
        if state is None:
            continue
        events.append(
            {"consignment_id": row.id, "kind": SCAN_KINDS[scan["kind"]], "device_at": now,
             "server_at": now, "actor_id": courier_id, "location_id": place.id,
             "campus_id": place.campus_id, "device": "scanner:bench", "source": Source.SCAN,
             "idempotency_key": f"scan:{scan['id']}", "notes": "", "state_after": state,
             "late": False}
        )  # fmt: skip
        states.append({"row_id": row.id, "new_state": state, "campus": place.campus_id, "now": now})
    connection.execute(insert(ScanRecord.__table__), records)
    if events:
        connection.execute(insert(CustodyEvent.__table__), events)
        table = Consignment.__table__
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                state=bindparam("new_state"),
                state_since=bindparam("now"),
                last_event_at=bindparam("now"),
                current_campus_id=bindparam("campus"),
            ),
            states,
        )
    return answers


def serve(url: str, port: int) -> None:
    """The child process: the real app plus the bare-persist endpoint, on waitress."""
    from flask import jsonify, request
    from waitress import serve as waitress_serve

    from core.users import Role
    from web.app import create_app, csrf
    from web.auth import current_user, roles_required
    from web.db import db

    settings = Settings(
        database_url=url, mqtt_url=None, secret_key="b", label_key=LABEL_KEY, code_key="c"
    )
    app = create_app(settings)

    @roles_required(Role.COURIER)
    def bare() -> Any:
        answers = bare_persist(db(), current_user().id, request.get_json()["scans"], LABEL_KEY)
        return jsonify({"results": [{"ok": ok} for ok in answers]})

    app.add_url_rule("/api/bench/bare", "bench_bare", csrf.exempt(bare), methods=["POST"])
    waitress_serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def populate(url: str, couriers: int, count: int) -> list[list[str]]:
    """Demo catalog and users, ``couriers`` courier logins, and ``count`` consignments from Nanhu
    to a Xiling department for each."""
    from core.users import Role, create_user
    from web.demo import seed_demo

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
        for n in range(2, couriers + 1):
            create_user(session, f"courier{n}", PASSWORD, f"Courier {n}", {Role.COURIER})
        shares = [submitted(session, count) for _ in range(couriers)]
    engine.dispose()
    return shares


def populate_more(url: str, count: int) -> list[str]:
    """``count`` more consignments in a populated database."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        codes = submitted(session, count)
    engine.dispose()
    return codes


def submitted(session: Any, count: int) -> list[str]:
    """``count`` consignments from Nanhu to a Xiling department, planned as on submission."""
    from sqlalchemy import select

    from core.users import User
    from courier.consignments import NewConsignment, create_consignment
    from routes.plans import replan

    teacher = session.scalar(select(User).where(User.login == "teacher"))
    codes = []
    for _ in range(count):
        request = NewConsignment(service_item="SCI-002", origin_campus="NH")
        consignment = create_consignment(session, teacher, request, LABEL_KEY)
        # Planned at submission, as the web and the API do.
        replan(session, consignment)
        codes.append(consignment.tracking_code)
    return codes


def post(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> Any:
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None


def batches(codes: list[str]) -> list[bytes]:
    """Every consignment through five hops, fifty scans a request."""
    bodies = []
    for kind in KINDS:
        for start in range(0, len(codes), BATCH):
            scans = [
                {"id": str(uuid.uuid4()), "code": code, "kind": kind, "location": PLACES[kind]}
                for code in codes[start : start + BATCH]
            ]
            bodies.append(json.dumps({"scans": scans}).encode())
    return bodies


@dataclass
class Courier:
    """One courier's connection, token and the batches of both sides."""

    connection: http.client.HTTPConnection
    headers: dict[str, str]
    bodies: dict[str, list[bytes]]
    #: Scans a side sends in all.
    scans: int
    refused: dict[str, int] = field(default_factory=lambda: {"ours": 0, "bare": 0})
    #: Batches the server failed (5xx: SQLite's busy timeout running out, say).
    failed: dict[str, int] = field(default_factory=lambda: {"ours": 0, "bare": 0})

    def send(self, side: str, index: int) -> None:
        path = "/api/scans" if side == "ours" else "/api/bench/bare"
        self.connection.request("POST", path, body=self.bodies[side][index], headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 500:
            self.failed[side] += 1
            return
        if response.status >= 400:
            raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
        self.refused[side] += sum(not r["ok"] for r in json.loads(data)["results"])


def log_in(port: int, login: str, ours: list[str], bare: list[str]) -> Courier:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    token = post(
        connection,
        "/api/auth/token",
        json.dumps({"login": login, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )["token"]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    bodies = {"ours": batches(ours), "bare": batches(bare)}
    return Courier(connection, headers, bodies, len(KINDS) * len(ours))


def race(couriers: list[Courier]) -> dict[str, Any]:
    """Round by round, every courier sends one batch of a side at once, then of the other (the
    first side alternating); wall seconds of each side summed."""
    seconds = {"ours": 0.0, "bare": 0.0}
    rounds = len(couriers[0].bodies["ours"])
    with ThreadPoolExecutor(len(couriers)) as pool:
        for index in range(rounds):
            for side in ("ours", "bare") if index % 2 == 0 else ("bare", "ours"):
                start = time.perf_counter()
                list(pool.map(Courier.send, couriers, repeat(side), repeat(index)))
                seconds[side] += time.perf_counter() - start
    scans = sum(courier.scans for courier in couriers)
    failed = {side: sum(c.failed[side] for c in couriers) for side in seconds}
    refused = {side: sum(c.refused[side] for c in couriers) for side in seconds}
    if any(refused.values()) and not any(failed.values()):
        raise RuntimeError(f"scans refused: {refused}")
    return {
        # A failed batch leaves its envelopes behind: their later scans are refused as out of
        # order. Both are reported, not hidden.
        "failed_batches": failed["ours"],
        "bare_failed_batches": failed["bare"],
        "refused_scans": refused["ours"],
        "bare_refused_scans": refused["bare"],
        "scans": scans,
        "scans_per_second": round(scans / seconds["ours"]),
        "bare_scans_per_second": round(scans / seconds["bare"]),
        "ratio_of_bare": round(seconds["bare"] / seconds["ours"], 3),
        "ms_per_batch": round(seconds["ours"] / rounds * 1000, 2),
        "bare_ms_per_batch": round(seconds["bare"] / rounds * 1000, 2),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    # Consignments a side in the one-courier phase; a crowd member gets an eighth of as many.
    count = 80 if quick else 800
    per_crowd_member = count // CROWD
    with scratch_database() as url:
        print(f"creating {4 * count} consignments ...", file=sys.stderr)
        # Each courier owns: its one-courier share (courier 1 only) and crowd shares, both sides.
        shares = populate(url, CROWD, (2 * count) // CROWD + 2 * per_crowd_member)
        warm_up = populate_more(url, 2 * WARM_UP)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", f"from bench.scans import serve; serve({url!r}, {port})"],
            env={**os.environ},
        )
        try:
            wait_listening(port, seconds=60)
            # The one-courier phase takes its 2 x count codes from every share's head.
            solo_codes = [code for share in shares for code in share[: (2 * count) // CROWD]]
            warm = log_in(port, "courier", warm_up[:WARM_UP], warm_up[WARM_UP:])
            for index in range(len(warm.bodies["ours"])):
                warm.send("ours", index)
                warm.send("bare", index)
            warm.connection.close()
            solo = log_in(port, "courier", solo_codes[:count], solo_codes[count:])
            one = race([solo])
            solo.connection.close()
            crowd = []
            for n, share in enumerate(shares, start=1):
                rest = share[(2 * count) // CROWD :]
                login = "courier" if n == 1 else f"courier{n}"
                crowd.append(log_in(port, login, rest[:per_crowd_member], rest[per_crowd_member:]))
            eight = race(crowd)
            for courier in crowd:
                courier.connection.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    emit(
        {
            "benchmark": "scans",
            "database": url.split(":", 1)[0],
            "batch": BATCH,
            "one_courier": one,
            "eight_couriers": eight,
            "scans_per_second": one["scans_per_second"],
            "ratio_of_bare": one["ratio_of_bare"],
        }
    )


if __name__ == "__main__":
    main()
