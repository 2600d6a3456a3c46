"""Cases after the report: who may see them, and moving them through the lifecycle.

Every check is object-level: a DSL sees a case only when they are on that case's academy's
safeguarding team. A refusal is itself an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from conversations import audit, reminders
from conversations.context import Context
from conversations.errors import NotAllowedNow, NotAuthorised
from conversations.models import Case, Deletion
from conversations.references import find_case
from conversations.routing import STATUS_LABELS, Alert, alert_for
from state_machines import GuardFailed, StateMachineError
from state_machines import case as lifecycle

# A deletion is settled once confirmed, or waived with the rest of the case's deletion.
DELETION_SETTLED = ("confirmed", "waived")


@dataclass(frozen=True)
class CaseSummary:
    """One line of a case list: no pupil details, no free text."""

    reference: str
    academy_key: str
    state: str
    status_label: str
    urgent: bool
    owner_id: str | None
    reported_at: datetime


def summary(case: Case) -> CaseSummary:
    """The list line for a case row."""
    return CaseSummary(
        case.reference,
        case.academy_key,
        case.state,
        STATUS_LABELS[case.state],
        case.urgent,
        case.owner_id,
        case.created_at,
    )


def reports_of(ctx: Context, user_id: str) -> list[CaseSummary]:
    """The caller's own reports, newest first."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        rows = uow.session.scalars(select(Case).where(Case.reporter_id == user_id).order_by(Case.id.desc()))
        return [summary(c) for c in rows]


def open_cases(ctx: Context, user_id: str) -> list[CaseSummary]:
    """Open cases of the academies whose safeguarding team the caller is on, oldest first."""
    keys = [a.key for a in ctx.academies.dsl_of(user_id)]
    if not keys:
        raise NotAuthorised("not on any academy's safeguarding team")
    with ctx.db.unit_of_work(read_only=True) as uow:
        rows = uow.session.scalars(
            select(Case)
            .where(Case.academy_key.in_(keys), Case.state != lifecycle.CLOSED)
            .order_by(Case.urgent.desc(), Case.id)
        )
        return [summary(c) for c in rows]


def authorised_case(
    ctx: Context, session: Session, reference: str, user_id: str, *, lock: bool = False
) -> Case:
    """The case, if the caller is on its academy's safeguarding team; else audit and refuse."""
    case = find_case(session, reference, lock=lock)
    if not ctx.academies.get(case.academy_key).may_see_cases(user_id):
        refuse(ctx, case, user_id, "access refused")
        raise NotAuthorised(reference)
    return case


def refuse(ctx: Context, case: Case, user_id: str, reason: str) -> None:
    """Audit a refused attempt in its own transaction, so it survives the caller's rollback.

    The caller's transaction is ended first (the caller refuses next, so none of it is kept):
    on SQLite it holds the one write lock, which the refusal's transaction needs.
    """
    case_id, caller = case.id, object_session(case)
    if caller is not None:
        caller.rollback()
    with ctx.db.unit_of_work() as uow:
        audit.record(
            uow.session,
            action="access_refused",
            actor_id=user_id,
            at=ctx.clock(),
            case=uow.session.get(Case, case_id),
            reason=reason,
        )
        uow.commit()


def case_file(case: Case) -> lifecycle.CaseFile:
    """The lifecycle's view of a case row: its state, facts and deletions still unconfirmed."""
    session = object_session(case)
    pending = 0
    if session is not None:
        pending = session.scalar(
            select(func.count())
            .select_from(Deletion)
            .where(Deletion.case_id == case.id, Deletion.status.not_in(DELETION_SETTLED))
        )
    return lifecycle.CaseFile(state=case.state, facts=set(case.facts), deletions_pending=pending or 0)


def fire(ctx: Context, case: Case, trigger: str) -> tuple[str, str]:
    """Move a case row through the lifecycle machine; illegal moves become NotAllowedNow."""
    model = case_file(case)
    try:
        moved = lifecycle.MACHINE.fire(model, trigger)
    except GuardFailed as exc:
        raise NotAllowedNow("Not yet: record these first.", exc.missing) from exc
    except StateMachineError as exc:
        raise NotAllowedNow("That is not possible at this stage of the case.") from exc
    case.state = model.state
    case.updated_at = ctx.clock()
    session = object_session(case)
    if session is not None:
        reminders.reschedule(ctx, session, case, trigger)
    return moved


def acknowledge(ctx: Context, reference: str, user_id: str) -> Alert:
    """The caller takes ownership of a new case; returns the updated alert card."""
    with ctx.db.unit_of_work() as uow:
        case = authorised_case(ctx, uow.session, reference, user_id, lock=True)
        source, dest = fire(ctx, case, "acknowledge")
        case.owner_id = user_id
        audit.record(
            uow.session,
            action="acknowledged",
            actor_id=user_id,
            at=ctx.clock(),
            case=case,
            from_state=source,
            to_state=dest,
        )
        uow.commit()
        return alert_for(ctx, case)
