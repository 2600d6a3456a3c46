"""cache of staff names looked up from the chat platform

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-29

A new table only: existing cases keep user ids as before, and names are looked up on first use.
"""

import sqlalchemy as sa
from alembic import op

import conversations.protection.crypto
import conversations.storage.models

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_names",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", conversations.protection.crypto.EncryptedText("person_names.name"), nullable=False),
        sa.Column("fetched_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("person_names")
