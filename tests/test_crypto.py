"""Encryption at rest: the keyring, the sealed columns, the migration of old rows, key rotation,
and the one-line errors for a missing or wrong key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from conversations.dialogue import reports
from conversations.errors import ConfigError
from conversations.protection import audit, keys
from conversations.protection.crypto import SETTING, DecryptionError, Keyring, new_key
from conversations.storage.db import MIGRATIONS, Database
from conversations.storage.models import AuditEvent, Case, Deletion, Draft
from tests.answers import CASE_A, complete
from tests.conftest import TEACHER, TEAM, TEST_KEYRING, make_context
from tests.test_cli import FIRST_HALF, SECOND_HALF, ypsi

OLD = Keyring.parse(new_key("old"))
NEW_LINE = new_key("new")


def test_each_value_gets_a_fresh_nonce_and_names_its_key():
    first, second = (TEST_KEYRING.seal(b"Pupil AB", "cases.answers") for _ in range(2))
    assert first != second and first.startswith("v1:test:") and b"Pupil AB" not in first.encode()
    assert TEST_KEYRING.open(first, "cases.answers") == b"Pupil AB"


def test_a_value_moved_to_another_column_or_altered_does_not_open():
    token = TEST_KEYRING.seal(b"Pupil AB", "cases.answers")
    with pytest.raises(DecryptionError, match="does not open"):
        TEST_KEYRING.open(token, "cases.decisions")
    altered = token[:-6] + ("AAAA" if not token.endswith("AAAA==") else "BBBB") + token[-2:]
    with pytest.raises(DecryptionError, match="YPSI_ENCRYPTION_KEYS"):
        TEST_KEYRING.open(altered, "cases.answers")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "empty"),
        ("nokey", "id:base64key"),
        ("k1:c2hvcnQ=", "not 32 bytes"),
        ("k1:not base64!", "not 32 bytes"),
        ("bad id!:" + new_key("x").split(":")[1], "id:base64key"),
    ],
)
def test_malformed_keys_are_config_errors(value, words):
    with pytest.raises(ConfigError, match=words):
        Keyring.parse(value)


def test_first_key_is_current_and_others_still_open():
    ring = Keyring.parse(f"{NEW_LINE},{OLD.line()}")
    assert ring.current == "new"
    assert ring.open(OLD.seal(b"x", "p"), "p") == b"x"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("plain text", "is not a sealed value"),
        ("v1:test:@@not base64@@", "is not valid base64"),
        ("v1:test:QUJD", "is too short to be sealed"),
    ],
)
def test_a_malformed_value_is_a_decryption_error_not_a_crash(token, problem):
    assert problem in Keyring.form_problem(token)
    with pytest.raises(DecryptionError):
        TEST_KEYRING.open(token, "audit_events.reason")
    assert Keyring.form_problem(TEST_KEYRING.seal(b"x", "p")) is None


def test_mac_keys_are_derived_per_key_and_purpose_never_the_encryption_key():
    ring = Keyring.parse(f"{NEW_LINE},{OLD.line()}")
    message = b"an event's stored form"
    macs = {ring.mac(kid, purpose, message) for kid in ("new", "old") for purpose in ("a", "b")}
    assert len(macs) == 4
    assert hmac.new(ring.keys["new"], message, hashlib.sha256).hexdigest() not in macs
    assert ring.mac("new", "a", message) == Keyring.parse(NEW_LINE).mac("new", "a", message)
    with pytest.raises(DecryptionError, match="lacks key 'gone'"):
        ring.mac("gone", "a", message)


def _raw(ctx, sql: str) -> list:
    with ctx.db.engine.connect() as conn:
        return [row[0] for row in conn.execute(text(sql))]


def test_the_database_holds_only_sealed_values(ctx):
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    reports.submit(ctx, draft.id, TEACHER)
    for sql in (
        "SELECT answers FROM drafts",
        "SELECT answers FROM cases",
        "SELECT details FROM audit_events",
    ):
        values = _raw(ctx, sql)
        assert values and all(v.startswith("v1:test:") for v in values), sql
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case))
        assert case.answers["young_people"]["identifiers"] == "Pupil AB"


def _at_revision_0001(url: str, keyring: Keyring) -> Database:
    db = Database.connect(url, keyring)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    return db


def test_migration_seals_rows_written_before_encryption(database_url, academies, clock):
    db = _at_revision_0001(database_url, TEST_KEYRING)
    answers = json.dumps({"young_people": {"identifiers": "Pupil AB"}})
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO drafts (id, team_id, user_id, state, status, answers, created_at, updated_at) "
                "VALUES ('d1', 'T', 'U', 'review', 'open', :a, :t, :t)"
            ),
            {"a": answers, "t": clock.now},
        )
        event = AuditEvent(
            actor_id="U",
            at=clock.now,
            action="note",
            reason="Pupil AB",
            details={"n": 1},
            prev_hash=audit.GENESIS,
        )
        event.hash = audit.event_hash(event)
        conn.execute(
            text(
                "INSERT INTO audit_events (actor_id, at, action, reason, details, prev_hash, hash) "
                "VALUES ('U', :t, 'note', 'Pupil AB', '{\"n\": 1}', :p, :h)"
            ),
            {"t": clock.now, "p": audit.GENESIS, "h": event.hash},
        )
    assert _raw(make_context(database_url, academies, clock), "SELECT answers FROM drafts")[0].startswith(
        "v1:test:"
    )
    with db.unit_of_work() as uow:
        assert uow.session.get(Draft, "d1").answers == {"young_people": {"identifiers": "Pupil AB"}}
        assert uow.session.scalar(select(AuditEvent.reason)) == "Pupil AB"
        # The unkeyed event, then the keyed event migration 0006 appended to re-anchor its chain.
        assert audit.verify(uow.session) == (2, [])
        with pytest.raises(Exception, match="append-only"):
            uow.session.execute(text("UPDATE audit_events SET action = 'x'"))


def test_rotation_reseals_all_but_audit_and_keeps_the_chain(database_url, academies, clock):
    old_ctx = make_context(database_url, academies, clock, keyring=OLD)
    draft = complete(old_ctx, TEACHER, TEAM, CASE_A)
    ref = reports.submit(old_ctx, draft.id, TEACHER).reference
    with old_ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case))
        uow.session.add(Deletion(case_id=case.id, pseudonym="Pupil AB", deadline=date(2026, 12, 1)))
        uow.commit()
    both = Keyring.parse(f"{NEW_LINE},{OLD.line()}")
    new_ctx = make_context(database_url, academies, clock, keyring=both)
    done = keys.rotate(new_ctx, both)
    # draft answers, case answers, case decisions, one pseudonym, and the alert and the receipt
    # still in the outbox (nothing delivered them here)
    assert done.rewritten == 6
    assert done.audit_keys == {"old": 2}  # details of the two report events (no reasons given)
    assert keys.rotate(new_ctx, both).rewritten == 0
    for sql in (
        "SELECT answers FROM drafts",
        "SELECT decisions FROM cases",
        "SELECT pseudonym FROM deletions",
    ):
        assert all(v.startswith("v1:new:") for v in _raw(new_ctx, sql))
    with new_ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(Case.reference)) == ref
        assert uow.session.scalar(select(Deletion.pseudonym)) == "Pupil AB"
        assert audit.verify(uow.session) == (4, [])  # two report events, two rotations
    without_old = Keyring.parse(NEW_LINE)
    with pytest.raises(DecryptionError, match="lacks key 'old'"):
        keys.check(new_ctx.db, without_old)


def test_wrong_key_fails_the_startup_check(sqlite_ctx):
    draft = complete(sqlite_ctx, TEACHER, TEAM, CASE_A)
    reports.submit(sqlite_ctx, draft.id, TEACHER)
    impostor = Keyring.parse("test:" + new_key("x").split(":")[1])
    with pytest.raises(DecryptionError, match="key 'test' does not open"):
        keys.check(sqlite_ctx.db, impostor)


def _one_line(out, *words: str) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    for word in words:
        assert word in lines[0]


def test_practice_console_makes_a_private_key_file_and_seals_the_db(tmp_path):
    out = ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n")
    assert out.returncode == 0, out.stderr
    key_file = tmp_path / "ypsi.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Keyring.parse(key_file.read_text().strip()).current == "practice"
    again = ypsi(["console"], tmp_path, "status\nquit\n")
    assert "YPSI-" in again.stdout, again.stderr
    assert Keyring.parse(key_file.read_text().strip()).current == "practice"


def test_wrong_key_is_a_one_line_error(tmp_path):
    ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n")
    wrong = "practice:" + new_key("x").split(":")[1]
    _one_line(
        ypsi(["check-config"], tmp_path, YPSI_ENCRYPTION_KEYS=wrong), "YPSI_ENCRYPTION_KEYS", "practice"
    )
    _one_line(
        ypsi(["check-config"], tmp_path, YPSI_ENCRYPTION_KEYS=NEW_LINE), "YPSI_ENCRYPTION_KEYS", "lacks"
    )
    _one_line(ypsi(["check-config"], tmp_path, YPSI_ENCRYPTION_KEYS="junk"), "YPSI_ENCRYPTION_KEYS")


def test_slack_mode_without_keys_is_a_one_line_error(tmp_path):
    (tmp_path / "academies.toml").write_text(
        '[[academy]]\nkey="a"\nname="A"\ndsl_channel="C0123456789"\ndsl_users=["U0123456789"]\n'
    )
    out = ypsi(["check-config"], tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    _one_line(out, "YPSI_ENCRYPTION_KEYS is missing", "ypsi keys new")
    assert not (tmp_path / "ypsi.key").exists()


def test_keys_new_then_rotate_from_the_command_line(tmp_path):
    ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n")
    practice = (tmp_path / "ypsi.key").read_text().strip()
    out = ypsi(["keys", "new", "--id", "k2"], tmp_path, YPSI_ENCRYPTION_KEYS=practice)
    name, _, line = out.stdout.strip().partition("=")
    assert name == "YPSI_ENCRYPTION_KEYS" and line.endswith("," + practice)
    assert Keyring.parse(line).current == "k2"
    rotated = ypsi(["keys", "rotate"], tmp_path, YPSI_ENCRYPTION_KEYS=line)
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 5 values with key 'k2'" in rotated.stdout  # 3, and the outbox's alert and receipt
    assert "keep keys 'practice'" in rotated.stdout


def _follow_the_rotation_steps(tmp_path: Path) -> tuple[str, str]:
    """SECURITY.md "Rotating a key", step by step: keys new → replace the .env line → rotate."""
    new = ypsi(["keys", "new"], tmp_path)
    assert new.returncode == 0, new.stderr
    assert "Replace the YPSI_ENCRYPTION_KEYS line in .env" in new.stderr
    setting = new.stdout.strip()
    env = tmp_path / ".env"
    kept = [ln for ln in (env.read_text().splitlines() if env.exists() else []) if not ln.startswith(SETTING)]
    env.write_text("\n".join([*kept, setting]) + "\n")
    rotated = ypsi(["keys", "rotate"], tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    return setting.partition("=")[2], rotated.stdout


def _resealed(said: str) -> tuple[int, str]:
    """How many values `ypsi keys rotate` re-encrypted, and with which key."""
    found = re.search(r"Re-encrypted (\d+) values with key '([^']+)'", said)
    assert found, said
    return int(found[1]), found[2]


def test_the_rotation_steps_work_when_followed_literally_twice_on_one_day(tmp_path):
    assert ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n").returncode == 0
    practice = (tmp_path / "ypsi.key").read_text().strip()

    first, said = _follow_the_rotation_steps(tmp_path)
    assert first.endswith("," + practice), "the practice key in use is kept in the line"
    first_id = Keyring.parse(first).current
    resealed = _resealed(said)
    assert resealed[1] == first_id and resealed[0] > 0 and "keep keys 'practice'" in said

    second, said = _follow_the_rotation_steps(tmp_path)
    ring = Keyring.parse(second)
    assert ring.current != first_id and list(ring.keys)[1:] == [first_id, "practice"]
    # Every value that can be re-sealed moves to the current key again: none is left behind.
    assert _resealed(said) == (resealed[0], ring.current)
    # The first rotation's own audit event is sealed with the first key: both old keys stay.
    assert "Every other key in YPSI_ENCRYPTION_KEYS is still needed." in said
    # The bot starts with the line as left by the steps, and reads the report back.
    out = ypsi(["console"], tmp_path, "status\nquit\n")
    assert out.returncode == 0 and "YPSI-" in out.stdout, out.stderr


def test_rotate_names_a_key_no_stored_value_needs(tmp_path):
    assert ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n").returncode == 0
    practice = (tmp_path / "ypsi.key").read_text().strip()
    spare = new_key("spare")
    line = ",".join([new_key("k3"), spare, practice])
    said = ypsi(["keys", "rotate"], tmp_path, YPSI_ENCRYPTION_KEYS=line).stdout
    assert "No stored value needs 'spare' any more" in said and "'practice'" not in said.split("needs")[-1]


def test_a_key_id_used_twice_is_one_line(tmp_path):
    line = ",".join([new_key("k1"), new_key("k1")])
    _one_line(ypsi(["check-config"], tmp_path, YPSI_ENCRYPTION_KEYS=line), "YPSI_ENCRYPTION_KEYS", "twice")
    _one_line(
        ypsi(["keys", "new", "--id", "k1"], tmp_path, YPSI_ENCRYPTION_KEYS=new_key("k1")), "already in use"
    )
