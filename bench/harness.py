"""Shared benchmark plumbing: a scratch database, timing with percentiles, the JSON last line."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import migrations


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated, empty SQLite database in a temporary folder (or ``COURIER_BENCH_DATABASE_URL``,
    which must point at an empty database the benchmark may fill)."""
    url = os.environ.get("COURIER_BENCH_DATABASE_URL")
    if url:
        migrations.upgrade(url)
        yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        yield url


@contextmanager
def postgres_database(server_url: str, purpose: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url`` (any database of it);
    dropped afterwards."""
    server = make_url(server_url)
    name = f"courier_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 3),
        "p99_ms": round(cuts[98], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "samples": len(ordered),
    }


def time_calls(calls: list[Callable[[], Any]], rounds: int, warmup: int = 1) -> dict[str, float]:
    """Run every call ``rounds`` times (after ``warmup`` untimed rounds); percentiles in ms."""
    for _ in range(warmup):
        for call in calls:
            call()
    samples = []
    for _ in range(rounds):
        for call in calls:
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as the one JSON object on the last line."""
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
