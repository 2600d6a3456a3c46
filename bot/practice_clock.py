"""The practice console's simulated clock: move time forward and watch reminders fire offline.

`clock +2h`, `clock +30m`, `clock +1d`, `clock monday 08:00`, `clock 2026-12-24 08:30` or
`clock 17:45` (today, or tomorrow if already past). Time only moves forward, so nothing due
is skipped; after each move the due reminders are run and shown as they would be posted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from conversations.calendar import LONDON
from conversations.context import Context, system_clock
from conversations.reminder_messages import ReminderMessage
from conversations.runner import Runner

STEP = re.compile(r"^\+(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
USAGE = "Use e.g. `clock +2h`, `clock +30m`, `clock +1d`, `clock monday 08:00` or `clock 2026-12-24 08:30`."


@dataclass
class SimulatedClock:
    """The system clock plus an offset the person moves forward."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return system_clock() + self.offset

    def move_to(self, moment: datetime) -> None:
        """Jump forward to `moment` (never backwards)."""
        self.offset += max(moment - self(), timedelta())


def target(arg: str, now: datetime) -> datetime | None:
    """The moment `arg` names, relative to `now`; None if it is not understood."""
    arg = arg.strip().lower()
    step = STEP.match(arg)
    if step:
        return now + timedelta(**{UNITS[step.group(2)]: int(step.group(1))})
    parts = arg.split()
    try:
        at = time.fromisoformat(parts[-1]) if parts else None
    except ValueError:
        return None
    local = now.astimezone(LONDON)
    if at is None or len(parts) > 2:
        return None
    day = _day(parts[0], local.date()) if len(parts) == 2 else local.date()
    if day is None:
        return None
    moment = datetime.combine(day, at, tzinfo=LONDON)
    if moment <= now and len(parts) == 1:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def _day(word: str, today: date) -> date | None:
    if word in DAYS:
        return today + timedelta(days=(DAYS.index(word) - today.weekday() - 1) % 7 + 1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def render(message: ReminderMessage) -> list[str]:
    """A reminder as the console shows it: where it goes, its words and its buttons."""
    where = [f"the DSL channel {message.channel}"] if message.channel else []
    where += [f"a private message to <@{user}>" for user in message.users]
    lines = [f"--- reminder to {' and '.join(where)} ---"]
    lines.append(f"| {'URGENT: ' if message.urgent else ''}{message.title}")
    lines.append(f"| {message.text}")
    lines += [f"|   {line}" for line in message.lines]
    if message.buttons:
        lines.append("| " + " ".join(f"[{b.label}]" for b in message.buttons))
    lines.append("---")
    return lines


def clock_command(ctx: Context, arg: str, say: Callable[[str], None]) -> None:
    """Show the simulated time, or move it and run the reminders that fall due."""
    clock = ctx.clock
    if not isinstance(clock, SimulatedClock):
        say("The clock can only be moved in the practice console.")
        return
    if arg.strip():
        moment = target(arg, clock())
        if moment is None:
            say(USAGE)
            return
        clock.move_to(moment)
    say(f"It is now {clock().astimezone(LONDON):%a %d %b %Y %H:%M} (simulated).")
    if not arg.strip():
        return
    sent: list[ReminderMessage] = []
    runner = Runner(ctx, sent.append)
    runner.maintain()
    runner.drain()
    for message in sent:
        for line in render(message):
            say(line)
    if not sent:
        say("No reminders were due.")
