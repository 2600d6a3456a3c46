"""What the buttons on reminders do: confirm a deletion, extend the deadline, snooze, answer.

Each is a plain service: it checks the caller may act on the case (refusals are audited),
moves the case through `cases.fire` (which reschedules its reminders) and records an audit
event. The DSL can also send the deletion check to the member of staff following it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.casefile import cases, casework
from conversations.casefile.decisions import load_decisions
from conversations.context import Context
from conversations.delivery import replays
from conversations.dialogue import routing
from conversations.errors import InvalidAnswer, NotAllowedNow, NotAuthorised, NotFound
from conversations.protection import audit
from conversations.scheduling import reminders
from conversations.scheduling.calendar import LONDON
from conversations.scheduling.reminders import CLAIMED, PENDING, SENT, policy
from conversations.storage.models import Case, Deletion, Reminder

FOLLOW_UP = "deletion_follow_up"
EXTEND_DECISION = "deletion_extended"  # its "deadline" field bounds a new deadline here too


@dataclass(frozen=True)
class Scheduled:
    """A reminder just scheduled by a button or the DSL."""

    id: int
    kind: str
    due_at: datetime
    replayed: bool = False  # a replay of an interaction already recorded: nothing done again

    @classmethod
    def of(cls, row: Reminder) -> Scheduled:
        return cls(row.id, row.kind, row.due_at)

    def stored(self) -> replays.Outcome:
        """What a replay gets back."""
        return {"id": self.id, "kind": self.kind, "due_at": self.due_at.isoformat()}

    @classmethod
    def replay(cls, stored: replays.Outcome) -> Scheduled:
        return cls(stored["id"], stored["kind"], datetime.fromisoformat(stored["due_at"]), replayed=True)


@dataclass(frozen=True)
class DeletionProgress:
    """Where a case's deletion stands after an answer: what to tell the person."""

    reference: str
    pending: int
    all_confirmed: bool
    replayed: bool = False  # a replay of an interaction already recorded: nothing done again
    messages: tuple[int, ...] = ()  # outbox rows written with it (the card, once all are confirmed)


@dataclass(frozen=True)
class Extended:
    """A deadline moved: the new date, and the outbox rows written with it (the card, if it changed)."""

    deadline: date
    messages: tuple[int, ...] = ()
    replayed: bool = False  # a replay of an interaction already recorded: nothing done again


def _case(session: Session, case_id: int) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update(key_share=True))
    if case is None:
        raise NotFound("case")
    return case


def _allow(ctx: Context, case: Case, user_id: str, *also: str | None) -> None:
    if ctx.academies.get(case.academy_key).may_see_cases(user_id) or user_id in also:
        return
    cases.refuse(ctx, case, user_id, "reminder action refused")
    raise NotAuthorised(case.reference)


def _pending(session: Session, case: Case) -> list[Deletion]:
    query = select(Deletion).where(Deletion.case_id == case.id, Deletion.status == "pending")
    return list(session.scalars(query.order_by(Deletion.id)))


def confirm_deletion_for(ctx: Context, deletion_id: int, user_id: str) -> DeletionProgress:
    """Record that one young person's deletion is confirmed; the last one confirms the case's."""
    with ctx.db.unit_of_work() as uow:
        deletion = uow.session.get(Deletion, deletion_id)
        if deletion is None:
            raise NotFound("deletion")
        case = _case(uow.session, deletion.case_id)
        _allow(ctx, case, user_id, deletion.follow_up_user)
        confirming = deletion.status == "pending"
        if confirming:
            _confirm(ctx, uow.session, case, deletion, user_id)
        remaining = len(_pending(uow.session, case))
        messages = (
            (routing.queue_card_update(ctx, uow.session, case),) if confirming and not remaining else ()
        )
        uow.commit()
        return DeletionProgress(case.reference, remaining, remaining == 0, messages=messages)


def _confirm(ctx: Context, session: Session, case: Case, deletion: Deletion, user_id: str) -> None:
    now = ctx.clock()
    deletion.status, deletion.confirmed_at, deletion.confirmed_by = "confirmed", now, user_id
    session.flush()
    source, dest = cases.fire(ctx, case, "record_deletion_for")
    audit.record(
        session,
        action="deletion_confirmed_for",
        actor_id=user_id,
        at=now,
        case=case,
        from_state=source,
        to_state=dest,
        details={"deletion_id": deletion.id},
    )
    if _pending(session, case):
        return
    source, dest = cases.fire(ctx, case, "confirm_deletion")
    if "deletion_resolved" not in case.facts:
        case.facts = [*case.facts, "deletion_resolved"]
    audit.record(
        session,
        action="deletion_confirmed",
        actor_id=user_id,
        at=now,
        case=case,
        from_state=source,
        to_state=dest,
    )


def deletion_not_yet(
    ctx: Context, reminder_id: int, user_id: str, *, replay_key: str | None = None
) -> DeletionProgress:
    """Record "Not yet" from the member of staff asked to check the deletion (once per `replay_key`)."""
    with ctx.db.unit_of_work() as uow:
        row = _reminder(uow.session, reminder_id)
        if row.kind != FOLLOW_UP or row.case_id is None:
            raise NotAllowedNow("That answer belongs to a deletion check.")
        case = _case(uow.session, row.case_id)
        _allow(ctx, case, user_id, row.details.get("to"))
        done = replays.claim(uow.session, replay_key, ctx.clock())
        if done is not None:
            return DeletionProgress(**done, replayed=True)
        source, dest = cases.fire(ctx, case, "record_deletion_for")
        audit.record(
            uow.session,
            action="deletion_not_yet",
            actor_id=user_id,
            at=ctx.clock(),
            case=case,
            from_state=source,
            to_state=dest,
            details={"reminder_id": row.id},
        )
        progress = DeletionProgress(case.reference, len(_pending(uow.session, case)), False)
        replays.keep(
            uow.session,
            replay_key,
            {"reference": progress.reference, "pending": progress.pending, "all_confirmed": False},
        )
        uow.commit()
        return progress


def extend_deadline(
    ctx: Context,
    reference: str,
    user_id: str,
    deadline: date | None,
    reason: str | None,
    *,
    replay_key: str | None = None,
) -> Extended:
    """Move the deadline of the deletions still pending (a DSL only; a date and a reason are required).

    Once per `replay_key`: a replay returns the first outcome and changes nothing.
    """
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for the extension."
    today = ctx.clock().astimezone(LONDON).date()
    furthest = _furthest(today)
    if deadline is None or deadline <= today:
        errors["deadline"] = "Choose a date after today."
    elif furthest and deadline > furthest:
        errors["deadline"] = f"Choose a date by {furthest:%d %B %Y}."
    if errors:
        raise InvalidAnswer(errors)
    with ctx.db.unit_of_work() as uow:
        case = cases.authorised_case(ctx, uow.session, reference, user_id, lock=True)
        done = replays.claim(uow.session, replay_key, ctx.clock())
        if done is not None:
            return Extended(date.fromisoformat(done["deadline"]), replayed=True)
        pending = _pending(uow.session, case)
        if not pending:
            raise NotAllowedNow("No deletion is waiting on this case.")
        before = sorted({d.deadline.isoformat() for d in pending})
        for deletion in pending:
            deletion.deadline = deadline
        uow.session.flush()
        source, dest = cases.fire(ctx, case, "extend_deletion")
        # The reason is free text decisions.toml marks sensitive: it joins the case's history
        # (sealed, emptied by a purge) like the DSL's own "Extend" form; the audit event only
        # points at that entry (docs/decisions/0051-sensitive-text-stays-on-the-case.md).
        values = {"deadline": deadline.isoformat(), "reason": (reason or "").strip()}
        decision = load_decisions().get(EXTEND_DECISION)
        entry = casework.append_entry(case, decision, values, user_id, ctx.clock(), source, dest)
        audit.record(
            uow.session,
            action="deletion_deadline_extended",
            actor_id=user_id,
            at=ctx.clock(),
            case=case,
            from_state=source,
            to_state=dest,
            details={"from": before, "to": deadline.isoformat(), "entry": entry},
        )
        replays.keep(uow.session, replay_key, {"deadline": deadline.isoformat()})
        # A deletion overdue becomes requested again: its card shows the new status.
        messages = (routing.queue_card_update(ctx, uow.session, case),) if source != dest else ()
        uow.commit()
        return Extended(deadline, messages)


def _furthest(today: date) -> date | None:
    # The same limit as the DSL's "Extend the deletion deadline" form (decisions.toml), if any.
    [field] = [f for f in load_decisions().get(EXTEND_DECISION).fields if f.key == "deadline"]
    return today + timedelta(days=field.max) if field.max is not None else None


def snooze(ctx: Context, reminder_id: int, user_id: str) -> Scheduled:
    """Remind again one school day later (once per reminder: a second press changes nothing)."""
    with ctx.db.unit_of_work() as uow:
        row = _reminder(uow.session, reminder_id)
        if row.case_id is None or "snooze" not in policy().kinds[row.kind].buttons:
            raise NotAllowedNow("This reminder cannot be snoozed.")
        case = _case(uow.session, row.case_id)
        _allow(ctx, case, user_id, row.details.get("to"))
        existing = _snooze_of(uow.session, row)
        if existing is not None:
            return Scheduled.of(existing)
        if row.state != SENT or not reminders.still_wanted(ctx, uow.session, row):
            raise NotAllowedNow("This reminder is no longer current.")
        academy = ctx.academies.get(case.academy_key)
        due = policy().timings(academy).calendar(academy).one_school_day_later(ctx.clock())
        kept = {k: v for k, v in row.details.items() if k in ("since", "deadline", "to")}
        snoozed = reminders.add(ctx, uow.session, case, row.kind, due, {**kept, "snoozed_from": row.id})
        reminders.reschedule(ctx, uow.session, case)
        audit.record(
            uow.session,
            action="reminder_snoozed",
            actor_id=user_id,
            at=ctx.clock(),
            case=case,
            details={"kind": row.kind, "reminder_id": row.id, "until": due.isoformat()},
        )
        uow.commit()
        return Scheduled.of(snoozed)


def _snooze_of(session: Session, row: Reminder) -> Reminder | None:
    siblings = session.scalars(
        select(Reminder).where(Reminder.case_id == row.case_id, Reminder.state.in_((PENDING, CLAIMED)))
    )
    return next((r for r in siblings if r.details.get("snoozed_from") == row.id), None)


def request_deletion_check(
    ctx: Context,
    reference: str,
    dsl_user: str,
    to_user: str | None = None,
    *,
    replay_key: str | None = None,
) -> Scheduled:
    """The DSL sends the deletion check to whoever follows it up (default: the reporter).

    Once per `replay_key`: a replay returns the check first scheduled and sends no other.
    """
    with ctx.db.unit_of_work() as uow:
        case = cases.authorised_case(ctx, uow.session, reference, dsl_user, lock=True)
        done = replays.claim(uow.session, replay_key, ctx.clock())
        if done is not None:
            return Scheduled.replay(done)
        pending = _pending(uow.session, case)
        if not pending or case.state not in policy().kinds[FOLLOW_UP].states:
            raise NotAllowedNow("No deletion is waiting to be confirmed on this case.")
        to = to_user or pending[0].follow_up_user or case.reporter_id
        for deletion in pending:
            deletion.follow_up_user = to
        deadline = min(d.deadline for d in pending).isoformat()
        row = reminders.add(
            ctx,
            uow.session,
            case,
            FOLLOW_UP,
            ctx.clock(),
            {"to": to, "requested_by": dsl_user, "deadline": deadline},
        )
        audit.record(
            uow.session,
            action="deletion_check_requested",
            actor_id=dsl_user,
            at=ctx.clock(),
            case=case,
            details={"to": to, "reminder_id": row.id},
        )
        scheduled = Scheduled.of(row)
        replays.keep(uow.session, replay_key, scheduled.stored())
        uow.commit()
        return scheduled


def _reminder(session: Session, reminder_id: int) -> Reminder:
    row = session.get(Reminder, reminder_id)
    if row is None:
        raise NotFound("reminder")
    return row
