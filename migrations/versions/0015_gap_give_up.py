"""controller sequences count the replays of an open gap and when it opened, to give up on it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("controller_sequences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replays", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("gap_opened_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("controller_sequences", schema=None) as batch_op:
        batch_op.drop_column("gap_opened_at")
        batch_op.drop_column("replays")
