"""The migrations build exactly the schema the models describe, and can be undone."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

import migrations
from core.db import make_engine
from migrations.metadata import include_object, target_metadata
from tests import factories
from tests.databases import fresh_database


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
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


def test_desk_codes_hashed_with_a_salt_are_retired_by_the_keyed_codes_migration(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            consignment = factories.consignment(session)
            session.commit()
            consignment_id = consignment.id
        config = migrations.alembic_config(url)
        command.downgrade(config, "0018")
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE consignments SET desk_code_salt = 'ab', desk_code_hash = :h"),
                {"h": "0" * 64},
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT desk_code_hash FROM consignments WHERE id = :id"),
                {"id": consignment_id},
            ).scalar_one()
        engine.dispose()
        assert kept is None
