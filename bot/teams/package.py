"""The Teams app package: manifest.json and the two icons, zipped, as Teams admins upload it.

Written by `ypsi teams package` from the settings (the bot's Microsoft App ID) and the public
host of the messaging endpoint. The manifest (schema 1.17) declares one bot, in personal chats
(where staff report) and teams (the DSL channel), that takes no files, with the commands staff
type. Nothing here talks to Microsoft: the admin uploads the zip (README "Install in Microsoft
Teams").
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bot.teams.icons import accent_hex, color_icon, outline_icon
from conversations.errors import ConfigError

MANIFEST_VERSION = "1.17"
SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
DEFAULT_FILE = Path("ypsi-bot-teams.zip")
COLOR, OUTLINE = "color.png", "outline.png"
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# What staff type in the chat with the bot (Teams shows them as suggestions).
COMMANDS = (
    ("report", "Report a YPSI concern to your DSL team, or carry on with yours"),
    ("cases", "DSLs: the open cases of your academies"),
    ("help", "What ypsi-bot does and how to use it"),
)
SHORT_DESCRIPTION = "Report a concern about nudes shared by young people to your DSL"
FULL_DESCRIPTION = (
    "ypsi-bot helps school staff report a concern about nudes or semi-nudes shared by young people "
    '(YPSI, "sexting") privately to their academy\'s Designated Safeguarding Lead, following the '
    "academy's policy step by step, and helps the DSL team record every decision. It never asks "
    "for, accepts or keeps an image or file. If a young person is in danger now, call 999."
)


@dataclass(frozen=True)
class AppDetails:
    """What the manifest needs beyond the code: the bot's app id and where it is reached."""

    app_id: str
    domain: str  # the public host of https://<domain>/api/messages
    privacy_url: str = ""  # the school's or trust's privacy notice; the website if not given

    @property
    def website(self) -> str:
        return f"https://{self.domain}/"


def details(app_id: str, domain: str, privacy_url: str = "") -> AppDetails:
    """Checked app details; ConfigError names what to fix."""
    if not app_id:
        raise ConfigError(
            "TEAMS_APP_ID is missing: set it to the bot's Microsoft App ID (Azure Bot > Configuration)"
        )
    domain = domain.strip().lower().removeprefix("https://").rstrip("/")
    if not DOMAIN.match(domain):
        raise ConfigError(f"--domain '{domain}' must be the public host name of https://<host>/api/messages")
    if privacy_url and not privacy_url.startswith("https://"):
        raise ConfigError(f"--privacy-url '{privacy_url}' must be an https:// address")
    return AppDetails(app_id, domain, privacy_url)


def manifest(app: AppDetails) -> dict[str, Any]:
    """The app manifest (schema 1.17)."""
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version("ypsi-bot"),
        "id": app.app_id,
        "developer": {
            "name": "ypsi-bot",
            "websiteUrl": app.website,
            "privacyUrl": app.privacy_url or app.website,
            "termsOfUseUrl": app.website,
        },
        "name": {"short": "ypsi-bot", "full": "ypsi-bot: YPSI concerns to the DSL"},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOR, "outline": OUTLINE},
        "accentColor": accent_hex(),
        "bots": [
            {
                "botId": app.app_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [{"title": title, "description": text} for title, text in COMMANDS],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [app.domain],
    }


def write_package(app: AppDetails, out: Path) -> Path:
    """Write the zip (manifest.json, color.png, outline.png at its root) to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest(app), indent=2) + "\n")
        package.writestr(COLOR, color_icon())
        package.writestr(OUTLINE, outline_icon())
    return out
