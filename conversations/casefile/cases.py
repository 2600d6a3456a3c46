"""Cases after the report: who may see them, and moving them through the lifecycle.

Every check is object-level: a DSL sees a case only when they are on that case's academy's
safeguarding team. A refusal is itself an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from conversations.casefile.references import find_case
from conversations.context import Context
from conversations.dialogue.routing import STATUS_LABELS, Alert, alert_for
from conversations.errors import NotAllowedNow, NotAuthorised
from conversations.guidance.referral_points import referral_points, unanswered_points
from conversations.protection import audit
from conversations.scheduling import reminders
from conversations.storage.models import Case, Deletion
from state_machines import GuardFailed, StateMachineError
from state_machines import case as lifecycle

# A deletion is settled once confirmed, or waived with the rest of the case's deletion; a
# paused one (the case was referred after it was requested) is no longer awaited either.
DELETION_SETTLED = ("confirmed", "waived", "paused")
PARENTS_DECISIONS = ("parents_informed", "parents_not_informed", "parents_informed_later")
# History facts that hold once a decision of this key is recorded.
RECORDED_BY = {
    "principal_informed": "principal_informed",
    "initial_review_held": "initial_review",
    "referred": "referred",
    "managed_in_school": "managed_in_school",
    "further_review_held": "further_review",
}


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


def case_file(ctx: Context, case: Case) -> lifecycle.CaseFile:
    """The lifecycle's view of a case row: its state, the facts that hold (recorded, and read
    from its history), deletions still unconfirmed and referral points still unanswered."""
    session = object_session(case)
    pending = 0
    if session is not None:
        pending = session.scalar(
            select(func.count())
            .select_from(Deletion)
            .where(Deletion.case_id == case.id, Deletion.status.not_in(DELETION_SETTLED))
        )
    unanswered = unanswered_points(ctx, case)
    facts = set(case.facts) | history_facts(ctx, case) | ({"referral_indicated"} if unanswered else set())
    return lifecycle.CaseFile(
        state=case.state,
        facts=facts,
        deletions_pending=pending or 0,
        points_unanswered=tuple(p.label for p in unanswered),
    )


def history_facts(ctx: Context, case: Case) -> set[str]:
    """Facts read from the recorded decisions (see lifecycle.HISTORY_FACTS for their meaning)."""
    done = {key for key, entries in case.decisions.items() if entries}
    referrals = len(case.decisions.get("referred", []))
    facts = {fact for fact, key in RECORDED_BY.items() if key in done}
    if "referred" in done:
        facts.discard("managed_in_school")
    if len(case.decisions.get("referral_follow_up", [])) >= referrals:
        facts.add("referral_written")
    if "referred" in done or referral_points(ctx, case):
        facts.add("agency_involved")
    parents = [e for key in PARENTS_DECISIONS for e in case.decisions.get(key, []) if e]
    latest = max(parents, key=lambda e: (e["at"], e["seq"]), default=None)
    if latest is not None and latest in case.decisions.get("parents_not_informed", []):
        facts.add("parents_not_informed")
    return facts


def fire(ctx: Context, case: Case, trigger: str) -> tuple[str, str]:
    """Move a case row through the lifecycle machine; illegal moves become NotAllowedNow."""
    model = case_file(ctx, case)
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
