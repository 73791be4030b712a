"""dashboard rollups: the dashboard's figures summed per local day and per whole month, read
for the days up to the watermark so that a year of data is thousands of rows, not millions

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES: dict[str, list[tuple[str, bool]]] = {
    "dashboard_rides": [
        ("origin_campus_id", False),
        ("destination_campus_id", False),
        ("bucket", False),
        ("rides", False),
    ],
    "dashboard_sla": [
        ("department_id", False),
        ("bucket", False),
        ("handled", False),
        ("on_time", False),
    ],
    "dashboard_hall": [
        ("category_id", False),
        ("hour", False),
        ("tickets", False),
        ("waited", False),
        ("wait_seconds", False),
        ("served", False),
        ("service_seconds", False),
    ],
    "dashboard_ratings": [
        ("window_id", True),
        ("department_id", True),
        ("user_id", True),
        ("ratings", False),
        ("level_sum", False),
        ("satisfied", False),
    ],
    "dashboard_faults": [("bank_id", False), ("alerts", False)],
}


def upgrade() -> None:
    for name, columns in TABLES.items():
        extra = [sa.Column("source", sa.String(length=8), nullable=False)]
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("month", sa.Boolean(), nullable=False),
            *(extra if name == "dashboard_ratings" else []),
            *(sa.Column(column, sa.Integer(), nullable=nullable) for column, nullable in columns),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        # Every column the figures read is in the index: a year is read from it alone.
        keys = ["source"] if name == "dashboard_ratings" else []
        op.create_index(
            f"ix_{name}_month_day", name, ["month", "day", *keys, *(c for c, _ in columns)]
        )
    op.create_table(
        "dashboard_rolled_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_rolled_up")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_rolled_up")
    for name in reversed(TABLES):
        op.drop_index(f"ix_{name}_month_day", table_name=name)
        op.drop_table(name)
