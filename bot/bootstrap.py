"""Wires the real pieces together in one place: settings → database → academies → services."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from bot.config import Settings
from bot.logs import configure_logging
from conversations.academies import DEMO, Academies, load_academies
from conversations.context import Context, system_clock
from conversations.directory import FileDirectory
from conversations.errors import ConfigError
from conversations.guidance.policy import load_guidance
from conversations.protection import keys
from conversations.protection.crypto import SETTING, Keyring, new_key
from conversations.scheduling import reminders
from conversations.storage.db import Database, pending_migrations, upgrade

PRACTICE_KEY_FILE = Path("ypsi.key")
T = TypeVar("T")


def academies_for(settings: Settings, *, practice: bool) -> Academies:
    """The configured academies; the practice console falls back to a demo academy when no file
    was named and the default one is absent."""
    if practice and not settings.academies_file_named and not settings.academies_file.exists():
        return DEMO
    return load_academies(settings.academies_file)


def build_context(
    settings: Settings,
    *,
    practice: bool = False,
    clock: Callable[[], datetime] = system_clock,
) -> Context:
    """Set up logging, connect and migrate the database, load academies and guidance.

    The practice console logs warnings only: it is interactive, and its person reads stdout.
    People are named from the academies file; the Slack app names them from Slack instead.
    """
    academies, keyring = configured(settings, practice=practice)
    db = Database.connect(settings.database_url, keyring)
    _one_line_database_errors(upgrade, db)
    keys.check(db, keyring)
    return Context(
        db=db, academies=academies, guidance=load_guidance(), clock=clock, directory=FileDirectory(academies)
    )


def configured(settings: Settings, *, practice: bool) -> tuple[Academies, Keyring]:
    """Logging on, the academies (with their reminder overrides) and the keys, all checked."""
    configure_logging(logging.WARNING if practice else logging.INFO, secrets_of(settings))
    academies = academies_for(settings, practice=practice)
    reminders.policy().check(academies.all())
    return academies, keyring_for(settings, practice=practice)


def database_status(settings: Settings, keyring: Keyring) -> tuple[Database | None, list[str]]:
    """The database as it is, changing nothing: (None, []) when its SQLite file does not exist
    yet, else the connection and the migrations still to apply."""
    url = settings.database_url
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
            raise ConfigError(f"DATABASE_URL: cannot create the SQLite file {path} (no such writable folder)")
        return None, []
    db = Database.connect(url, keyring)
    pending = _one_line_database_errors(pending_migrations, db)
    if not pending:
        keys.check(db, keyring)
    return db, pending


def _one_line_database_errors(step: Callable[[Engine], T], db: Database) -> T:
    try:
        return step(db.engine)
    except ConfigError:
        raise
    except Exception as exc:  # any driver error: report it as one line
        raise ConfigError(
            f"DATABASE_URL: cannot open or migrate the database ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0][:160]})"
        ) from None


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret, for the log filter to mask wherever one turns up."""
    keys = [item.partition(":")[2] for item in settings.encryption_keys.split(",")]
    return [
        settings.bot_token,
        settings.signing_secret,
        settings.app_token,
        settings.teams_app_password,
        *keys,
    ]


def keys_in_use(settings: Settings, *, practice: bool) -> str:
    """The keys as configured (`kid:base64key,…`): the setting, else the practice key file, else ""."""
    if settings.encryption_keys or not practice or not PRACTICE_KEY_FILE.exists():
        return settings.encryption_keys
    return PRACTICE_KEY_FILE.read_text().strip()


def keyring_for(settings: Settings, *, practice: bool) -> Keyring:
    """The configured keys; the practice console makes and keeps its own in ypsi.key."""
    if settings.encryption_keys:
        return Keyring.parse(settings.encryption_keys)
    if not practice:
        raise ConfigError(f"{SETTING} is missing: run `ypsi keys new` and put its line in .env")
    if not PRACTICE_KEY_FILE.exists():
        # O_EXCL with mode 0600: never readable by others, never overwriting a key in use.
        handle = os.open(PRACTICE_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w") as out:
            out.write(new_key("practice") + "\n")
    try:
        return Keyring.parse(PRACTICE_KEY_FILE.read_text().strip())
    except ConfigError as exc:
        raise ConfigError(f"{PRACTICE_KEY_FILE} (the practice key) is damaged: {exc}") from None
