"""`ypsi reminders due`, `ypsi reminders run --once` and the practice console's `clock`, as run."""

from __future__ import annotations

import re

from conversations.academies import DEMO
from conversations.dialogue import reports
from tests.answers import CASE_A, complete
from tests.conftest import TEAM, FakeClock, make_context
from tests.reminder_setup import london
from tests.test_cli import FIRST_HALF, SECOND_HALF, ypsi

KEYS = "test:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0="  # tests.conftest.TEST_KEYRING
TEACHER = "U0PRACTICE0"


def _database_with_a_report(tmp_path) -> str:
    """A report made on Monday 23 November 2026 at 10:00: its re-alerts are long due."""
    url = f"sqlite:///{tmp_path / 'ypsi.db'}"
    ctx = make_context(url, DEMO, FakeClock(london(2026, 11, 23, 10, 0)))
    draft = complete(ctx, TEACHER, TEAM, {**CASE_A, "academy": {"academy": "demo"}})
    reports.submit(ctx, draft.id, TEACHER)
    ctx.db.engine.dispose()
    return url


def test_due_lists_then_run_once_sends_each_once(tmp_path):
    url = _database_with_a_report(tmp_path)
    env = {"DATABASE_URL": url, "YPSI_ENCRYPTION_KEYS": KEYS}
    due = ypsi(["reminders", "due"], tmp_path, **env)
    assert due.returncode == 0, due.stderr
    assert "Mon 23 Nov 2026 10:15  unacknowledged" in due.stdout and "YPSI-2026-0001" in due.stdout
    assert "2 pending, 2 due now." in due.stdout
    run = ypsi(["reminders", "run", "--once"], tmp_path, **env)
    assert run.returncode == 0, run.stderr
    assert "reminders are printed, not sent" in run.stderr
    assert run.stdout.count("--- reminder to") == 2
    assert "--- reminder to the DSL channel C0DEMODSL00 ---" in run.stdout
    assert "Still waiting for a DSL: YPSI-2026-0001" in run.stdout
    assert "a private message to <@U0DEMODEP00>" in run.stdout
    again = ypsi(["reminders", "run", "--once"], tmp_path, **env)
    assert "--- reminder to" not in again.stdout and "0 reminders handled." in again.stdout


def test_console_clock_makes_reminders_fire_offline(tmp_path):
    script = (
        "clock 2030-01-07 10:00\n" + FIRST_HALF + SECOND_HALF + "clock +20m\nclock +1h\nclock soon\nquit\n"
    )
    out = ypsi(["console"], tmp_path, script)
    assert out.returncode == 0, out.stderr
    assert "It is now Mon 07 Jan 2030 10:00 (simulated)." in out.stdout
    first, second = out.stdout.split("It is now Mon 07 Jan 2030 10:20 (simulated).")[1].split("It is now")[:2]
    assert "--- reminder to the DSL channel C0DEMODSL00 ---" in first
    assert "| Still waiting for a DSL: YPSI-2030-0001" in first and "[Acknowledge] [Open case]" in first
    assert "a private message to <@U0DEMODEP00>" in second
    assert "SENTINEL" not in first + second
    assert "Use e.g. `clock +2h`" in out.stdout


def test_clock_without_a_move_only_tells_the_time(tmp_path):
    out = ypsi(["console"], tmp_path, "clock\nquit\n")
    assert "(simulated)" in out.stdout and "No reminders were due." not in out.stdout


def test_a_bad_timing_override_stops_start_up_with_one_line(tmp_path):
    (tmp_path / "academies.toml").write_text(
        '[[academy]]\nkey = "oak"\nname = "Oak"\ndsl_channel = "C0123456789"\ndsl_users = ["U0123456789"]\n'
        '[academy.reminders]\nparents_hours = "soon"\n'
    )
    out = ypsi(["check-config"], tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "ypsi: academy 'oak' [academy.reminders]: parents_hours must be a whole number above 0, not 'soon'"
    ]


def test_console_buttons_as_commands_acknowledge_then_snooze(tmp_path):
    script = (
        "clock 2030-01-07 10:00\n"
        + FIRST_HALF
        + SECOND_HALF
        + "clock +20m\ndsl\npress acknowledge YPSI-2030-0001\n"
        "clock +1d\n"
    )
    first = ypsi(["console"], tmp_path, script + "quit\n")
    assert "[Acknowledge]: press acknowledge YPSI-2030-0001" in first.stdout
    assert "YPSI-2030-0001 acknowledged: you own it." in first.stdout
    parents = first.stdout.split("It is now Tue 08 Jan 2030 10:20 (simulated).")[1]
    assert "Parents/carers decision pending: YPSI-2030-0001" in parents
    reminder = re.search(r"press snooze (\d+)", parents).group(1)
    again = f"clock 2030-01-08 10:30\ndsl\npress snooze {reminder}\npress snooze x\nclock +1d\nquit\n"
    second = ypsi(["console"], tmp_path, again)  # a new session starts at the real time again
    assert "Snoozed: it comes back Wed 09 Jan 10:30." in second.stdout
    assert "Use the `press …` shown under a reminder" in second.stdout
    assert "Parents/carers decision pending: YPSI-2030-0001" in second.stdout.split("(simulated).")[2]
