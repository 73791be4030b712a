"""notifications

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:42:44.193888
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_messages")),
    )
    with op.batch_alter_table("console_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_messages_outbox_id"), ["outbox_id"], unique=False
        )

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("wechat_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("provider", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_provider_message_id"),
            ["provider_message_id"],
            unique=False,
        )

    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("final_notice_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.drop_column("final_notice_at")
        batch_op.drop_column("reminders_sent")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_provider_message_id"))
        batch_op.drop_column("delivery_status")
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("provider")
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("claimed_until")

    op.drop_table("notification_preferences")
    with op.batch_alter_table("console_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_messages_outbox_id"))

    op.drop_table("console_messages")
