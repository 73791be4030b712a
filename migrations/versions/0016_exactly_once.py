"""exactly once: notices carry their dispatcher's claim token, alerts their cause

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("cause", sa.String(length=120), nullable=True))
        batch.create_unique_constraint(batch.f("uq_alerts_cause"), ["cause"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(batch.f("uq_alerts_cause"), type_="unique")
        batch.drop_column("cause")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("claim_token")
