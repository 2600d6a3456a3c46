"""`ypsi run` as a process serving Teams on TEAMS_HOST:TEAMS_PORT, alone or beside Slack, and
stopping cleanly on SIGTERM. (Signed activities need Microsoft's keys in production: here an
unsigned one shows the JWT check is on; tests/test_teams_*.py drive signed ones in-process.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

from tests.conftest import TEACHER, TEST_KEYRING
from tests.teams.fixtures import DSL, DSL_CHANNEL, DSL_TEAM
from tests.teams.harness import APP_ID, TENANT
from tests.test_cli import ROOT
from tests.test_slack_check_config import ACADEMY as SLACK_ACADEMY
from tests.test_slack_serve import SECRET, free_port, post, wait_until_listening

TEAMS_ACADEMY = f"""
[[academy]]
key = "larchwood"
name = "Larchwood Academy"
teams_channel = "teams:{DSL_CHANNEL}"
teams_team = "{DSL_TEAM}"
tenant_id = "{TENANT}"
dsl_users = ["{DSL.id}"]
"""


def start(tmp_path, academies: str, **settings: str) -> subprocess.Popen:
    (tmp_path / "academies.toml").write_text(academies)
    prefixes = ("SLACK_", "YPSI_", "DATABASE_", "TEAMS_", "CLIENT_", "TENANT_", "DANGEROUSLY_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(PYTHONPATH=str(ROOT), YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(), **settings)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def teams_settings(port: int) -> dict[str, str]:
    return {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": "process-test-client-secret",
        "TEAMS_TENANT_ID": TENANT,
        "TEAMS_PORT": str(port),
    }


def activity_status(port: int, method: str = "POST") -> int:
    body = json.dumps({"type": "message", "text": "report", "serviceUrl": "https://evil.example"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/messages",
        data=body if method == "POST" else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    return code, process.stderr.read().decode() if process.stderr else ""


def test_ypsi_run_serves_teams_alone(tmp_path):
    port = free_port()
    process = start(tmp_path, TEAMS_ACADEMY, **teams_settings(port))
    try:
        wait_until_listening(port, process)
        assert activity_status(port) == 401  # no token: refused by the JWT check
        assert activity_status(port, "GET") == 405
    finally:
        code, log = stop(process)
    assert code == 0, log
    assert "listening for Teams" in log and "teams server stopped" in log
    assert "process-test-client-secret" not in log


def assert_stops_cleanly_once_listening(process: subprocess.Popen, port: int) -> None:
    """SIGTERM as soon as `port` accepts connections: the process stops cleanly, exit 0."""
    wait_until_listening(port, process)
    code, log = stop(process)
    assert code == 0, log
    assert "teams server stopped" in log


def slack_settings(slack_api, port: int) -> dict[str, str]:
    """Slack configured beside Teams, against the fake Slack."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "PORT": str(port),
    }


def test_a_stop_the_moment_teams_listens_is_graceful(tmp_path):
    for _ in range(3):  # the moment between listening and being ready is short: try it thrice
        port = free_port()
        assert_stops_cleanly_once_listening(start(tmp_path, TEAMS_ACADEMY, **teams_settings(port)), port)


def test_a_stop_the_moment_teams_listens_beside_slack_is_graceful(tmp_path, slack_api):
    """Both front ends: SIGTERM once Teams listens, before Slack may."""
    slack_port, teams_port = free_port(), free_port()
    settings = {**slack_settings(slack_api, slack_port), **teams_settings(teams_port)}
    process = start(tmp_path, SLACK_ACADEMY + TEAMS_ACADEMY, **settings)
    assert_stops_cleanly_once_listening(process, teams_port)


def test_ypsi_run_serves_slack_and_teams_in_one_process(tmp_path, slack_api):
    slack_port, teams_port = free_port(), free_port()
    settings = {**slack_settings(slack_api, slack_port), **teams_settings(teams_port)}
    process = start(tmp_path, SLACK_ACADEMY + TEAMS_ACADEMY, **settings)
    try:
        wait_until_listening(slack_port, process)
        wait_until_listening(teams_port, process)
        body = urlencode({"command": "/ypsi", "text": "help", "user_id": TEACHER, "team_id": "T0SCHOOLS00"})
        status, text = post(f"http://127.0.0.1:{slack_port}/slack/events", body)
        assert status == 200 and "/ypsi report" in text
        assert activity_status(teams_port) == 401
    finally:
        code, log = stop(process)
    assert code == 0, log
    assert "teams server stopped" in log
