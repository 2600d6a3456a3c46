"""Settings from `.env` (python-dotenv) and the environment, validated into one value.

Every problem is a ConfigError whose one line names the setting and how to fix it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from conversations.errors import ConfigError
from conversations.retention import DEFAULT_FILE as DEFAULT_RETENTION_FILE

DEFAULT_DATABASE_URL = "sqlite:///ypsi.db"
DEFAULT_ACADEMIES_FILE = "academies.toml"
DEFAULT_HOST = "127.0.0.1"  # loopback: a TLS reverse proxy on the same machine faces Slack


@dataclass(frozen=True)
class Settings:
    """Everything the process is configured with."""

    database_url: str
    academies_file: Path
    bot_token: str
    signing_secret: str
    app_token: str
    api_url: str
    port: int
    encryption_keys: str = ""
    retention_file: Path = DEFAULT_RETENTION_FILE
    host: str = DEFAULT_HOST

    @property
    def slack_enabled(self) -> bool:
        return bool(self.bot_token)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read `.env` then the environment (the environment wins) and validate every value."""
    if env is None:
        load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ
    settings = Settings(
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        academies_file=Path(env.get("YPSI_ACADEMIES_FILE", "").strip() or DEFAULT_ACADEMIES_FILE),
        bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
        signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
        app_token=env.get("SLACK_APP_TOKEN", "").strip(),
        api_url=_api_url(env.get("SLACK_API_URL", "").strip()),
        port=_port(env.get("PORT", "").strip() or "3000"),
        host=_host(env.get("HOST", "").strip() or DEFAULT_HOST),
        encryption_keys=env.get("YPSI_ENCRYPTION_KEYS", "").strip(),
        retention_file=Path(env.get("YPSI_RETENTION_FILE", "").strip() or DEFAULT_RETENTION_FILE),
    )
    _check_slack(settings)
    return settings


def _api_url(value: str) -> str:
    if not value:
        return ""
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"SLACK_API_URL '{value}' is not a URL: use e.g. https://slack.com/api/")
    return value if value.endswith("/") else value + "/"


def _host(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.:\-]+", value):
        raise ConfigError(f"HOST '{value}' must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0")
    return value


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"PORT '{value}' must be a number from 1 to 65535")
    return int(value)


def _check_slack(s: Settings) -> None:
    if s.bot_token and not s.bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be the bot token starting xoxb- (OAuth & Permissions)")
    if s.bot_token and not s.signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is missing: copy it from Basic Information > App Credentials")
    if s.app_token and not s.app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting xapp- (for Socket Mode)")
    if (s.signing_secret or s.app_token) and not s.bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is missing: set it, or remove the other SLACK_* settings to practise offline"
        )
