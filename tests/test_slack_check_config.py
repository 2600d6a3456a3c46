"""`ypsi check-config` with Slack configured asks Slack whether each DSL channel is safe to post in."""

from __future__ import annotations

from tests.conftest import TEST_KEYRING
from tests.test_cli import ypsi

ACADEMY = """
[[academy]]
key = "oakfield"
name = "Oakfield Academy"
dsl_channel = "C0OAKDSL000"
dsl_users = ["U0OAKDSL00"]
"""


def run_check(tmp_path, slack_api):
    (tmp_path / "academies.toml").write_text(ACADEMY)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack_api.url,
        "YPSI_ENCRYPTION_KEYS": TEST_KEYRING.line(),
    }
    return ypsi(["check-config"], tmp_path, **env)


def test_private_channel_with_the_bot_is_ok(tmp_path, slack_api):
    out = run_check(tmp_path, slack_api)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every DSL channel is private" in out.stdout
    assert [c.params["channel"] for c in slack_api.calls("conversations.info")] == ["C0OAKDSL000"]


def test_public_channel_is_reported(tmp_path, slack_api):
    slack_api.set_channel("C0OAKDSL000", is_private=False)
    out = run_check(tmp_path, slack_api)
    assert out.returncode == 1
    assert "problem: Oakfield Academy (C0OAKDSL000): the channel is public" in out.stdout
    assert "direct message" in out.stdout


def test_run_with_a_token_slack_refuses_is_one_line(tmp_path, slack_api):
    slack_api.fail("auth.test", "invalid_auth")
    (tmp_path / "academies.toml").write_text(ACADEMY)
    out = ypsi(
        ["run"],
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack_api.url,
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
    )
    assert out.returncode == 2, out.stderr
    # stderr may hold JSON log lines before it; the last line is the one-line explanation.
    assert out.stderr.strip().splitlines()[-1].startswith("ypsi: SLACK_BOT_TOKEN: Slack did not accept it")
    assert "Traceback" not in out.stderr and "xoxb-1" not in out.stderr
    assert slack_api.methods() == ["auth.test"]


def test_run_with_slack_unreachable_is_one_line(tmp_path, slack_api):
    (tmp_path / "academies.toml").write_text(ACADEMY)
    out = ypsi(
        ["run"],
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        YPSI_ENCRYPTION_KEYS=TEST_KEYRING.line(),
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("ypsi: SLACK_API_URL: cannot reach Slack")
    assert "Traceback" not in out.stderr
