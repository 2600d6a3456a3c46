"""outbox: messages written with the change they tell of, delivered after commit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

A new table only. Cases already alerted keep their cards; nothing pending is migrated (the
reminders table keeps its rows; from now on a reminder that falls due is handed to the outbox,
one row per recipient).
"""

import sqlalchemy as sa
from alembic import op

import conversations.protection.crypto
import conversations.storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("academy_key", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("fallback_of", sa.Integer(), nullable=True),
        sa.Column("payload", conversations.protection.crypto.EncryptedJSON("outbox.payload"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_reminder_id"), ["reminder_id"], unique=False)
        batch_op.create_index("ix_outbox_state_next", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox")
