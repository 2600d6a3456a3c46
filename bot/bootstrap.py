"""Wires the real pieces together in one place: settings → database → academies → services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from conversations.academies import DEMO, Academies, load_academies
from conversations.context import Context, system_clock
from conversations.db import Database, upgrade
from conversations.errors import ConfigError
from conversations.policy import load_guidance


def academies_for(settings: Settings, *, practice: bool) -> Academies:
    """The configured academies; the practice console falls back to a demo academy."""
    if practice and not settings.academies_file.exists():
        return DEMO
    return load_academies(settings.academies_file)


def build_context(
    settings: Settings,
    *,
    practice: bool = False,
    clock: Callable[[], datetime] = system_clock,
    migrate: bool = True,
) -> Context:
    """Connect and (by default) migrate the database, then load academies and guidance."""
    academies = academies_for(settings, practice=practice)
    db = Database.connect(settings.database_url)
    if migrate:
        try:
            upgrade(db.engine)
        except Exception as exc:  # any driver error: report it as one line
            raise ConfigError(
                f"DATABASE_URL: cannot open or migrate the database ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0][:160]})"
            ) from None
    return Context(db=db, academies=academies, guidance=load_guidance(), clock=clock)
