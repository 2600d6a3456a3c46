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
