"""`ypsi audit verify` finds an audit row edited or removed behind the application's back."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from conversations.casefile import cases
from conversations.dialogue import reports
from conversations.storage.models import AuditEvent
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM, TEST_KEYRING
from tests.test_cli import ypsi

LIFT_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    "postgresql": ["DROP TRIGGER audit_events_append_only ON audit_events"],
}


def _reported_and_acknowledged(ctx) -> tuple[str, list[int]]:
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    reference = reports.submit(ctx, draft.id, TEACHER).reference
    cases.acknowledge(ctx, reference, OAKFIELD.dsl_users[0])
    with ctx.db.unit_of_work() as uow:
        return reference, list(uow.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def _behind_the_back(ctx, statement: str, **params) -> None:
    with ctx.db.engine.begin() as conn:
        for lift in LIFT_TRIGGERS[ctx.db.engine.dialect.name]:
            conn.execute(text(lift))
        conn.execute(text(statement), params)


def _verify(ctx, tmp_path):
    url = ctx.db.engine.url.render_as_string(hide_password=False)
    return ypsi(["audit", "verify"], tmp_path, DATABASE_URL=url, YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line())


def test_intact_trail_verifies(ctx, tmp_path):
    _reported_and_acknowledged(ctx)
    out = _verify(ctx, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "ok: 3 audit events verified" in out.stdout


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE audit_events SET actor_id = 'U0SOMEONE0' WHERE id = :id", "content was changed"),
        ("UPDATE audit_events SET at = at - INTERVAL '1 day' WHERE id = :id", "content was changed"),
        ("UPDATE audit_events SET details = (SELECT decisions FROM cases LIMIT 1) WHERE id = :id", "decrypt"),
        ("DELETE FROM audit_events WHERE id = :id", "does not link"),
    ],
    ids=["actor", "time", "sealed-details", "removed"],
)
def test_tampered_event_is_named(ctx, tmp_path, statement, problem):
    if "INTERVAL" in statement and ctx.db.engine.dialect.name == "sqlite":
        statement = "UPDATE audit_events SET at = '2020-01-01 00:00:00.000000' WHERE id = :id"
    reference, ids = _reported_and_acknowledged(ctx)
    _behind_the_back(ctx, statement, id=ids[1])
    out = _verify(ctx, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    first_broken = ids[2] if problem == "does not link" else ids[1]
    assert f"BROKEN: case {reference}, event {first_broken}: " in out.stdout
    assert problem in out.stdout
    assert "Traceback" not in out.stderr
