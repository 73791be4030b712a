"""the bus box in the flow: manifest items seen by the box, alerts addressed to a place

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("acknowledged_at IS NULL")


def _open_cause_index() -> None:
    op.create_index(
        "uq_alerts_open_cause",
        "alerts",
        ["cause"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def upgrade() -> None:
    with op.batch_alter_table("route_manifest_items") as batch:
        batch.add_column(sa.Column("box_seen_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("box_missing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # SQLite rebuilds the table in batch mode and would not keep the index's WHERE clause:
    # the partial index is dropped first and made again afterwards.
    op.drop_index("uq_alerts_open_cause", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_alerts_location_id_locations"), "locations", ["location_id"], ["id"]
        )
        batch.create_index(batch.f("ix_alerts_location_id"), ["location_id"], unique=False)
    _open_cause_index()


def downgrade() -> None:
    op.drop_index("uq_alerts_open_cause", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index(batch.f("ix_alerts_location_id"))
        batch.drop_constraint(batch.f("fk_alerts_location_id_locations"), type_="foreignkey")
        batch.drop_column("location_id")
    _open_cause_index()
    with op.batch_alter_table("route_manifest_items") as batch:
        batch.drop_column("box_missing")
        batch.drop_column("box_seen_at")
