"""encrypt free text at rest; mark purged cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Answers, decisions, deletion pseudonyms and audit reasons/details become sealed text (see
conversations/protection/crypto.py). Rows already present are encrypted in place with the keyring bound to
the engine. Audit rows are rewritten only here, with the append-only trigger lifted inside this
one transaction: their hashes are over the plaintext, so every chain still verifies.
"""

import json
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from conversations.protection.crypto import keyring_of

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, column, holds JSON)
SEALED = [
    ("drafts", "answers", True),
    ("cases", "answers", True),
    ("cases", "decisions", True),
    ("deletions", "pseudonym", False),
    ("audit_events", "reason", False),
    ("audit_events", "details", True),
]
REFUSAL = "audit events are append-only: record a correction as a new event"
APPEND_ONLY = {
    "sqlite": [
        f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
        f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    ],
    "postgresql": [
        """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()"""
    ],
}
LIFT_APPEND_ONLY = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ],
    "postgresql": ["DROP TRIGGER audit_events_append_only ON audit_events"],
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in LIFT_APPEND_ONLY[dialect]:
        op.execute(statement)
    for table, column, is_json in SEALED:
        if is_json:
            with op.batch_alter_table(table) as batch:
                batch.alter_column(
                    column, type_=sa.Text(), existing_nullable=False, postgresql_using=f"{column}::text"
                )
        _rewrite(table, column, _seal_json if is_json else _seal)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    for statement in APPEND_ONLY[dialect]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in LIFT_APPEND_ONLY[dialect]:
        op.execute(statement)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("purged_at")
    for table, column, is_json in SEALED:
        _rewrite(table, column, _open)
        if is_json:
            with op.batch_alter_table(table) as batch:
                batch.alter_column(
                    column, type_=sa.JSON(), existing_nullable=False, postgresql_using=f"{column}::json"
                )
    for statement in APPEND_ONLY[dialect]:
        op.execute(statement)


def _rewrite(table: str, column: str, change: Callable[[str, str], str]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    for row_id, value in rows:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
            {"value": change(value, f"{table}.{column}"), "id": row_id},
        )


def _seal_json(value: str, purpose: str) -> str:
    # The same canonical JSON the column type writes.
    canonical = json.dumps(json.loads(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _seal(canonical, purpose)


def _seal(value: str, purpose: str) -> str:
    return keyring_of(op.get_bind().dialect).seal(value.encode(), purpose)


def _open(value: str, purpose: str) -> str:
    return keyring_of(op.get_bind().dialect).open(value, purpose).decode()
