"""`ypsi run` as a process: HTTP mode on PORT answers signed Slack requests at /slack/events."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.conftest import TEACHER, TEST_KEYRING
from tests.test_cli import ROOT
from tests.test_slack_check_config import ACADEMY

SECRET = "process-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: str, secret: str = SECRET) -> tuple[int, str]:
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    """Poll until the port accepts connections (or the process died)."""
    for _ in range(600):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("ypsi run did not start listening")


def test_ypsi_run_serves_http(tmp_path, slack_api):
    (tmp_path / "academies.toml").write_text(ACADEMY)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "YPSI_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.url,
        PORT=str(port),
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_listening(port, process)
        url = f"http://127.0.0.1:{port}/slack/events"
        body = urlencode({"command": "/ypsi", "text": "help", "user_id": TEACHER, "team_id": "T0SCHOOLS00"})
        status, text = post(url, body)
        assert status == 200 and "/ypsi report" in text
        assert post(url, body, secret="wrong")[0] == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
