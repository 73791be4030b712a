"""dashboard indexes: rides by scan kind and time, results by the time they became ready

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_custody_events_kind_device_at", "custody_events", ["kind", "device_at"], unique=False
    )
    op.create_index(
        "ix_consignments_result_ready_at", "consignments", ["result_ready_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_consignments_result_ready_at", table_name="consignments")
    op.drop_index("ix_custody_events_kind_device_at", table_name="custody_events")
