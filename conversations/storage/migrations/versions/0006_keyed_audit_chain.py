"""key the audit chain; checkpoints of chain heads

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29

Audit events gain `key_id`: the key whose derived MAC key made the event's `hash`. Events already
stored keep their unkeyed SHA-256 (they are append-only and never rewritten); each existing
chain is re-anchored by one appended `audit_chain_keyed` event, keyed, that links to its last
event, so from there on nobody without the key can extend, edit or relink the chain unnoticed.
A first checkpoint then records every chain's head. Checkpoints are append-only like the events.
See docs/decisions/0050-keyed-audit-chain.md.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import conversations.storage.models
from conversations.protection import audit

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None

ACTOR = "migration-0006"
REFUSAL = "audit checkpoints are append-only: write a new checkpoint"
APPEND_ONLY = {
    "sqlite": [
        f"""CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
        f"""CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    ],
    "postgresql": [
        f"""CREATE FUNCTION audit_checkpoints_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$""",
        """CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse()""",
        """CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse()""",
    ],
}


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", conversations.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mac"),
    )
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)
    _reanchor(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    raise NotImplementedError("the keyed audit chain cannot be undone: its events are append-only")


def _reanchor(connection: sa.Connection, now: datetime) -> None:
    chains = connection.execute(
        sa.text("SELECT case_id, COUNT(*), MAX(id) FROM audit_events GROUP BY case_id ORDER BY MIN(id)")
    ).all()
    if not chains:
        return
    for case_id, count, last_id in chains:
        academy_key = connection.scalar(
            sa.text("SELECT academy_key FROM audit_events WHERE id = :id"), {"id": last_id}
        )
        audit.append(
            connection,
            case_id=case_id,
            academy_key=academy_key,
            actor_id=ACTOR,
            at=now,
            action="audit_chain_keyed",
            from_state=None,
            to_state=None,
            reason=None,
            details={"unkeyed_events": count},
        )
    audit.checkpoint(connection, now)
