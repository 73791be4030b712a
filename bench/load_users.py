"""The load generator of :mod:`bench.load`: Locust users of every kind, run headless.

Run by :mod:`bench.load` in a process of its own (Locust patches the standard library with
gevent on import). ``python -m bench.load_users HOST USERS SECONDS CODES_FILE PUSH_URL`` prints
one JSON object of figures as its last line.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time
import uuid
from pathlib import Path

import locust  # noqa: F401  (first: gevent patches the standard library on import)
from locust import HttpUser, between, task
from locust.env import Environment
from locust.stats import StatsEntry

CODES: list[str] = []
#: Where display boards read their streams: the push server (``courier push``).
PUSH: list[str] = []
SEARCHES = ["证明", "成绩单", "报销", "合同", "学位", "档案", "在职", "出国"]
ITEMS = ["SCI-002", "ACAD-001", "HR-001", "FIN-001"]
SCAN_KINDS = ("load", "unload", "sort")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_addresses = itertools.count(1)


def _address() -> str:
    """Each simulated person behind the proxy has an address of their own."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


class Person(HttpUser):
    abstract = True
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.client.headers["X-Forwarded-For"] = _address()
        self.client.headers["Accept-Language"] = "zh-CN"


class Visitor(Person):
    """Reads the service guide and follows envelopes on their tracking pages."""

    weight = 10

    @task(3)
    def search(self) -> None:
        self.client.get(f"/catalog/?q={random.choice(SEARCHES)}", name="/catalog/?q=")

    @task(2)
    def item(self) -> None:
        code = random.choice(ITEMS)
        self.client.get(f"/api/catalog/items/{code}", name="/api/catalog/items/<code>")

    @task(5)
    def tracking(self) -> None:
        self.client.get(f"/t/{random.choice(CODES)}", name="/t/<code>")


class Courier(Person):
    """Sends batches of ten scans from the phone app."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        answer = self.client.post(
            "/api/auth/token", json={"login": "courier", "password": "demo1234"}
        )
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    @task
    def scan_batch(self) -> None:
        kind = random.choice(SCAN_KINDS)
        scans = [
            {"id": str(uuid.uuid4()), "code": code, "kind": kind, "location": "NH-SHUTTLE"}
            for code in random.sample(CODES, 10)
        ]
        self.client.post("/api/scans", json={"scans": scans}, name="/api/scans")


class Kiosk(Person):
    """Takes a number in the hall, then looks at it."""

    weight = 2

    @task
    def take(self) -> None:
        self.client.headers["X-Forwarded-For"] = _address()
        with self.client.post(
            "/api/tickets", json={"category": "A"}, name="/api/tickets", catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code} {answer.text[:120]}")
                return
        self.client.get(f"/api/tickets/{answer.json()['id']}", name="/api/tickets/<id>")


class Window(Person):
    """Hall staff at window 1: call the next number, serve, finish."""

    weight = 1
    fixed_count = 2

    def on_start(self) -> None:
        super().on_start()
        page = self.client.get("/login")
        token = CSRF.search(page.text)
        self.client.post(
            "/login",
            data={"login": "hall", "password": "demo1234", "csrf_token": token[1] if token else ""},
        )
        self.token = CSRF.search(self.client.get("/hall/windows/1").text)

    @task
    def serve(self) -> None:
        data = {"csrf_token": self.token[1] if self.token else ""}
        for action in ("call-next", "start", "finish"):
            self.client.post(
                f"/hall/windows/1/{action}", data=data, name=f"/hall/windows/1/{action}"
            )


class Display(Person):
    """A hall display board holding its event stream as long as the server keeps it open."""

    weight = 1
    fixed_count = 20
    wait_time = between(0.5, 1.0)

    @task
    def stream(self) -> None:
        with self.client.get(
            f"{PUSH[0]}/hall/display/stream",
            stream=True,
            name="/hall/display/stream",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"stream refused: {response.status_code} {response.text[:80]}")
                return
            for _ in response.iter_content(chunk_size=None):
                pass
            response.success()


def main() -> None:
    host, users, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    CODES.extend(Path(sys.argv[4]).read_text().split())
    PUSH.append(sys.argv[5])
    Display.fixed_count = max(1, users // 10)
    environment = Environment(
        user_classes=[Visitor, Courier, Kiosk, Window, Display], host=host, catch_exceptions=True
    )
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=max(10, users / 5))
    time.sleep(min(10.0, seconds / 3))  # ramp up before measuring
    environment.stats.reset_all()
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    runner.quit()
    total = environment.stats.total
    # Streams last as long as the server keeps them: their count is not a rate of pages.
    pages = StatsEntry(environment.stats, "pages", "")
    for (name, _method), entry in environment.stats.entries.items():
        if "stream" not in name:
            pages.extend(entry)
    failures = {
        f"{error.method} {error.name}: {error.error}"[:160]: error.occurrences
        for error in environment.stats.errors.values()
    }
    print(
        json.dumps(
            {
                "users": users,
                "seconds": round(elapsed, 1),
                "requests": total.num_requests,
                "failures": total.num_failures,
                "req_per_s": round(pages.num_requests / elapsed, 1),
                "p50_ms": pages.get_response_time_percentile(0.5),
                "p95_ms": pages.get_response_time_percentile(0.95),
                "p99_ms": pages.get_response_time_percentile(0.99),
                "streams_opened": total.num_requests - pages.num_requests,
                "errors": failures,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
