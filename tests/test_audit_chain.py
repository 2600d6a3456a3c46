"""The keyed audit chain: every break named, malformed values named, truncation caught against
checkpoints, no plaintext oracle, the audit key rotated, existing chains re-anchored, and
sensitive free text kept out of the trail (so a purge removes it). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Text, func, select, text, type_coerce

from conversations.casefile import casework
from conversations.casefile.decisions import load_decisions
from conversations.protection import audit, keys, retention
from conversations.protection.crypto import Keyring
from conversations.scheduling import reminder_actions
from conversations.storage.db import MIGRATIONS, Database, upgrade
from conversations.storage.models import AuditCheckpoint, AuditEvent, Case
from tests.conftest import OAKFIELD, TEST_KEYRING, make_context
from tests.reminder_setup import london, report, request_deletion, runner
from tests.test_audit_cli import _verify
from tests.test_cli import ypsi
from tests.test_crypto import NEW_LINE, OLD
from tests.test_retention import _everything_readable

DSL = OAKFIELD.dsl_users[0]
# Someone with full database rights lifts the append-only triggers (of events and checkpoints).
LIFT_TRIGGERS = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {table}_no_{op}"
        for table in ("audit_events", "audit_checkpoints")
        for op in ("update", "delete")
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
        for table in ("audit_events", "audit_checkpoints")
    ],
}


def _behind_the_back(ctx, statement: str, **params) -> None:
    with ctx.db.engine.begin() as conn:
        for lift in LIFT_TRIGGERS[ctx.db.engine.dialect.name]:
            conn.execute(text(lift))
        conn.execute(text(statement), params)


def _worked_case(ctx) -> tuple[str, list[int]]:
    """A case with seven events in its chain; the reference and the chain's event ids."""
    reference = report(ctx)
    casework.record_decision(ctx, reference, DSL, "acknowledged", {})
    casework.record_decision(ctx, reference, DSL, "advice_sought", {"service": "esas", "adviser": "Duty"})
    for note in ("Spoke to the tutor", "Called home", "Met the pupil"):
        casework.record_decision(ctx, reference, DSL, "note", {"note": note})
    return reference, _chain_ids(ctx, reference)


def _chain_ids(ctx, reference: str) -> list[int]:
    with ctx.db.unit_of_work() as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.reference == reference))
        return list(
            uow.session.scalars(
                select(AuditEvent.id).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
            )
        )


def _verify_head(ctx, tmp_path, head: str):
    url = ctx.db.engine.url.render_as_string(hide_password=False)
    return ypsi(
        ["audit", "verify", "--head", head],
        tmp_path,
        DATABASE_URL=url,
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
    )


def _problems(ctx, head: str | None = None) -> list[audit.ChainBreak]:
    with ctx.db.unit_of_work() as uow:
        return audit.verify(uow.session, head=head)[1]


def test_every_event_of_a_chain_is_keyed_and_verifies(ctx):
    _worked_case(ctx)
    with ctx.db.unit_of_work() as uow:
        assert set(uow.session.scalars(select(AuditEvent.key_id))) == {"test"}
        assert audit.verify(uow.session) == (7, [])


def test_tampering_in_the_middle_and_later_in_a_chain_are_both_reported(ctx, tmp_path):
    reference, ids = _worked_case(ctx)
    _behind_the_back(ctx, "UPDATE audit_events SET actor_id = 'U0SOMEONE0' WHERE id = :id", id=ids[2])
    _behind_the_back(ctx, "UPDATE audit_events SET action = 'closed' WHERE id = :id", id=ids[5])
    out = _verify(ctx, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    broken = [line for line in out.stdout.splitlines() if line.startswith("BROKEN")]
    assert broken == [
        f"BROKEN: case {reference}, event {ids[2]}: its content was changed after it was written",
        f"BROKEN: case {reference}, event {ids[5]}: its content was changed after it was written",
    ]


def test_an_event_removed_and_a_later_one_edited_are_both_reported(ctx):
    reference, ids = _worked_case(ctx)
    _behind_the_back(ctx, "DELETE FROM audit_events WHERE id = :id", id=ids[1])
    _behind_the_back(ctx, "UPDATE audit_events SET to_state = 'closed' WHERE id = :id", id=ids[4])
    assert [(b.event_id, b.problem.split(" (")[0]) for b in _problems(ctx)] == [
        (ids[2], "does not link to the previous event"),
        (ids[4], "its content was changed after it was written"),
    ]


def test_a_keyed_event_rewritten_in_the_old_unkeyed_form_is_reported(ctx):
    reference, ids = _worked_case(ctx)
    with ctx.db.unit_of_work() as uow:
        forged = uow.session.get(AuditEvent, ids[3])
        forged.actor_id = "U0SOMEONE0"
        legacy = audit.event_hash(forged)
        uow.session.expunge_all()
    _behind_the_back(
        ctx,
        "UPDATE audit_events SET actor_id = 'U0SOMEONE0', key_id = NULL, hash = :h WHERE id = :id",
        h=legacy,
        id=ids[3],
    )
    assert [(b.event_id, b.problem.split(" (")[0]) for b in _problems(ctx)] == [
        (ids[3], "it carries no audit key although its chain was already keyed"),
        (ids[4], "does not link to the previous event"),
    ]


def test_truncated_tail_is_caught_against_the_checkpoint(ctx, tmp_path):
    reference, ids = _worked_case(ctx)
    assert _problems(ctx) == []
    audit.checkpoint_now(ctx)
    _behind_the_back(ctx, "DELETE FROM audit_events WHERE id IN (:a, :b)", a=ids[-1], b=ids[-2])
    out = _verify(ctx, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        f"BROKEN: case {reference}: its tail was cut: event {ids[-1]}, its head at checkpoint 1, is missing"
    ]
    assert "Traceback" not in out.stderr


def test_a_whole_chain_removed_is_caught_against_the_checkpoint(ctx):
    reference, ids = _worked_case(ctx)
    other = report(ctx)
    audit.checkpoint_now(ctx)
    _behind_the_back(ctx, f"DELETE FROM audit_events WHERE id IN ({', '.join(map(str, ids))})")
    [problem] = _problems(ctx)
    assert problem.case_reference == reference and problem.event_id is None
    assert problem.problem == "the whole chain is missing (checkpoint 1 counted 7 events)"
    assert other != reference


def test_checkpoints_removed_with_the_tail_are_caught_by_the_digest_kept_outside(ctx, tmp_path):
    reference, ids = _worked_case(ctx)
    audit.checkpoint_now(ctx)
    casework.record_decision(ctx, reference, DSL, "note", {"note": "Later"})
    kept_in_slack = audit.checkpoint_now(ctx).digest
    # Someone with full rights removes the last event and the checkpoint that counted it.
    _behind_the_back(ctx, "DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)")
    _behind_the_back(ctx, "DELETE FROM audit_checkpoints WHERE id = 2")
    assert _problems(ctx) == [], "the database alone cannot show it"
    out = _verify_head(ctx, tmp_path, kept_in_slack)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        f"BROKEN: checkpoint {kept_in_slack} is not in the database: checkpoints were removed"
    ]


def test_an_edited_or_removed_checkpoint_is_reported(ctx):
    _worked_case(ctx)
    for _ in range(3):
        audit.checkpoint_now(ctx)
    _behind_the_back(ctx, "UPDATE audit_checkpoints SET heads = '{}' WHERE id = 1")
    _behind_the_back(ctx, "DELETE FROM audit_checkpoints WHERE id = 2")
    assert [b.problem for b in _problems(ctx)] == [
        "checkpoint 1: it was changed after it was written",
        "checkpoint 3: does not link to the previous checkpoint (one was removed)",
    ]


def test_checkpoints_are_append_only(ctx):
    _worked_case(ctx)
    audit.checkpoint_now(ctx)
    for statement in ("UPDATE audit_checkpoints SET heads = '{}'", "DELETE FROM audit_checkpoints"):
        with pytest.raises(Exception, match="append-only"), ctx.db.engine.begin() as conn:
            conn.execute(text(statement))


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (
            "not sealed at all",
            "its sealed reason is malformed: it is not a sealed value (v1:<key id>:<base64>)",
        ),
        ("v1:test:@@not-base64@@", "its sealed reason is malformed: it is not valid base64 (it was altered)"),
    ],
    ids=["malformed", "bad-base64"],
)
def test_a_malformed_value_is_named_and_stops_nothing(ctx, tmp_path, value, named):
    reference, ids = _worked_case(ctx)
    _behind_the_back(ctx, "UPDATE audit_events SET reason = :v WHERE id = :id", v=value, id=ids[3])
    _behind_the_back(ctx, "UPDATE audit_events SET details = 'v1:test:QUJD' WHERE id = :id", id=ids[5])
    keys.check(ctx.db, TEST_KEYRING)  # the bot's start-up check lets it start
    out = _verify(ctx, tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        f"BROKEN: case {reference}, event {ids[3]}: {named}",
        f"BROKEN: case {reference}, event {ids[5]}: its sealed details is malformed: "
        "it is too short to be sealed (it was altered)",
    ]
    assert "2 problems among 7 events." in out.stderr


def _option_labels() -> list[str]:
    return [label for d in load_decisions().by_key.values() for f in d.fields for label in f.options.values()]


def _guess_reason(stored: AuditEvent, target_hash: str) -> str | None:
    """The attack from the issue: SHA-256 over the canonical form for every label in decisions.toml."""
    for label in _option_labels():
        for entry in range(4):
            guess = AuditEvent(**{**_clear(stored), "reason": label, "details": {"entry": entry}})
            if audit.event_hash(guess) == target_hash:
                return label
    return None


def _clear(event: AuditEvent) -> dict:
    names = ("case_id", "academy_key", "actor_id", "at", "action", "from_state", "to_state", "prev_hash")
    return {name: getattr(event, name) for name in names}


def test_guessing_option_labels_against_the_stored_hash_recovers_nothing(ctx):
    reference, ids = _worked_case(ctx)
    with ctx.db.unit_of_work() as uow:
        event = uow.session.get(AuditEvent, ids[3])
        assert (event.action, event.reason) == (
            "advice_sought",
            "Education Safeguarding Advice Service (ESAS)",
        )
        raw = uow.session.execute(
            text("SELECT reason, hash FROM audit_events WHERE id = :id"), {"id": ids[3]}
        ).one()
        # The attack works on the unkeyed hash of the same event (as stored before the chain was keyed)...
        assert _guess_reason(event, audit.event_hash(event)) == event.reason
        # ...and recovers nothing from what the database holds now: a sealed reason and a keyed MAC.
        assert raw.reason.startswith("v1:test:") and "ESAS" not in raw.reason
        assert _guess_reason(event, raw.hash) is None


def test_audit_key_rotation(database_url, academies, clock):
    old_ctx = make_context(database_url, academies, clock, keyring=OLD)
    reference, _ = _worked_case(old_ctx)
    audit.checkpoint_now(old_ctx)
    both = Keyring.parse(f"{NEW_LINE},{OLD.line()}")
    new_ctx = make_context(database_url, academies, clock, keyring=both)
    keys.rotate(new_ctx, both)
    casework.record_decision(new_ctx, reference, DSL, "note", {"note": "After the rotation"})
    audit.checkpoint_now(new_ctx)
    with new_ctx.db.unit_of_work() as uow:
        by_key = dict(
            uow.session.execute(select(AuditEvent.key_id, func.count()).group_by(AuditEvent.key_id)).all()
        )
        assert by_key == {"old": 7, "new": 2}  # the rotation and the note are under the new key
        assert uow.session.scalars(select(AuditCheckpoint.key_id).order_by(AuditCheckpoint.id)).all() == [
            "old",
            "new",
        ]
        assert audit.verify(uow.session) == (9, [])
    new_only = make_context(database_url, academies, clock, keyring=Keyring.parse(NEW_LINE))
    problems = _problems(new_only)
    assert len(problems) == 8  # seven events and the first checkpoint: named, not a crash
    assert all("'old' is not configured" in p.problem or "does not decrypt" in p.problem for p in problems)


def test_a_forged_mac_under_another_key_does_not_verify(ctx):
    reference, ids = _worked_case(ctx)
    sealed = [type_coerce(c, Text) if c.name in audit.SEALED else c for c in AuditEvent.__table__.columns]
    with ctx.db.unit_of_work() as uow:
        row = dict(uow.session.execute(select(*sealed).where(AuditEvent.id == ids[-1])).one()._mapping)
    row["actor_id"] = "U0SOMEONE0"
    impostor = Keyring.parse("test:" + NEW_LINE.split(":")[1])
    _behind_the_back(
        ctx,
        "UPDATE audit_events SET actor_id = 'U0SOMEONE0', hash = :h WHERE id = :id",
        h=audit.keyed_hash(impostor, row),
        id=ids[-1],
    )
    assert [b.event_id for b in _problems(ctx)] == [ids[-1]]


def test_a_typed_extension_reason_stays_on_the_case_and_goes_with_the_purge(ctx, clock):
    secret = "SENTINEL-EXTENSION: pupil off sick with Dr Jones"
    ref = report(ctx)
    casework.record_decision(ctx, ref, DSL, "acknowledged", {})
    request_deletion(ctx, ref, date(2026, 11, 24))
    reminder_actions.extend_deadline(ctx, ref, DSL, date(2026, 12, 1), secret)
    with ctx.db.unit_of_work() as uow:
        events = uow.session.scalars(select(AuditEvent)).all()
        assert secret not in repr([(e.reason, e.details) for e in events])
        [extended] = [e for e in events if e.action == "deletion_deadline_extended"]
        assert extended.details == {"from": ["2026-11-24"], "to": "2026-12-01", "entry": 0}
    recorded = [d for d in casework.case_detail(ctx, ref, DSL).decisions if d.key == "deletion_extended"]
    assert [d.values["reason"] for d in recorded] == [secret]  # the DSL still sees why
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        case.state, case.closed_at = "closed", clock()  # closing belongs to the DSL services
        uow.commit()
    assert secret in _everything_readable(ctx)
    clock.advance(days=365 * 11 + 3)  # past the youngest's 25th birthday
    retention.purge(ctx, retention.load_retention(), dry_run=False)
    assert secret not in _everything_readable(ctx)
    assert _problems(ctx) == []


def _at_revision(url: str, revision: str) -> Database:
    db = Database.connect(url, TEST_KEYRING)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return db


def _legacy_event(conn, clock, prev: str, actor: str) -> str:
    # As the app wrote events before the chain was keyed: sealed values, SHA-256 over the plaintext.
    event = AuditEvent(
        actor_id=actor, at=clock.now, action="note", reason="Why", details={"n": 1}, prev_hash=prev
    )
    event.hash = audit.event_hash(event)
    conn.execute(
        text(
            "INSERT INTO audit_events (actor_id, at, action, reason, details, prev_hash, hash) "
            "VALUES (:a, :t, 'note', :r, :d, :p, :h)"
        ),
        {
            "a": actor,
            "t": clock.now,
            "r": TEST_KEYRING.seal(b"Why", "audit_events.reason"),
            "d": TEST_KEYRING.seal(b'{"n":1}', "audit_events.details"),
            "p": prev,
            "h": event.hash,
        },
    )
    return event.hash


def test_migration_reanchors_existing_chains_with_a_keyed_event(database_url, academies, clock):
    db = _at_revision(database_url, "0002")
    with db.engine.begin() as conn:
        first = _legacy_event(conn, clock, audit.GENESIS, "U1")
        second = _legacy_event(conn, clock, first, "U2")
    upgrade(db.engine)
    with db.unit_of_work() as uow:
        assert audit.verify(uow.session) == (3, [])
        anchor = uow.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert (anchor.action, anchor.prev_hash, anchor.key_id) == ("audit_chain_keyed", second, "test")
        assert anchor.details == {"unkeyed_events": 2}
        [checkpoint] = uow.session.scalars(select(AuditCheckpoint)).all()
        assert json.loads(checkpoint.heads) == {"-": [3, anchor.id, anchor.hash]}
        anchor_hash = anchor.hash
    ctx = make_context(database_url, academies, clock)
    # An unkeyed event is still checked by its SHA-256; one appended after the anchor is refused.
    _behind_the_back(ctx, "UPDATE audit_events SET actor_id = 'U9' WHERE hash = :h", h=first)
    with ctx.db.engine.begin() as conn:
        _legacy_event(conn, clock, anchor_hash, "U3")
    assert [b.problem for b in _problems(ctx)] == [
        "its content was changed after it was written",
        "it carries no audit key although its chain was already keyed (written behind the app's back)",
    ]


def test_the_runner_writes_a_daily_checkpoint_and_the_digest_carries_it(ctx, clock):
    ref = report(ctx)
    run, outbox = runner(ctx)
    run.maintain()
    run.maintain()
    with ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1
    clock.now = london(2026, 11, 30, 8, 0)  # Monday: a day later, and the weekly digest is due
    run.maintain()
    run.drain()
    with ctx.db.unit_of_work() as uow:
        macs = uow.session.scalars(select(AuditCheckpoint.mac).order_by(AuditCheckpoint.id)).all()
        assert len(macs) == 2
    digest = next(m for m in outbox.sent if m.kind == "weekly_digest" and m.academy_key == "oakfield")
    assert digest.text.endswith(f"Audit checkpoint: {macs[-1][:16]}.")
    assert ref not in digest.text
    assert _problems(ctx, head=macs[-1][:16]) == []
