"""`ypsi run` as a process: HTTP on PORT at /slack/events, or Socket Mode with SLACK_APP_TOKEN."""

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
from tests.slack.fake_socket import FakeSocketMode
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
        assert process.poll() is None, "ypsi run stopped"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("ypsi run did not start listening")


def start_ypsi_run(tmp_path, slack_api, **settings: str) -> subprocess.Popen:
    """`ypsi run` in a child process, configured for the fake Slack."""
    (tmp_path / "academies.toml").write_text(ACADEMY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "YPSI_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.url,
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
        **settings,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_ypsi_run_serves_http(tmp_path, slack_api):
    port = free_port()
    process = start_ypsi_run(tmp_path, slack_api, PORT=str(port))
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


def test_ypsi_run_in_socket_mode_acks_over_the_websocket(tmp_path, slack_api):
    socket_mode = FakeSocketMode()
    slack_api.socket_mode_url = socket_mode.url
    process = start_ypsi_run(tmp_path, slack_api, SLACK_APP_TOKEN="xapp-1")
    try:
        assert socket_mode.connected.wait(timeout=60), "ypsi run did not connect"
        command = {"command": "/ypsi", "user_id": TEACHER, "team_id": "T0SCHOOLS00", "trigger_id": "9.t"}
        socket_mode.send(envelope("E1", {**command, "text": "help"}))
        ack = socket_mode.ack()
        assert ack["envelope_id"] == "E1" and "/ypsi report" in ack["payload"]["text"]

        socket_mode.send(envelope("E2", {**command, "text": "report"}))
        assert socket_mode.ack()["envelope_id"] == "E2"
        wait_for_call(slack_api, "views.open", process)
        assert slack_api.calls("apps.connections.open")
    finally:
        process.terminate()
        process.wait(timeout=30)
        socket_mode.close()


def envelope(envelope_id: str, payload: dict) -> dict:
    """A Socket Mode envelope carrying a slash command."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


def wait_for_call(slack_api, method: str, process: subprocess.Popen) -> None:
    """Poll the fake until the app (working after its ack) has called `method`."""
    for _ in range(600):
        if slack_api.calls(method):
            return
        assert process.poll() is None, "ypsi run stopped"
        time.sleep(0.05)
    raise AssertionError(f"{method} was never called")
