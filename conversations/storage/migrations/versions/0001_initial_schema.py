"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27

The audit table is append-only: a trigger refuses UPDATE and DELETE on both databases.
"""

import sqlalchemy as sa
from alembic import op

import conversations.storage.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

REFUSAL = "audit events are append-only: record a correction as a new event"
APPEND_ONLY = {
    "sqlite": [
        f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
        f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    ],
    "postgresql": [
        f"""CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$""",
        """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()""",
        """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()""",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    "postgresql": [
        "DROP TRIGGER audit_events_no_truncate ON audit_events",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "DROP FUNCTION audit_events_refuse()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("academy_key", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_drafts_open_per_user",
            ["team_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "processed_deliveries",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("academy_key", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("under_13", sa.Boolean(), nullable=False),
        sa.Column("immediate_referral", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("alert_channel", sa.String(length=32), nullable=True),
        sa.Column("alert_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_academy_key"), ["academy_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_state"), ["state"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("academy_key", sa.String(length=64), nullable=True),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "deletions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("follow_up_user", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deletions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deletions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("draft_id", sa.String(length=32), nullable=True),
        sa.Column("due_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", conversations.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index("ix_reminders_state_due", ["state", "due_at"], unique=False)

    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_state_due")
        batch_op.drop_index(batch_op.f("ix_reminders_draft_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_case_id"))

    op.drop_table("reminders")
    with op.batch_alter_table("deletions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deletions_case_id"))

    op.drop_table("deletions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_case_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_state"))
        batch_op.drop_index(batch_op.f("ix_cases_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_cases_academy_key"))

    op.drop_table("cases")
    op.drop_table("reference_counters")
    op.drop_table("processed_deliveries")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_drafts_open_per_user",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("drafts")
