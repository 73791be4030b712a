"""Fresh databases for a test run: a SQLite file, or a new PostgreSQL database per use.

``COURIER_TEST_DATABASE_URL`` names the server to use (a PostgreSQL URL); without it the tests
run on SQLite files under a temporary folder. Every database made here is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import migrations

BASE_URL = os.environ.get("COURIER_TEST_DATABASE_URL", "")


def backend() -> str:
    return "postgresql" if BASE_URL.startswith("postgresql") else "sqlite"


@contextmanager
def fresh_database(tmp_dir: Path, migrate: bool = True) -> Iterator[str]:
    """Yield the URL of a new, empty database (migrated to head unless told otherwise)."""
    name = f"courier_test_{uuid.uuid4().hex[:10]}"
    if backend() == "sqlite":
        url = f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
        if migrate:
            migrations.upgrade(url)
        yield url
        return
    server = make_url(BASE_URL)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            migrations.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
