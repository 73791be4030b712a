"""Alembic migrations: the schema history. May import ``core`` and every package's models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

HERE = Path(__file__).parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic configuration that works from a checkout and from an installed package."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    """Bring the database at ``url`` (or on ``connection``) to the newest schema."""
    command.upgrade(alembic_config(url, connection), "head")
