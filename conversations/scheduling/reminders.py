"""Reminder rules: which reminders a case or draft should have now, kept as database rows.

`reschedule` is called wherever a case changes (cases.fire, the report services), and when a
draft starts, chooses its academy or ends; a draft's steps leave its reminders where they are,
and `postponed` moves one when it falls due after later activity (docs/decisions/0085);
it compares the reminders the rules want with the rows there are, cancels pending rows no
longer wanted and creates missing ones. A row's `details["key"]` names what it reminds of
(e.g. `deletion_overdue:2026-12-01:2026-12-02`): a key that already has a row (pending,
sent or cancelled) is never created again, so calling it twice changes nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.academies import Academy
from conversations.context import Context
from conversations.errors import ConfigError
from conversations.guidance.referral_points import unanswered_points
from conversations.scheduling.calendar import SchoolCalendar
from conversations.storage.models import Case, Deletion, Draft, ProcessedDelivery, Reminder

KINDS_FILE = Path(__file__).with_name("reminders.toml")
PENDING, CLAIMED, SENT, CANCELLED = "pending", "claimed", "sent", "cancelled"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RECIPIENTS = {"channel", "owner", "deputies", "principal", "teacher", "follow_up"}
DIGEST = "weekly_digest"


@dataclass(frozen=True)
class Kind:
    """One kind of reminder, as the data file describes it."""

    key: str
    label: str
    to: tuple[str, ...]
    title: str
    text: str
    buttons: tuple[str, ...]
    states: tuple[str, ...] = ()
    done_by: tuple[str, ...] = ()
    restarted_by: tuple[str, ...] = ()
    follows_urgency: bool = False
    merged_into: str = ""
    urgent_only: bool = False


@dataclass(frozen=True)
class Timings:
    """The timings of one academy: the data file's defaults with its overrides applied."""

    values: dict[str, Any]

    def minutes(self, name: str) -> timedelta:
        return timedelta(minutes=self.values[f"{name}_minutes"])

    def hours(self, name: str) -> timedelta:
        return timedelta(hours=self.values[f"{name}_hours"])

    def clock(self, name: str) -> time:
        return self.values[name]

    def calendar(self, academy: Academy | None) -> SchoolCalendar:
        """The academy's school calendar with these quiet hours."""
        return SchoolCalendar(
            quiet_until=self.values["quiet_until"],
            quiet_from=self.values["quiet_from"],
            morning=self.values["morning"],
            closures=frozenset(academy.closures) if academy else frozenset(),
            terms=academy.terms if academy else (),
        )


@dataclass(frozen=True)
class Policy:
    """Every kind of reminder, the default timings and the button labels."""

    kinds: dict[str, Kind]
    defaults: dict[str, Any]
    buttons: dict[str, str]

    def timings(self, academy: Academy | None) -> Timings:
        """The academy's timings (the defaults when no academy is known yet)."""
        overrides = academy.reminders if academy else {}
        where = f"academy '{academy.key}' [academy.reminders]" if academy else str(KINDS_FILE)
        return Timings({**self.defaults, **_timings(where, overrides, self.defaults)})

    def check(self, academies: list[Academy]) -> None:
        """Raise ConfigError for the first academy whose overrides are not valid timings."""
        for academy in academies:
            self.timings(academy)


@cache
def policy() -> Policy:
    """The reminder kinds and timings from the data file (validated once per process)."""
    data = tomllib.loads(KINDS_FILE.read_text(encoding="utf-8"))
    defaults = _timings(str(KINDS_FILE), data["timings"], None)
    kinds = {key: _kind(key, raw) for key, raw in data["kinds"].items()}
    for kind in kinds.values():
        if kind.merged_into and kind.merged_into not in kinds:
            raise ConfigError(f"{KINDS_FILE}: kind {kind.key}: merged_into '{kind.merged_into}' is unknown")
    return Policy(kinds, defaults, dict(data["buttons"]))


def _kind(key: str, raw: dict[str, Any]) -> Kind:
    kind = Kind(
        key=key,
        label=raw["label"],
        to=tuple(raw["to"]),
        title=raw["title"],
        text=raw["text"],
        buttons=tuple(raw["buttons"]),
        states=tuple(raw.get("states", ())),
        done_by=tuple(raw.get("done_by", ())),
        restarted_by=tuple(raw.get("restarted_by", ())),
        follows_urgency=bool(raw.get("follows_urgency", False)),
        merged_into=raw.get("merged_into", ""),
        urgent_only=bool(raw.get("urgent_only", False)),
    )
    if not set(kind.to) <= RECIPIENTS:
        raise ConfigError(f"{KINDS_FILE}: kind {key}: `to` must be among {sorted(RECIPIENTS)}")
    return kind


def _timings(where: str, raw: dict[str, Any], known: dict[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in raw.items():
        if known is not None and name not in known:
            raise ConfigError(f"{where}: '{name}' is not a reminder timing (one of {', '.join(known)})")
        clean[name] = _timing(where, name, value)
    return clean


def _timing(where: str, name: str, value: Any) -> Any:
    if name.endswith(("_minutes", "_hours")):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where}: {name} must be a whole number above 0, not {value!r}")
        return value
    if name == "digest_weekday":
        if str(value).lower() not in WEEKDAYS:
            raise ConfigError(f"{where}: digest_weekday must be a day name like 'monday', not {value!r}")
        return str(value).lower()
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f'{where}: {name} must be a time of day like "08:30", not {value!r}') from None


# --- what the rules want ------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """A reminder the rules want: `moves` lets a pending row follow a changed due time."""

    kind: str
    key: str
    due: datetime
    details: dict[str, Any] = field(default_factory=dict)
    create: bool = True
    moves: bool = True


def case_wants(ctx: Context, session: Session, case: Case, rows: list[Reminder]) -> list[Want]:
    """The reminders the rules want for a case in its current state."""
    if case.state not in {s for k in policy().kinds.values() for s in k.states}:
        return []
    academy = ctx.academies.get(case.academy_key)
    timings = policy().timings(academy)
    cal = timings.calendar(academy)
    now = ctx.clock()
    return [
        *_unacknowledged(case, timings, cal),
        *_unacknowledged_repeats(case, timings, rows),
        *_parents(case, timings, cal, now),
        *_referral(case, timings, cal, now),
        *_referral_indicated(ctx, case, timings, cal, rows),
        *_deletions(session, case, timings, cal, rows),
    ]


def _live(kind: str, case: Case) -> bool:
    spec = policy().kinds[kind]
    return case.state in spec.states and (case.urgent or not spec.urgent_only)


def _repeating(kind: str, first: datetime, every: timedelta, rows: list[Reminder], since: datetime) -> Want:
    """The next of a reminder that repeats until its step is recorded: `every` after the last one
    sent (a runner back from downtime sends one, not one per missed interval)."""
    sent = [r.sent_at for r in rows if r.kind == kind and r.sent_at is not None]
    due = max(sent) + every if sent else first
    return Want(kind, f"{kind}:{len(sent) + 1}", due, _since(since))


def _unacknowledged_repeats(case: Case, timings: Timings, rows: list[Reminder]) -> list[Want]:
    # Urgent and unacknowledged: repeat to the channel and the deputies, then the Principal too,
    # at any hour, until someone acknowledges.
    every = timings.minutes("urgent_repeat")
    firsts = {
        "unacknowledged_repeat": timings.minutes("unacknowledged_urgent") + every,
        "unacknowledged_principal": timings.minutes("principal"),
    }
    return [
        _repeating(kind, case.created_at + delay, every, rows, case.created_at)
        for kind, delay in firsts.items()
        if _live(kind, case)
    ]


def _referral_indicated(
    ctx: Context, case: Case, timings: Timings, cal: SchoolCalendar, rows: list[Reminder]
) -> list[Want]:
    kind = "referral_indicated"
    if not _live(kind, case) or not unanswered_points(ctx, case):
        return []
    want = _repeating(
        kind, case.created_at + timings.minutes(kind), timings.minutes(kind), rows, case.created_at
    )
    urgent = case.urgent and policy().kinds[kind].follows_urgency
    return [want if urgent else replace(want, due=cal.defer(want.due))]


def _unacknowledged(case: Case, timings: Timings, cal: SchoolCalendar) -> list[Want]:
    wants = []
    first = timings.minutes("unacknowledged_urgent" if case.urgent else "unacknowledged")
    for kind, delay in (("unacknowledged", first), ("unacknowledged_deputies", timings.minutes("deputies"))):
        if _live(kind, case):
            due = case.created_at + delay
            urgent = case.urgent and policy().kinds[kind].follows_urgency
            wants.append(Want(kind, kind, due if urgent else cal.defer(due), _since(case.created_at)))
    return wants


def _parents(case: Case, timings: Timings, cal: SchoolCalendar, now: datetime) -> list[Want]:
    if not _live("parents_pending", case) or "parents_decided" in case.facts:
        return []
    # Anchored on the moment the rule first applied (the acknowledgement): a later call keeps it.
    due = cal.defer(now + timings.hours("parents"))
    return [Want("parents_pending", "parents_pending", due, _since(now), moves=False)]


def _referral(case: Case, timings: Timings, cal: SchoolCalendar, now: datetime) -> list[Want]:
    # Created while a referral has no written follow-up yet, in whatever state the referral left
    # the case (a referral may be made at any point); anchored on when the rule first applied.
    outstanding = len(case.decisions.get("referred", [])) > len(case.decisions.get("referral_follow_up", []))
    wants = []
    for kind in ("referral_reminder", "referral_overdue"):
        if _live(kind, case):
            create = outstanding
            due = cal.defer(now + timings.hours(kind))
            wants.append(Want(kind, kind, due, _since(now), create=create, moves=False))
    return wants


def _deletions(
    session: Session, case: Case, timings: Timings, cal: SchoolCalendar, rows: list[Reminder]
) -> list[Want]:
    if not _live("deletion_due", case):
        return []
    pending = session.scalars(
        select(Deletion).where(Deletion.case_id == case.id, Deletion.status == "pending")
    )
    at = timings.clock("deletion_time")
    wants = []
    for deadline in sorted({deletion.deadline for deletion in pending}):
        details = {"deadline": deadline.isoformat()}
        wants.append(Want("deletion_due", f"deletion_due:{deadline}", cal.school_time(deadline, at), details))
        overdue = _next_overdue(cal, deadline, rows)
        if overdue is not None and not _snoozed(rows, "deletion_overdue", deadline):
            wants.append(
                Want(
                    "deletion_overdue", f"deletion_overdue:{deadline}:{overdue}", cal.at(overdue, at), details
                )
            )
    return wants


def _next_overdue(cal: SchoolCalendar, deadline: date, rows: list[Reminder]) -> date | None:
    """The next school day after the deadline and after the last overdue reminder sent.

    Counting from when the last one was *sent* (not from its due day) means a runner back
    from a long downtime sends one overdue reminder, not one per missed day.
    """
    sent = [
        cal.local_date(r.sent_at)
        for r in rows
        if r.kind == "deletion_overdue" and r.details.get("deadline") == deadline.isoformat() and r.sent_at
    ]
    return cal.next_school_day(max([deadline, *sent]))


def _snoozed(rows: list[Reminder], kind: str, deadline: date) -> bool:
    return any(
        r.kind == kind and r.details.get("snoozed_from") and r.details.get("deadline") == deadline.isoformat()
        for r in rows
        if r.state in (PENDING, CLAIMED)
    )


def draft_wants(ctx: Context, draft: Draft) -> list[Want]:
    """An open draft: nudge its author after a while, then tell the academy's DSLs."""
    if draft.status != "open":
        return []
    academy = ctx.academies.get(draft.academy_key) if draft.academy_key else None
    timings = policy().timings(academy)
    cal = timings.calendar(academy)
    since = _since(draft.updated_at)
    wants = [
        Want(
            "draft_nudge", "draft_nudge", cal.defer(draft.updated_at + timings.minutes("draft_nudge")), since
        )
    ]
    if academy is not None:
        due = cal.defer(draft.updated_at + timings.minutes("draft_dsl"))
        wants.append(Want("draft_dsl", "draft_dsl", due, {**since, "academy": academy.key}))
    return wants


def _since(moment: datetime) -> dict[str, Any]:
    return {"since": moment.isoformat()}


# --- applying them --------------------------------------------------------------------------


def reschedule(
    ctx: Context, session: Session, target: Case | Draft, trigger: str | None = None, *, new: bool = False
) -> None:
    """Bring the target's pending reminders in line with the rules (in the caller's transaction).

    `trigger`, when a case trigger was just fired, cancels the kinds it records as done. `new`:
    the target was created in this transaction, so it has no rows yet to read.
    """
    session.flush()
    rows = [] if new else _rows(session, target)
    if isinstance(target, Case):
        _retire(rows, {k.key for k in policy().kinds.values() if trigger in k.restarted_by})
        wants = case_wants(ctx, session, target, rows)
        done = {k.key for k in policy().kinds.values() if trigger in k.done_by}
    else:
        wants, done = draft_wants(ctx, target), set()
    wanted = {w.key: w for w in wants}
    by_key = {r.details.get("key"): r for r in rows}
    for row in rows:
        if row.state == PENDING and (row.kind in done or not _still_wanted(row, wanted, target)):
            _cancel(row, "recorded" if row.kind in done else "no longer due")
    created = []
    for want in wants:
        row = by_key.get(want.key)
        if row is None and want.create:
            created.append(_new_row(ctx, target, want))
        elif row is not None and row.state == PENDING and want.moves and row.due_at != want.due:
            row.due_at = want.due
            row.details = {**row.details, **want.details}
    session.flush()
    if created:  # one INSERT on the table for all of them: nothing reads the new rows back here
        session.execute(insert(Reminder.__table__), created)


def _retire(rows: list[Reminder], kinds: set[str]) -> None:
    # A trigger that starts a kind's clock again (a second referral after a reopen) retires the
    # earlier rows' keys, so the rules create fresh ones instead of finding the old, sent ones.
    for row in rows:
        if row.kind in kinds and "@" not in row.details.get("key", "@"):
            if row.state == PENDING:
                _cancel(row, "superseded")
            row.details = {**row.details, "key": f"{row.details['key']}@{row.id}"}


def _still_wanted(row: Reminder, wanted: dict[str, Want], target: Case | Draft) -> bool:
    if row.details.get("key") in wanted:
        return True
    # Snoozes and DSL-issued reminders are not produced by the rules: they live as long as
    # their kind still applies to the case.
    adhoc = row.details.get("snoozed_from") or row.details.get("requested_by")
    return bool(adhoc) and isinstance(target, Case) and _live(row.kind, target)


def still_wanted(ctx: Context, session: Session, row: Reminder) -> bool:
    """Whether a claimed reminder should still be sent (its case or draft has not moved on)."""
    if row.kind == DIGEST:
        return row.details.get("academy") in ctx.academies.by_key
    target = session.get(Case, row.case_id) if row.case_id else session.get(Draft, row.draft_id)
    if target is None or (target.academy_key and target.academy_key not in ctx.academies.by_key):
        return False  # gone, or its academy was removed from the academies file
    if isinstance(target, Case):
        rows = _rows(session, target)
        if _merged(row, rows, ctx.clock()):
            return False
        wants = case_wants(ctx, session, target, rows)
    else:
        wants = draft_wants(ctx, target)
    return _still_wanted(row, {w.key: w for w in wants}, target)


def postponed(ctx: Context, session: Session, row: Reminder) -> bool:
    """A claimed draft reminder moved to when the draft's latest activity makes it due, if later.

    A draft's reminders are written when the draft starts (and when its academy is chosen), not
    moved at every step: that was a read and a write of the reminder rows per step. When one
    falls due, the rules are applied to the draft as it is now; a step taken since puts it back
    as pending at the moment the rules give (the same moment a reschedule per step would have
    given), and it is not sent now.
    """
    if row.draft_id is None:
        return False
    draft = session.get(Draft, row.draft_id)
    want = (
        next((w for w in draft_wants(ctx, draft) if w.key == row.details.get("key")), None) if draft else None
    )
    if want is None or want.due <= row.due_at:
        return False
    row.state, row.due_at, row.lease_until = PENDING, want.due, None
    row.attempts = max(0, row.attempts - 1)  # not a failed try
    row.details = {**row.details, **want.details}
    return True


def _merged(row: Reminder, rows: list[Reminder], now: datetime) -> bool:
    """A later reminder of the same step (and deadline) is due too: it alone is sent."""
    later = policy().kinds[row.kind].merged_into
    return any(
        other.kind == later
        and other.state != CANCELLED
        and other.due_at <= now
        and other.details.get("deadline") == row.details.get("deadline")
        for other in rows
    )


def _rows(session: Session, target: Case | Draft) -> list[Reminder]:
    column = Reminder.case_id if isinstance(target, Case) else Reminder.draft_id
    return list(session.scalars(select(Reminder).where(column == target.id).order_by(Reminder.id)))


def _cancel(row: Reminder, reason: str) -> None:
    row.state = CANCELLED
    row.details = {**row.details, "cancelled": reason}


def _new_row(ctx: Context, target: Case | Draft, want: Want) -> dict[str, Any]:
    is_case = isinstance(target, Case)
    return {
        "kind": want.kind,
        "case_id": target.id if is_case else None,
        "draft_id": None if is_case else target.id,
        "due_at": want.due,
        "state": PENDING,
        "attempts": 0,
        "details": {"key": want.key, **want.details},
        "created_at": ctx.clock(),
        "lease_until": None,
        "sent_at": None,
    }


def add(
    ctx: Context, session: Session, case: Case, kind: str, due: datetime, details: dict[str, Any]
) -> Reminder:
    """Add a one-off reminder to a case (a snooze, or a deletion check the DSL asked for)."""
    count = len(_rows(session, case))
    row = Reminder(
        kind=kind,
        case_id=case.id,
        due_at=due,
        state=PENDING,
        attempts=0,
        details={"key": f"{kind}:extra:{count + 1}", **details},
        created_at=ctx.clock(),
    )
    session.add(row)
    session.flush()
    return row


# --- per academy: the weekly digest and sweeping -------------------------------------------


def ensure_digests(ctx: Context) -> int:
    """Create each academy's next weekly digest if no runner has yet; returns how many were new."""
    created = 0
    for academy in ctx.academies.all():
        timings = policy().timings(academy)
        due = _next_digest(timings, timings.calendar(academy), ctx.clock())
        key = f"reminder:{DIGEST}:{academy.key}:{due.date().isoformat()}"
        with ctx.db.unit_of_work() as uow:
            if uow.session.get(ProcessedDelivery, key) is not None:
                continue
            # The processed-deliveries key makes creation exactly-once across runner processes.
            uow.session.add(ProcessedDelivery(key=key, at=ctx.clock()))
            uow.session.add(
                Reminder(
                    kind=DIGEST,
                    due_at=due,
                    state=PENDING,
                    attempts=0,
                    details={"key": key, "academy": academy.key},
                    created_at=ctx.clock(),
                )
            )
            try:
                uow.commit()
                created += 1
            except IntegrityError:
                continue
    return created


def _next_digest(timings: Timings, cal: SchoolCalendar, now: datetime) -> datetime:
    local = cal.local_date(now)
    weekday = WEEKDAYS.index(timings.values["digest_weekday"])
    day = local + timedelta(days=(weekday - local.weekday()) % 7)
    due = cal.at(day, timings.clock("digest_time"))
    if due <= now:
        due = cal.at(day + timedelta(days=7), timings.clock("digest_time"))
    return cal.defer(due)


def sweep(ctx: Context) -> None:
    """Reschedule every open case and draft: picks up timing changes and late-recorded data."""
    with ctx.db.unit_of_work() as uow:
        targets: list[tuple[type[Case] | type[Draft], Any]] = [
            *((Case, i) for i in uow.session.scalars(select(Case.id).where(Case.state != "closed"))),
            *((Draft, i) for i in uow.session.scalars(select(Draft.id).where(Draft.status == "open"))),
        ]
    for model, key in targets:
        with ctx.db.unit_of_work() as uow:
            # FOR NO KEY UPDATE: audit events and reminders that reference the row by foreign key
            # (key-share locks) can still be written by other transactions meanwhile.
            query = select(model).where(model.id == key).with_for_update(key_share=True)
            target = uow.session.scalar(query)
            if target is not None:
                reschedule(ctx, uow.session, target)
                uow.commit()


@dataclass(frozen=True)
class Pending:
    """One pending reminder, for `ypsi reminders due` and the digest."""

    id: int
    kind: str
    due_at: datetime
    reference: str | None
    academy_key: str | None
    attempts: int


def pending(ctx: Context, *, until: datetime | None = None) -> list[Pending]:
    """Pending (and claimed) reminders, oldest first; only those due by `until` when given."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        query = (
            select(Reminder, Case.reference, Case.academy_key, Draft.academy_key)
            .outerjoin(Case, Reminder.case_id == Case.id)
            .outerjoin(Draft, Reminder.draft_id == Draft.id)
            .where(Reminder.state.in_((PENDING, CLAIMED)))
            .order_by(Reminder.due_at, Reminder.id)
        )
        if until is not None:
            query = query.where(Reminder.due_at <= until)
        return [
            Pending(
                r.id,
                r.kind,
                r.due_at,
                ref,
                case_academy or draft_academy or r.details.get("academy"),
                r.attempts,
            )
            for r, ref, case_academy, draft_academy in uow.session.execute(query)
        ]
