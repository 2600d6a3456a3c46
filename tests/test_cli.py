"""The `ypsi` command as a person runs it: the practice console over stdin, and config errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

YPSI = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent

# Case study A typed at the console: numbered choices, free text, then send.
FIRST_HALF = "report\n1\n2\n2\n2\n15, 15\nSENTINEL-NAME-AB\n"
SECOND_HALF = "2\n1\n\n2\nSnapchat\n2\n\n1\nSENTINEL-ACCOUNT told by a friend\nyes\n"


def ypsi(args: list[str], cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "YPSI_", "DATABASE_"))}
    environment.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [*YPSI, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=environment, timeout=120
    )


def test_console_completes_a_report_and_shows_the_dsl_alert(tmp_path):
    out = ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "status\nquit\n")
    assert out.returncode == 0, out.stderr
    assert "Your reference is YPSI-" in out.stdout
    assert "Suggested category: Experimental: romantic" in out.stdout
    alert = out.stdout.split("the DSL channel C0DEMODSL00 receives")[1].split("---\n")[1]
    assert "YPSI-" in alert and "Demo Academy" in alert
    assert "SENTINEL" not in alert and "15, 15" not in alert and "Snapchat" not in alert
    assert "Childline" in out.stdout


def test_run_without_tokens_opens_the_console(tmp_path):
    out = ypsi(["run"], tmp_path, "help\nquit\n")
    assert out.returncode == 0
    assert "practice console" in out.stderr and "report new" in out.stdout
    for name in ("ypsi.db", "ypsi.db-wal", "ypsi.key"):
        path = tmp_path / name
        if path.exists() or name == "ypsi.db":
            assert path.stat().st_mode & 0o777 == 0o600, f"{name} must be readable by its owner only"


def test_draft_survives_the_process_stopping_mid_dialogue(tmp_path):
    first = ypsi(["console"], tmp_path, FIRST_HALF)  # input ends: the process stops
    assert first.returncode == 0 and "report is saved" in first.stdout
    second = ypsi(["console"], tmp_path, "report\n" + SECOND_HALF + "quit\n")
    assert "Resuming your unfinished report at: How it came to light" in second.stdout
    assert "Your reference is YPSI-2026-0001" in second.stdout or "Your reference is YPSI-" in second.stdout


def test_console_rejects_bad_input_clearly_and_keeps_going(tmp_path):
    out = ypsi(["console"], tmp_path, "report\n7\n1\n2\nlots\n\n\n\nsave\nfrobnicate\nquit\n")
    assert "Type one number from 1 to 2: this question takes one answer." in out.stdout
    assert "Please enter a whole number" in out.stdout
    assert "Your report is saved" in out.stdout and "Unknown command `frobnicate`" in out.stdout
    assert out.returncode == 0


def test_dsl_role_lists_and_acknowledges(tmp_path):
    out = ypsi(
        ["console"], tmp_path, FIRST_HALF + SECOND_HALF + "cases\ndsl\ncases\nack ypsi-2026-0001\nquit\n"
    )
    assert "not authorised" in out.stdout
    assert "acknowledged: you own it" in out.stdout and "Owner: <@U0DEMODSL00>" in out.stdout


def _one_line_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    for word in words:
        assert word in lines[0]


def test_missing_academies_file_for_slack_is_one_line(tmp_path):
    out = ypsi(["check-config"], tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    _one_line_error(out, "academies.toml", "not found", "academies.example.toml")


def test_bad_channel_id_is_one_line(tmp_path):
    (tmp_path / "academies.toml").write_text(
        '[[academy]]\nkey="a"\nname="A"\ndsl_channel="general"\ndsl_users=["U0123456789"]\n'
    )
    _one_line_error(ypsi(["check-config"], tmp_path), "dsl_channel", "general", "Slack channel id")


def test_missing_dsl_is_one_line(tmp_path):
    (tmp_path / "academies.toml").write_text('[[academy]]\nkey="a"\nname="A"\ndsl_channel="C0123456789"\n')
    _one_line_error(ypsi(["check-config"], tmp_path), "missing dsl_users")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql+nodriver://x", ("DATABASE_URL",)),
        ("mysql://root@127.0.0.1/test", ("DATABASE_URL", "'mysql' is not supported", "sqlite:///ypsi.db")),
        ("sqlite://", ("DATABASE_URL", "in-memory", "sqlite:///ypsi.db")),
        ("sqlite:///:memory:", ("DATABASE_URL", "in-memory")),
        ("not a url", ("DATABASE_URL", "sqlite:///ypsi.db")),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", ("DATABASE_URL", "cannot open")),
        ("sqlite:///no/such/folder/ypsi.db", ("DATABASE_URL", "cannot create the SQLite file")),
    ],
)
def test_bad_database_url_is_one_line(tmp_path, url, words):
    _one_line_error(ypsi(["check-config"], tmp_path, DATABASE_URL=url), *words)


def test_bad_token_is_one_line(tmp_path):
    _one_line_error(ypsi(["run"], tmp_path, SLACK_BOT_TOKEN="nope"), "SLACK_BOT_TOKEN", "xoxb-")


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("PORT=notaport\n")
    _one_line_error(ypsi(["check-config"], tmp_path), "PORT")


@pytest.mark.parametrize("command", [["check-config"], ["console"]])
def test_a_named_academies_file_that_is_missing_is_one_line_even_to_practise(tmp_path, command):
    out = ypsi(command, tmp_path, "quit\n", YPSI_ACADEMIES_FILE="schools.toml")
    _one_line_error(out, "schools.toml", "not found")


def test_a_malformed_env_line_is_one_line(tmp_path):
    (tmp_path / ".env").write_text("PORT=3000\nthis line is not a setting\n")
    _one_line_error(ypsi(["check-config"], tmp_path), ".env line 2", "NAME=value")


def test_check_config_changes_no_database(tmp_path):
    (tmp_path / "academies.toml").write_text((ROOT / "academies.example.toml").read_text())
    out = ypsi(["check-config"], tmp_path)
    assert out.returncode == 0 and "database sqlite not created yet" in out.stdout, out.stdout
    assert not (tmp_path / "ypsi.db").exists()
    # An empty file is a database with every migration to apply: reported, not applied.
    (tmp_path / "ypsi.db").touch()
    out = ypsi(["check-config"], tmp_path)
    assert out.returncode == 0 and "migrations to apply (`ypsi db upgrade`" in out.stdout, out.stdout
    assert "migrations to apply" in ypsi(["check-config"], tmp_path).stdout  # still: nothing applied
    assert ypsi(["db", "upgrade"], tmp_path).returncode == 0
    out = ypsi(["check-config"], tmp_path)
    assert "database sqlite up to date" in out.stdout, out.stdout


def test_check_config_ok(tmp_path):
    (tmp_path / "academies.toml").write_text((ROOT / "academies.example.toml").read_text())
    out = ypsi(["check-config"], tmp_path)
    assert out.returncode == 0 and "ok: 1 academies (Oakfield Academy)" in out.stdout


def test_diagram_is_current(tmp_path):
    out = ypsi(["diagram"], tmp_path)
    assert out.returncode == 0
    written = (tmp_path / "docs" / "state-machines.md").read_text()
    assert written == (ROOT / "docs" / "state-machines.md").read_text(), "run `ypsi diagram` and commit"
    assert (
        "closed --> reopened: reopen" in written
        and "risk --> risk_actions: answer [immediate_risk]" in written
    )


@pytest.mark.parametrize("out", ["no/such/folder/record.md", "."])
def test_an_unwritable_export_is_one_line_and_audits_nothing(tmp_path, out):
    assert ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + "quit\n").returncode == 0
    refused = ypsi(["case", "export", "YPSI-2026-0001", "--out", out], tmp_path)
    _one_line_error(refused, "--out")
    written = ypsi(["case", "export", "YPSI-2026-0001", "--out", "record.md"], tmp_path)
    assert written.returncode == 0 and (tmp_path / "record.md").stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(tmp_path / "ypsi.db") as db:
        [(exports,)] = db.execute("SELECT count(*) FROM audit_events WHERE action = 'case_exported'")
    assert exports == 1, "only the export that was written is audited"
