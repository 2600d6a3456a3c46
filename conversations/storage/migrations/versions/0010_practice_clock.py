"""the practice console's simulated clock

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29

One row: how far the practice console's clock runs ahead of real time, so that a restarted
console carries on where it was (decisions are not refused as "in the future", and the
chronology never runs backwards).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_clock",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("practice_clock")
