"""200 users at once: the saturated request rate and latency of the whole site.

Locust users of every kind (:mod:`bench.load_users`) mix service-guide searches and item reads,
tracking pages, courier scan batches, anonymous tickets taken at the kiosk, a window calling and
serving numbers, and twenty display boards holding their event streams on the push server
(``courier push`` beside each set-up). Two set-ups, one after the other on fresh data:

- ``default``: ``courier web`` as ``courier run`` serves it (waitress, SQLite in a fresh folder);
- ``gunicorn``: the README's production notes (gunicorn, 4 gthread workers of 32 threads,
  PostgreSQL, throttle counts in Redis, the push server woken by ``NOTIFY``); needs
  ``--postgres URL`` (a server on which a database is created and dropped) or
  ``COURIER_TEST_DATABASE_URL``.

Every person comes from an address of their own (``X-Forwarded-For`` through one proxy hop), as
behind the campus proxy. The reference is TheQ's published 200-user test: 28.5 req/s; the goal is
20 times that at p95 under 1 s with no errors.

Run: ``python -m bench.load [--quick] [--users N] [--seconds S] [--only default|gunicorn]``;
the last line is JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import migrations
from bench.harness import emit, postgres_database
from firmware_bridge.broker import free_port, wait_listening

THEQ_REQ_PER_S = 28.5
CONSIGNMENTS = 200


def environment(url: str, port: int, folder: Path, redis: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "COURIER_DATABASE_URL": url,
        "COURIER_PORT": str(port),
        "COURIER_PUSH_PORT": str(free_port()),
        "COURIER_VAR_DIR": str(folder),
        "COURIER_PROXY_HOPS": "1",
        "COURIER_MQTT_URL": "",
        "COURIER_LOG_LEVEL": "WARNING",
    }
    if redis:
        env["COURIER_THROTTLE_STORAGE"] = "redis://127.0.0.1:6379/15"
    return env


def seed(env: dict[str, str]) -> None:
    migrations.upgrade(env["COURIER_DATABASE_URL"])
    subprocess.run([sys.executable, "-m", "web.cli", "seed-demo"], env=env, check=True)


def submit(port: int, count: int) -> list[str]:
    """``count`` consignments from the demo teacher, through the API."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(path: str, body: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json", "X-Forwarded-For": "10.255.0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{path}: {response.status} {data[:300]!r}")
        return json.loads(data)

    token = post("/api/auth/token", {"login": "teacher", "password": "demo1234"})["token"]
    codes = [
        post("/api/consignments", {"service_item": "SCI-002", "accept_later": True}, token)[
            "tracking_code"
        ]
        for _ in range(count)
    ]
    connection.close()
    return codes


def measure(
    name: str, command: list[str], env: dict[str, str], users: int, seconds: float
) -> dict[str, Any]:
    port, push_port = int(env["COURIER_PORT"]), int(env["COURIER_PUSH_PORT"])
    seed(env)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    push = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "push"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        wait_listening(port, seconds=60)
        wait_listening(push_port, seconds=60)
        codes_file = Path(env["COURIER_VAR_DIR"]) / "codes.txt"
        codes_file.write_text("\n".join(submit(port, CONSIGNMENTS)))
        print(f"{name}: {users} users for {seconds:.0f} s ...", file=sys.stderr)
        generator = subprocess.run(
            [sys.executable, "-m", "bench.load_users", f"http://127.0.0.1:{port}", str(users),
             str(seconds), str(codes_file), f"http://127.0.0.1:{push_port}"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(generator.stdout.strip().splitlines()[-1])
    finally:
        for process in (server, push):
            process.terminate()
            process.wait(30)
    figures["setup"] = name
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--only", choices=("default", "gunicorn"))
    parser.add_argument("--postgres", default=os.environ.get("COURIER_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    users = args.users or (20 if args.quick else 200)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    results = {}
    if args.only in (None, "default"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/courier.sqlite3"
            env = environment(url, free_port(), Path(folder), False)
            results["default"] = measure(
                "default", [sys.executable, "-m", "web.cli", "web"], env, users, seconds
            )
    if args.only in (None, "gunicorn") and args.postgres.startswith("postgresql"):
        with (
            tempfile.TemporaryDirectory() as folder,
            postgres_database(args.postgres, "load") as url,
        ):
            env = environment(url, free_port(), Path(folder), True)
            command = [
                sys.executable, "-m", "gunicorn", "-w", "4", "-k", "gthread", "--threads", "32",
                "-b", f"127.0.0.1:{env['COURIER_PORT']}", "web.app:create_app()",
            ]  # fmt: skip
            results["gunicorn"] = measure("gunicorn", command, env, users, seconds)
    best = max(results.values(), key=lambda figures: figures["req_per_s"])
    flat = {
        f"{name}_{key}": value
        for name, figures in results.items()
        for key, value in figures.items()
        if key not in ("setup", "errors")
    }
    emit(
        {
            "benchmark": "load",
            **flat,
            "errors": {name: figures["errors"] for name, figures in results.items()},
            "theq_req_per_s": THEQ_REQ_PER_S,
            "best_times_theq": round(best["req_per_s"] / THEQ_REQ_PER_S, 1),
        }
    )


if __name__ == "__main__":
    main()
