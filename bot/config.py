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
from dotenv.parser import parse_stream

from conversations.errors import ConfigError
from conversations.protection.retention import DEFAULT_FILE as DEFAULT_RETENTION_FILE

DEFAULT_DATABASE_URL = "sqlite:///ypsi.db"
DEFAULT_ACADEMIES_FILE = "academies.toml"
# SQLAlchemy URL schemes of the two databases the product supports, with the driver it installs.
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
DEFAULT_HOST = "127.0.0.1"  # loopback: a TLS reverse proxy on the same machine faces Slack
DEFAULT_TEAMS_PORT = 3978  # the port Bot Framework samples and the Teams toolkit use
# An Entra (Azure AD) application or tenant id: a GUID.
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


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
    # Named by YPSI_ACADEMIES_FILE rather than the default: then it must exist, even to practise.
    academies_file_named: bool = False
    host: str = DEFAULT_HOST
    teams_app_id: str = ""
    teams_app_password: str = ""
    teams_tenant_id: str = ""
    teams_host: str = DEFAULT_HOST
    teams_port: int = DEFAULT_TEAMS_PORT

    @property
    def slack_enabled(self) -> bool:
        return bool(self.bot_token)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read `.env` then the environment (the environment wins) and validate every value."""
    if env is None:
        _load_env_file(Path.cwd() / ".env")
        env = os.environ
    academies_file = env.get("YPSI_ACADEMIES_FILE", "").strip()
    settings = Settings(
        database_url=_database_url(env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL),
        academies_file=Path(academies_file or DEFAULT_ACADEMIES_FILE),
        academies_file_named=bool(academies_file),
        bot_token=env.get("SLACK_BOT_TOKEN", "").strip(),
        signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
        app_token=env.get("SLACK_APP_TOKEN", "").strip(),
        api_url=_api_url(env.get("SLACK_API_URL", "").strip()),
        port=_port(env.get("PORT", "").strip() or "3000"),
        host=_host(env.get("HOST", "").strip() or DEFAULT_HOST),
        encryption_keys=env.get("YPSI_ENCRYPTION_KEYS", "").strip(),
        retention_file=Path(env.get("YPSI_RETENTION_FILE", "").strip() or DEFAULT_RETENTION_FILE),
        teams_app_id=env.get("TEAMS_APP_ID", "").strip().lower(),
        teams_app_password=env.get("TEAMS_APP_PASSWORD", "").strip(),
        teams_tenant_id=env.get("TEAMS_TENANT_ID", "").strip().lower(),
        teams_host=_host(env.get("TEAMS_HOST", "").strip() or DEFAULT_HOST, "TEAMS_HOST"),
        teams_port=_port(env.get("TEAMS_PORT", "").strip() or str(DEFAULT_TEAMS_PORT), "TEAMS_PORT"),
    )
    _check_slack(settings)
    _check_teams(settings)
    return settings


def _load_env_file(path: Path) -> None:
    """Load `.env`, refusing a line python-dotenv cannot parse (it would only warn and skip it)."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                raise ConfigError(
                    f"{path.name} line {binding.original.line}: not a NAME=value setting; "
                    "fix or remove it (see .env.example)"
                )
    load_dotenv(path, override=False)


def _database_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value  # not a URL at all: make_engine names it with the accepted forms
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL scheme '{scheme}' is not supported: use sqlite:///ypsi.db "
            "or postgresql+psycopg://user@host/dbname"
        )
    if scheme == "sqlite" and rest in ("", "/", "/:memory:"):
        raise ConfigError(
            "DATABASE_URL is an in-memory SQLite database, lost when the process stops: "
            "use a file, e.g. sqlite:///ypsi.db"
        )
    return value


def _api_url(value: str) -> str:
    if not value:
        return ""
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"SLACK_API_URL '{value}' is not a URL: use e.g. https://slack.com/api/")
    return value if value.endswith("/") else value + "/"


def _host(value: str, name: str = "HOST") -> str:
    if not re.fullmatch(r"[A-Za-z0-9.:\-]+", value):
        raise ConfigError(f"{name} '{value}' must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0")
    return value


def _port(value: str, name: str = "PORT") -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"{name} '{value}' must be a number from 1 to 65535")
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


def _check_teams(s: Settings) -> None:
    if s.teams_app_id and not GUID.match(s.teams_app_id):
        raise ConfigError(
            "TEAMS_APP_ID must be the bot's Microsoft App ID, a GUID (Azure Bot > Configuration)"
        )
    if s.teams_app_id and not s.teams_app_password:
        raise ConfigError(
            "TEAMS_APP_PASSWORD is missing: create a client secret (Entra app registration > "
            "Certificates & secrets) and put its value here"
        )
    if s.teams_app_id and not GUID.match(s.teams_tenant_id):
        raise ConfigError(
            "TEAMS_TENANT_ID must be your Microsoft 365 tenant id, a GUID (Entra admin centre > Overview)"
        )
    if (s.teams_app_password or s.teams_tenant_id) and not s.teams_app_id:
        raise ConfigError(
            "TEAMS_APP_ID is missing: set it, or remove the other TEAMS_* settings to run without Teams"
        )
