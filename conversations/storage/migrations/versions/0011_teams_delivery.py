"""Teams: the outbox's platform, stored addresses, and room for Teams ids

Revision ID: 0011
Revises: 0005
Create Date: 2026-11-30

Every outbox row gets the platform of its recipient; rows already there are Slack's (the only
front end until now). A new `addresses` table keeps where a front end reaches a person or
channel proactively. Ids get wider on PostgreSQL: a Teams person is `teams:<GUID>`, a tenant
a GUID, a Teams conversation id far longer than a Slack one (SQLite does not enforce lengths).
Widening a varchar rewrites no row: audit events stay exactly as written.
"""

import sqlalchemy as sa
from alembic import op

import conversations.storage.models

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None

PERSON, CONVERSATION = 64, 255
# (table, column, nullable, new width): the ids that may now be a Teams one.
WIDER = (
    ("drafts", "team_id", False, PERSON),
    ("drafts", "user_id", False, PERSON),
    ("cases", "team_id", False, PERSON),
    ("cases", "reporter_id", False, PERSON),
    ("cases", "owner_id", True, PERSON),
    ("cases", "alert_channel", True, CONVERSATION),
    ("cases", "alert_ts", True, CONVERSATION),
    ("deletions", "follow_up_user", True, PERSON),
    ("deletions", "confirmed_by", True, PERSON),
    ("audit_events", "actor_id", False, PERSON),
    ("person_names", "user_id", False, PERSON),
    ("outbox", "recipient_id", False, CONVERSATION),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=16), nullable=False, server_default="slack")
        )
    op.create_table(
        "addresses",
        sa.Column("who", sa.String(length=CONVERSATION), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("updated_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("who"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, nullable, width in WIDER:
            op.alter_column(table, column, type_=sa.String(length=width), existing_nullable=nullable)


def downgrade() -> None:
    op.drop_table("addresses")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("platform")
