"""Scans per second through ``POST /api/scans``, against a bare endpoint on the same server.

A waitress server (8 threads, as ``courier web`` runs) serves the real application on a fresh
SQLite database in a child process; this process sends batches of 50 authenticated scans over one
keep-alive connection, every scan persisted (scan record, custody event, new state). The
baseline is the same request body posted to an endpoint, added to the same application, that
does nothing. Figures: scans per second for both, and their ratio.

Run: ``python -m bench.scans`` (``--quick`` for a short run); the last line is JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

from bench.harness import emit, scratch_database
from core.config import Settings
from core.db import make_engine, make_session_factory, unit_of_work
from firmware_bridge.broker import free_port, wait_listening
from services.bootstrap import build_bus

BATCH = 50
KINDS = ("deposit", "collect", "load", "unload", "sort")
LABEL_KEY = "bench-label-key"


def serve(url: str, port: int) -> None:
    """The child process: the real app plus a do-nothing endpoint, on waitress."""
    from waitress import serve as waitress_serve

    from web.app import create_app, csrf
    from web.auth import public

    settings = Settings(
        database_url=url, mqtt_url=None, secret_key="b", label_key=LABEL_KEY, code_key="c"
    )
    app = create_app(settings)

    @public
    def bare() -> tuple[str, int]:
        return "", 204

    app.add_url_rule("/bench/bare", "bench_bare", csrf.exempt(bare), methods=["POST"])
    waitress_serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def populate(url: str, count: int) -> list[str]:
    """Demo catalog and users, and ``count`` consignments from Nanhu to a Xiling department."""
    from courier.consignments import NewConsignment, create_consignment
    from web.demo import seed_demo

    engine = make_engine(url)
    codes = []
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        seed_demo(session, LABEL_KEY)
        from sqlalchemy import select

        from core.users import User
        from routes.plans import replan

        teacher = session.scalar(select(User).where(User.login == "teacher"))
        for _ in range(count):
            request = NewConsignment(service_item="SCI-002", origin_campus="NH")
            consignment = create_consignment(session, teacher, request, LABEL_KEY)
            # Planned at submission, as the web and the API do.
            replan(session, consignment)
            codes.append(consignment.tracking_code)
    engine.dispose()
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
    places = {"deposit": "NH-LOCKER-1", "collect": "NH-LOCKER-1", "load": "NH-SHUTTLE",
              "unload": "XL-SHUTTLE", "sort": "XL-HALL"}  # fmt: skip
    bodies = []
    for kind in KINDS:
        for start in range(0, len(codes), BATCH):
            scans = [
                {"id": str(uuid.uuid4()), "code": code, "kind": kind, "location": places[kind]}
                for code in codes[start : start + BATCH]
            ]
            bodies.append(json.dumps({"scans": scans}).encode())
    return bodies


def main() -> None:
    quick = "--quick" in sys.argv
    count = 500 if quick else 4000
    with scratch_database() as url:
        print(f"creating {count} consignments ...", file=sys.stderr)
        codes = populate(url, count)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", f"from bench.scans import serve; serve({url!r}, {port})"],
            env={**os.environ},
        )
        try:
            wait_listening(port, seconds=30)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            token = post(
                connection,
                "/api/auth/token",
                json.dumps({"login": "courier", "password": "demo1234"}).encode(),
                {"Content-Type": "application/json"},
            )["token"]
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            bodies = batches(codes)

            start = time.perf_counter()
            for body in bodies:
                post(connection, "/bench/bare", body, headers)
            bare_seconds = time.perf_counter() - start

            start = time.perf_counter()
            refused = 0
            for body in bodies:
                results = post(connection, "/api/scans", body, headers)["results"]
                refused += sum(not r["ok"] for r in results)
            scan_seconds = time.perf_counter() - start
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    scans = len(bodies) * BATCH
    emit(
        {
            "benchmark": "scans",
            "database": url.split(":", 1)[0],
            "batch": BATCH,
            "scans": scans,
            "refused": refused,
            "scans_per_second": round(scans / scan_seconds),
            "bare_scans_per_second": round(scans / bare_seconds),
            "ratio_of_bare": round((scans / scan_seconds) / (scans / bare_seconds), 3),
            "ms_per_batch": round(scan_seconds / len(bodies) * 1000, 2),
            "bare_ms_per_batch": round(bare_seconds / len(bodies) * 1000, 2),
        }
    )


if __name__ == "__main__":
    main()
