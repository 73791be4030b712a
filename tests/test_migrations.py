"""The migrations build exactly the schema the models describe, and can be undone."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import migrations
from core.db import make_engine
from migrations.metadata import target_metadata
from tests.databases import fresh_database


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, target_metadata) == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path):
    with fresh_database(tmp_path) as url:
        config = migrations.alembic_config(url)
        command.downgrade(config, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert "service_items" in inspect(engine).get_table_names()
        engine.dispose()


def test_the_holiday_table_is_seeded_by_the_migrations(session):
    from core.workdays import known_years

    assert {2024, 2025, 2026} <= {year.year for year in known_years(session)}
