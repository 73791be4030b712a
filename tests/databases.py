"""Fresh databases for a test run: a SQLite file, or a new PostgreSQL database per use.

``COURIER_TEST_DATABASE_URL`` names the server to use (a PostgreSQL URL); without it the tests
run on SQLite files under a temporary folder. Every database made here is dropped afterwards.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import migrations

BASE_URL = os.environ.get("COURIER_TEST_DATABASE_URL", "")


def backend() -> str:
    return "postgresql" if BASE_URL.startswith("postgresql") else "sqlite"


#: The migrated database every fresh one is copied from, made once per test process: running
#: the whole migration history for each live server, bridge or browser test cost minutes a run.
_templates: dict[str, str] = {}


def _sqlite_template(tmp_dir: Path) -> Path:
    if "sqlite" not in _templates:
        path = tmp_dir / f"courier_template_{uuid.uuid4().hex[:10]}.sqlite3"
        migrations.upgrade(f"sqlite:///{path}")
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


def _copy_sqlite(template: Path, target: Path) -> None:
    # The backup API copies what the write-ahead log holds too, which a file copy would miss.
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()


def _postgres_template(admin: Engine) -> str:
    if "postgresql" not in _templates:
        name = f"courier_template_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        migrations.upgrade(
            make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        )
        _templates["postgresql"] = name
        atexit.register(_drop_postgres_template, name)
    return _templates["postgresql"]


def _drop_postgres_template(name: str) -> None:
    admin = create_engine(make_url(BASE_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def fresh_database(tmp_dir: Path, migrate: bool = True) -> Iterator[str]:
    """Yield the URL of a new, empty database (migrated to head unless told otherwise)."""
    name = f"courier_test_{uuid.uuid4().hex[:10]}"
    if backend() == "sqlite":
        path = tmp_dir / (name + ".sqlite3")
        if migrate:
            _copy_sqlite(_sqlite_template(tmp_dir), path)
        yield f"sqlite:///{path}"
        return
    server = make_url(BASE_URL)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    template = f' TEMPLATE "{_postgres_template(admin)}"' if migrate else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
