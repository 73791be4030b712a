"""one active ticket per phone and queue as an index; idempotency keys for forms and the API

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status <> 'done'")


def upgrade() -> None:
    # Tickets taken twice for one phone before the index existed: the first stays, the later
    # ones end as cancelled, or the index could not be built.
    op.execute(
        "UPDATE tickets SET status = 'done', outcome = 'cancelled' "
        "WHERE status <> 'done' AND phone IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM tickets AS first WHERE first.category_id = tickets.category_id "
        "AND first.day = tickets.day AND first.phone = tickets.phone "
        "AND first.status <> 'done' AND first.id < tickets.id)"
    )
    op.create_index(
        "ux_tickets_active_phone",
        "tickets",
        ["category_id", "day", "phone"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "scope", "operation", "key", name=op.f("uq_idempotency_keys_scope_operation_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ux_tickets_active_phone", table_name="tickets")
