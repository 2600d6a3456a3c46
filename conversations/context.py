"""What every service needs, wired once by `bot.bootstrap` (or a test) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conversations.academies import Academies
from conversations.directory import Directory, NoDirectory
from conversations.guidance.policy import Guidance
from conversations.storage.db import Database


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """The database, the academies, the policy, the clock and the directory of names the services use."""

    db: Database
    academies: Academies
    guidance: Guidance
    clock: Callable[[], datetime] = system_clock
    directory: Directory = field(default_factory=NoDirectory)
