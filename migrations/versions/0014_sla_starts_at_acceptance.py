"""sla starts at acceptance: per item, when the time limit starts; when each clock started

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_starts",
                sa.String(length=12),
                server_default="accepted",
                nullable=False,
            )
        )
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_started_at", sa.DateTime(), nullable=True))
    # Clocks already running started at submission, as they did then.
    op.execute("UPDATE consignments SET sla_started_at = created_at WHERE sla_phase <> 'waiting'")


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_column("sla_started_at")
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.drop_column("sla_starts")
