"""sequence generations: a replaced controller's seqs start afresh; one open alert per cause

Revision ID: 0018_sequence_generations
Revises: 0017
Create Date: 2026-12-01 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("acknowledged_at IS NULL")


def _generation() -> sa.Column[int]:
    # Every row stored so far belongs to each controller's first generation.
    return sa.Column("generation", sa.Integer(), nullable=False, server_default="1")


def upgrade() -> None:
    with op.batch_alter_table("controller_sequences") as batch:
        batch.add_column(_generation())
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(_generation())
    with op.batch_alter_table("device_events") as batch:
        batch.add_column(_generation())
        batch.drop_constraint("uq_device_events_controller_seq", type_="unique")
        batch.create_unique_constraint(
            "uq_device_events_controller_generation_seq", ["controller", "generation", "seq"]
        )
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_cause", type_="unique")
    op.create_index(
        "uq_alerts_open_cause",
        "alerts",
        ["cause"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_alerts_open_cause", table_name="alerts")
    # Causes repeat once acknowledged: only the latest alert of each keeps its cause.
    op.execute(
        "UPDATE alerts SET cause = NULL WHERE cause IS NOT NULL AND id NOT IN "
        "(SELECT max(id) FROM alerts WHERE cause IS NOT NULL GROUP BY cause)"
    )
    with op.batch_alter_table("alerts") as batch:
        batch.create_unique_constraint("uq_alerts_cause", ["cause"])
    # Later generations' events cannot keep their seqs beside the first's: they go.
    op.execute("DELETE FROM device_events WHERE generation > 1")
    with op.batch_alter_table("device_events") as batch:
        batch.drop_constraint("uq_device_events_controller_generation_seq", type_="unique")
        batch.create_unique_constraint("uq_device_events_controller_seq", ["controller", "seq"])
        batch.drop_column("generation")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("generation")
    with op.batch_alter_table("controller_sequences") as batch:
        batch.drop_column("generation")
