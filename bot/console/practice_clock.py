"""Reminders in the practice console: a simulated clock, and the reminder buttons as commands.

`clock +2h`, `clock +30m`, `clock +1d`, `clock monday 08:00`, `clock 2026-12-24 08:30` or
`clock 17:45` (today, or tomorrow if already past). Time only moves forward, so nothing due
is skipped; after each move the due reminders are run and shown as they would be posted, each
button with the `press …` command that does what the button does in Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from conversations import practice
from conversations.casefile import cases
from conversations.context import Context, system_clock
from conversations.scheduling import reminder_actions
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminder_messages import Button, ButtonAction, ReminderMessage
from conversations.scheduling.runner import Runner
from conversations.storage.db import Database

STEP = re.compile(r"^\+(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PRESS_USAGE = "Use the `press …` shown under a reminder, e.g. `press snooze 12`."
USAGE = "Use e.g. `clock +2h`, `clock +30m`, `clock +1d`, `clock monday 08:00` or `clock 2026-12-24 08:30`."


@dataclass
class SimulatedClock:
    """The system clock plus an offset the person moves forward, kept in the practice database
    once `keep_in` names it (so a restart resumes the simulated time)."""

    offset: timedelta = field(default_factory=timedelta)
    db: Database | None = None

    def __call__(self) -> datetime:
        return system_clock() + self.offset

    def keep_in(self, db: Database) -> None:
        """Resume the offset stored in `db`, and store every later move there."""
        self.db = db
        self.offset = max(self.offset, practice.clock_offset(db))

    def move_to(self, moment: datetime) -> None:
        """Jump forward to `moment` (never backwards)."""
        self.offset += max(moment - self(), timedelta())
        if self.db is not None:
            practice.keep_clock_offset(self.db, self.offset)


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


def render(message: ReminderMessage, *, hints: bool = False) -> list[str]:
    """A reminder as the console shows it: where it goes, its words, its buttons (and commands)."""
    where = [f"the DSL channel {message.channel}"] if message.channel else []
    where += [f"a private message to <@{user}>" for user in message.users]
    lines = [f"--- reminder to {' and '.join(where)} ---"]
    lines.append(f"| {'URGENT: ' if message.urgent else ''}{message.title}")
    lines.append(f"| {message.text}")
    lines += [f"|   {line}" for line in message.lines]
    if message.buttons:
        lines.append("| " + " ".join(f"[{b.label}]" for b in message.buttons))
    if hints:
        lines += [f"  [{b.label}]: {_hint(b)}" for b in message.buttons]
    lines.append("---")
    return lines


def _hint(button: Button) -> str:
    if button.action is ButtonAction.OPEN_CASE:
        return f"open {button.value}"
    if button.action is ButtonAction.RESUME_REPORT:
        return "report"
    if button.action is ButtonAction.CONFIRM_DELETION:
        return f"decide {button.value}"
    if button.action is ButtonAction.EXTEND_DEADLINE:
        return f"press extend_deadline {button.value} YYYY-MM-DD reason"
    return f"press {button.action} {button.value}"


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
    if arg.strip():
        run_due(ctx, say)


def run_due(ctx: Context, say: Callable[[str], None]) -> None:
    """Run the reminders due now and show each as it would be posted."""
    sent: list[ReminderMessage] = []
    runner = Runner(ctx, sent.append)
    runner.maintain()
    runner.drain()
    for message in sent:
        for line in render(message, hints=True):
            say(line)
    if not sent:
        say("No reminders were due.")


def press_command(ctx: Context, user: str, arg: str, say: Callable[[str], None]) -> None:
    """Do what a reminder button does: `press ACTION VALUE` (extend: `… REF DATE REASON`)."""
    parts = arg.split(maxsplit=3)
    try:
        action, value = ButtonAction(parts[0]), parts[1]
        say(_press(ctx, user, action, value, parts[2:]))
    except (IndexError, ValueError):
        say(PRESS_USAGE)


def _press(ctx: Context, user: str, action: ButtonAction, value: str, rest: list[str]) -> str:
    if action is ButtonAction.ACKNOWLEDGE:
        return f"{cases.acknowledge(ctx, value, user).reference} acknowledged: you own it."
    if action is ButtonAction.SNOOZE:
        due = reminder_actions.snooze(ctx, int(value), user).due_at.astimezone(LONDON)
        return f"Snoozed: it comes back {due:%a %d %b %H:%M}."
    if action is ButtonAction.DELETION_CONFIRMED_FOR:
        progress = reminder_actions.confirm_deletion_for(ctx, int(value), user)
        if progress.all_confirmed:
            return f"Recorded. Deletion is confirmed for everyone on {progress.reference}."
        return f"Recorded. {progress.pending} still to confirm on {progress.reference}."
    if action is ButtonAction.NOT_YET:
        reference = reminder_actions.deletion_not_yet(ctx, int(value), user).reference
        return f"Recorded on {reference}: not yet. The DSL can see it on the case."
    if action is ButtonAction.EXTEND_DEADLINE:
        deadline = date.fromisoformat(rest[0])
        reminder_actions.extend_deadline(ctx, value, user, deadline, rest[1] if len(rest) > 1 else "")
        return f"Deadline moved to {deadline:%a %d %b %Y}; the reminders follow it."
    return PRESS_USAGE


def remind_command(ctx: Context, user: str, reference: str, say: Callable[[str], None]) -> None:
    """(DSL) Send the deletion check to whoever follows it up, and show it being sent."""
    reminder_actions.request_deletion_check(ctx, reference.strip().upper(), user)
    run_due(ctx, say)
