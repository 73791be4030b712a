"""好差评 that closes the loop: 代办 ratings (一事一评) and follow-ups (整改) of poor ratings

The hall manager's one-step "followed up" mark on a window rating gives way to the follow-up.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 22:38:28.722914
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("window_number", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("rater_id", sa.Integer(), nullable=True),
        sa.Column("rater_phone", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("overdue_at", sa.DateTime(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("rectification", sa.String(length=1000), nullable=False),
        sa.Column("rectified_at", sa.DateTime(), nullable=True),
        sa.Column("rectified_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal", sa.String(length=1000), nullable=False),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("review_note", sa.String(length=1000), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_follow_ups_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_follow_ups_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["users.id"], name=op.f("fk_follow_ups_rater_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rectified_by_id"], ["users.id"], name=op.f("fk_follow_ups_rectified_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_follow_ups_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("source", "subject_id", name=op.f("uq_follow_ups_source_subject_id")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_ups_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_follow_ups_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index("ix_follow_ups_open_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_ups_rater_id"), ["rater_id"], unique=False)

    op.create_table(
        "consignment_ratings",
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_consignment_ratings_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_consignment_ratings_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_consignment_ratings_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["users.id"], name=op.f("fk_consignment_ratings_rater_id_users")
        ),
        sa.PrimaryKeyConstraint("consignment_id", name=op.f("pk_consignment_ratings")),
    )
    with op.batch_alter_table("consignment_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consignment_ratings_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consignment_ratings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consignment_ratings_department_id"), ["department_id"], unique=False
        )

    with op.batch_alter_table("ticket_ratings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ticket_ratings_followed_up_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("followed_up_by_id")
        batch_op.drop_column("followed_up_at")
        batch_op.drop_column("follow_up_note")


def downgrade() -> None:
    with op.batch_alter_table("ticket_ratings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follow_up_note", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("followed_up_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("followed_up_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_ratings_followed_up_by_id_users"),
            "users",
            ["followed_up_by_id"],
            ["id"],
        )

    with op.batch_alter_table("consignment_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consignment_ratings_department_id"))
        batch_op.drop_index(batch_op.f("ix_consignment_ratings_created_at"))
        batch_op.drop_index(batch_op.f("ix_consignment_ratings_agent_id"))

    op.drop_table("consignment_ratings")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_ups_rater_id"))
        batch_op.drop_index("ix_follow_ups_open_due")
        batch_op.drop_index(batch_op.f("ix_follow_ups_department_id"))
        batch_op.drop_index(batch_op.f("ix_follow_ups_assignee_id"))

    op.drop_table("follow_ups")
