"""What every service needs, wired once by `bot.bootstrap` (or a test) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from conversations.academies import Academies
from conversations.db import Database
from conversations.policy import Guidance


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """The database, the academies, the policy and the clock the services run against."""

    db: Database
    academies: Academies
    guidance: Guidance
    clock: Callable[[], datetime] = system_clock
