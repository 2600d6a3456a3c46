"""Teams settings: each missing or malformed value is one line naming the setting and the fix."""

from __future__ import annotations

import pytest

from bot.bootstrap import secrets_of
from bot.config import load_settings
from conversations.errors import ConfigError
from tests.teams.harness import APP_ID, TENANT

GOOD = {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "a-client-secret-value", "TEAMS_TENANT_ID": TENANT}


def test_teams_is_served_when_configured():
    settings = load_settings({**GOOD, "TEAMS_APP_ID": APP_ID.upper()})

    assert settings.teams_enabled and not settings.slack_enabled
    assert (settings.teams_app_id, settings.teams_host, settings.teams_port) == (APP_ID, "127.0.0.1", 3978)
    assert "a-client-secret-value" in secrets_of(settings)  # masked wherever a log line holds it


def test_no_teams_settings_means_no_teams():
    assert not load_settings({}).teams_enabled


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**GOOD, "TEAMS_APP_ID": "ypsi-bot"}, "TEAMS_APP_ID must be the bot's Microsoft App ID"),
        ({**GOOD, "TEAMS_APP_PASSWORD": ""}, "TEAMS_APP_PASSWORD is missing"),
        ({**GOOD, "TEAMS_TENANT_ID": ""}, "TEAMS_TENANT_ID must be your Microsoft 365 tenant id"),
        ({"TEAMS_APP_PASSWORD": "x"}, "TEAMS_APP_ID is missing"),
        ({**GOOD, "TEAMS_PORT": "99999"}, "TEAMS_PORT '99999' must be a number"),
        ({**GOOD, "TEAMS_HOST": "a host"}, "TEAMS_HOST 'a host' must be an address"),
    ],
)
def test_a_bad_teams_setting_is_one_line_naming_it(env, named):
    with pytest.raises(ConfigError) as raised:
        load_settings(env)

    assert named in str(raised.value) and "\n" not in str(raised.value)
