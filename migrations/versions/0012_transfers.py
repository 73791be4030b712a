"""transfers: where a consignment's ride ends to change bus, and the leg that follows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transfer_campus_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("transfer_next", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consignments_transfer_campus_id_campuses"),
            "campuses",
            ["transfer_campus_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consignments_transfer_campus_id_campuses"), type_="foreignkey"
        )
        batch_op.drop_column("transfer_next")
        batch_op.drop_column("transfer_campus_id")
