"""What a reminder says and to whom, as plain data: the Slack layer and the console render it.

Channel messages carry the reference, academy, status and times only. The per-person
"Deletion confirmed for …" buttons (which show a pseudonym) go only in a direct message to
the member of staff following the deletion up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.context import Context
from conversations.delivery.outbox import dead_letters_in
from conversations.dialogue.routing import STATUS_LABELS
from conversations.protection import audit
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminders import DIGEST, PENDING, policy
from conversations.storage.models import Case, Deletion, Draft, Reminder

DIGEST_LOOKBACK = timedelta(days=7)  # the weekly digest lists messages given up since the last one


class ButtonAction(StrEnum):
    """What a reminder button does; each maps to one service in `reminder_actions`."""

    ACKNOWLEDGE = "acknowledge"  # value: case reference (cases.acknowledge)
    OPEN_CASE = "open_case"  # value: case reference
    SNOOZE = "snooze"  # value: reminder id (reminder_actions.snooze)
    CONFIRM_DELETION = "confirm_deletion"  # value: case reference (opens the per-person choice)
    EXTEND_DEADLINE = "extend_deadline"  # value: case reference; asks a new date and a reason
    DELETION_CONFIRMED_FOR = "deletion_confirmed_for"  # value: deletion id
    NOT_YET = "not_yet"  # value: reminder id
    RESUME_REPORT = "resume_report"  # value: draft id


@dataclass(frozen=True)
class Button:
    """A button as plain data: `needs_reason` asks the front end for a reason first."""

    action: ButtonAction
    label: str
    value: str
    needs_reason: bool = False


@dataclass(frozen=True)
class ReminderMessage:
    """One reminder to deliver: to the channel (if any) and privately to each user."""

    reminder_id: int
    kind: str
    academy_key: str
    reference: str | None
    channel: str | None
    users: tuple[str, ...]
    title: str
    text: str
    lines: tuple[str, ...]
    buttons: tuple[Button, ...]
    urgent: bool


def compose(ctx: Context, session: Session, row: Reminder) -> ReminderMessage:
    """The message for a reminder row (whose case or draft is still current)."""
    if row.kind == DIGEST:
        return _digest(ctx, session, row)
    if row.case_id is not None:
        return _for_case(ctx, session, row, session.get(Case, row.case_id))
    return _for_draft(ctx, row, session.get(Draft, row.draft_id))


def current(ctx: Context, reminder_id: int) -> ReminderMessage | None:
    """The message a reminder makes now, for a front end that is not sent it back with a click
    (Teams) and redraws it once answered; None when the reminder, its case or its draft is gone.
    Reads only, and authorises no one: show it only once a service has authorised the click."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        row = uow.session.get(Reminder, reminder_id)
        if row is None or not _still_there(uow.session, row):
            return None
        return compose(ctx, uow.session, row)


def _still_there(session: Session, row: Reminder) -> bool:
    if row.case_id is not None:
        return session.get(Case, row.case_id) is not None
    if row.draft_id is not None:
        return session.get(Draft, row.draft_id) is not None
    return row.kind == DIGEST


def _for_case(ctx: Context, session: Session, row: Reminder, case: Case) -> ReminderMessage:
    academy = ctx.academies.get(case.academy_key)
    kind = policy().kinds[row.kind]
    pending = list(
        session.scalars(select(Deletion).where(Deletion.case_id == case.id, Deletion.status == "pending"))
    )
    deadline = row.details.get("deadline") or (
        min(d.deadline for d in pending).isoformat() if pending else ""
    )
    fields = {
        "reference": case.reference,
        "academy": academy.name,
        "teacher": case.reporter_id,
        "since": _when(row.details.get("since")),
        "deadline": deadline,
        # Counted now, not when scheduled: a young person confirmed meanwhile is not counted.
        "count": sum(1 for d in pending if deadline in ("", d.deadline.isoformat())),
    }
    principal = (academy.principal_user,) if academy.principal_user else academy.dsl_users
    channel, users = _targets(
        kind.to, academy.destination, case, row, academy.deputy_users or academy.dsl_users, principal
    )
    buttons = tuple(b for name in kind.buttons for b in _buttons(name, row, case, pending))
    return ReminderMessage(
        reminder_id=row.id,
        kind=row.kind,
        academy_key=academy.key,
        reference=case.reference,
        channel=channel,
        users=users,
        title=kind.title.format(**fields),
        text=kind.text.format(**fields),
        lines=(),
        buttons=buttons,
        urgent=case.urgent and kind.follows_urgency,
    )


def _targets(
    to: tuple[str, ...],
    channel: str,
    case: Case,
    row: Reminder,
    deputies: tuple[str, ...],
    principal: tuple[str, ...],
) -> tuple[str | None, tuple[str, ...]]:
    users: list[str] = []
    send_channel = "channel" in to
    for recipient in to:
        if recipient == "owner" and case.owner_id:
            users.append(case.owner_id)
        elif recipient == "owner":
            send_channel = True  # nobody owns it yet: the team sees it instead
        elif recipient == "deputies":
            users.extend(deputies)
        elif recipient == "principal":
            users.extend(principal)
        elif recipient == "follow_up":
            users.append(row.details.get("to") or case.reporter_id)
    return (channel if send_channel else None), tuple(dict.fromkeys(users))


def _buttons(name: str, row: Reminder, case: Case, pending: list[Deletion]) -> list[Button]:
    labels = policy().buttons
    action = ButtonAction(name)
    if action is ButtonAction.DELETION_CONFIRMED_FOR:
        label = labels[name]
        return [Button(action, label.format(pseudonym=d.pseudonym), str(d.id)) for d in pending]
    if action in (ButtonAction.SNOOZE, ButtonAction.NOT_YET):
        return [Button(action, labels[name], str(row.id))]
    needs_reason = action is ButtonAction.EXTEND_DEADLINE
    return [Button(action, labels[name], case.reference, needs_reason=needs_reason)]


def _for_draft(ctx: Context, row: Reminder, draft: Draft) -> ReminderMessage:
    kind = policy().kinds[row.kind]
    academy = ctx.academies.get(draft.academy_key) if draft.academy_key else None
    fields = {
        "academy": academy.name if academy else "",
        "teacher": draft.user_id,
        "since": _when(row.details.get("since")),
    }
    to_channel = "channel" in kind.to and academy is not None
    buttons = tuple(Button(ButtonAction(b), policy().buttons[b], draft.id) for b in kind.buttons)
    return ReminderMessage(
        reminder_id=row.id,
        kind=row.kind,
        academy_key=academy.key if academy else "",
        reference=None,
        channel=academy.destination if to_channel else None,
        users=(draft.user_id,) if "teacher" in kind.to else (),
        title=kind.title.format(**fields),
        text=kind.text.format(**fields),
        lines=(),
        buttons=buttons,
        urgent=False,
    )


def _digest(ctx: Context, session: Session, row: Reminder) -> ReminderMessage:
    academy = ctx.academies.get(row.details["academy"])
    kind = policy().kinds[DIGEST]
    cases = list(
        session.scalars(
            select(Case).where(Case.academy_key == academy.key, Case.state != "closed").order_by(Case.id)
        )
    )
    lines = tuple(_digest_line(session, c) for c in cases) or ("No open cases.",)
    lines += _dead_letter_lines(session, academy.key, ctx.clock() - DIGEST_LOOKBACK)
    checkpoint = audit.latest_digest(session.connection()) or "none yet"
    fields: dict[str, Any] = {"academy": academy.name, "count": len(cases), "checkpoint": checkpoint}
    return ReminderMessage(
        reminder_id=row.id,
        kind=DIGEST,
        academy_key=academy.key,
        reference=None,
        channel=academy.destination,
        users=(),
        title=kind.title.format(**fields),
        text=kind.text.format(**fields),
        lines=lines,
        buttons=(),
        urgent=False,
    )


def _digest_line(session: Session, case: Case) -> str:
    due = session.scalar(
        select(Reminder)
        .where(Reminder.case_id == case.id, Reminder.state == PENDING)
        .order_by(Reminder.due_at)
        .limit(1)
    )
    urgent = "URGENT " if case.urgent else ""
    line = f"{case.reference}: {urgent}{STATUS_LABELS[case.state]}"
    if due is not None:
        line += f"; next: {policy().kinds[due.kind].label}, {_when(due.due_at.isoformat())}"
    return line


def _dead_letter_lines(session: Session, academy_key: str, since: datetime) -> tuple[str, ...]:
    # Names the kind, the case and why, never the content or who it was for (a channel message).
    dead = dead_letters_in(session, academy_key=academy_key, since=since)
    if not dead:
        return ()
    lines = [f"Not delivered in the last 7 days ({len(dead)}), given up after retrying:"]
    for d in dead:
        what = policy().kinds[d.reminder_kind].label if d.reminder_kind in policy().kinds else d.label
        to = "the DSL channel" if d.recipient_kind == "channel" else "a direct message"
        lines.append(f"• {d.reference or 'no case'}: {what}, to {to} ({d.error}), {_when(d.at.isoformat())}")
    return tuple(lines)


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(LONDON).strftime("%a %d %b %H:%M")


def as_data(message: ReminderMessage) -> dict[str, Any]:
    """The message as plain JSON data (an outbox row's payload)."""
    data = asdict(message)
    data["buttons"] = [asdict(b) for b in message.buttons]
    return data


def from_data(data: dict[str, Any]) -> ReminderMessage:
    """The message back from `as_data` (extra keys, e.g. a fallback's problem, are ignored)."""
    buttons = tuple(
        Button(ButtonAction(b["action"]), b["label"], b["value"], b["needs_reason"]) for b in data["buttons"]
    )
    names = {f.name for f in fields(ReminderMessage)} - {"buttons", "users", "lines"}
    values = {k: data[k] for k in names}
    return ReminderMessage(**values, users=tuple(data["users"]), lines=tuple(data["lines"]), buttons=buttons)
