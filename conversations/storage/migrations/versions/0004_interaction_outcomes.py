"""interaction keys keep their outcome

Revision ID: 0004
Revises: 0010
Create Date: 2026-11-29

A replayed Slack interaction returns the stored outcome of the first (conversations/delivery/replays.py):
processed deliveries get a nullable JSON outcome. Existing rows (event ids) keep none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_deliveries", schema=None) as batch_op:
        batch_op.drop_column("outcome")
