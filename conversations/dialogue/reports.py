"""Report drafts: start or resume, answer a step, go back, cancel, submit.

A draft is saved after every step, so closing Slack, a crash or a redeploy loses nothing.
Answering "yes" to immediate risk creates the case at once (so the DSL team is alerted before
the rest is filled in); submitting completes that same case: exactly one case per draft.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.casefile import casework
from conversations.casefile.casework import PrincipalNotice
from conversations.casefile.references import next_reference
from conversations.context import Context
from conversations.dialogue import routing
from conversations.dialogue.routing import Alert, alert_for
from conversations.errors import NotAllowedNow, NotAuthorised, NotFound, StaleStep
from conversations.guidance.policy import Contact, Suggestion
from conversations.guidance.questions import Raw, validate
from conversations.protection import audit
from conversations.scheduling import reminders
from conversations.scheduling.calendar import LONDON
from conversations.storage.models import Case, Draft
from state_machines import StateMachineError
from state_machines import report as dialogue
from state_machines.case import REPORTED


@dataclass(frozen=True)
class DraftView:
    """What a front end needs to show the current step of a draft."""

    id: str
    user_id: str
    state: str
    answers: dict[str, dict[str, Any]]
    academy_key: str | None
    choices: dict[str, dict[str, str]]
    reference: str | None
    resumed: bool
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.state in dialogue.FINAL


@dataclass(frozen=True)
class StepOutcome:
    """The draft after a step, and an urgent alert for the adapter to send now, if one is due.

    `messages`: outbox rows written with the step (the urgent alert, the Principal's notice), to
    deliver after commit; `principal`: the Principal's notice, when the urgent case called for one.
    """

    draft: DraftView
    urgent_alert: Alert | None = None
    messages: tuple[int, ...] = ()
    principal: PrincipalNotice | None = None


@dataclass(frozen=True)
class Submission:
    """A submitted report: its case alert, and whether this call was the one that submitted it.

    `messages`: the outbox rows written with the case (the DSL alert, the reporter's receipt, the
    Principal's notice); `principal`: that notice, when the case called for one
    (casework.tell_principal, in the same transaction).
    """

    reference: str
    alert: Alert
    suggestion: Suggestion
    first_time: bool
    # Out of school hours: whom to call now (999 first), as the DSL team may not see it yet.
    call_now: tuple[Contact, ...] = ()
    messages: tuple[int, ...] = ()
    principal: PrincipalNotice | None = None


def start(ctx: Context, team_id: str, user_id: str, *, restart: bool = False) -> DraftView:
    """Resume the caller's open draft, or start one (`restart` cancels the open one first)."""
    with ctx.db.unit_of_work() as uow:
        found = _open_draft(uow.session, team_id, user_id)
        if found is not None and restart:
            _cancel(ctx, uow.session, *found, reason="started again")
            found = None
        if found is not None:
            view = _view(ctx, *found, resumed=True)
            uow.commit()
            return view
        draft = _new_draft(ctx, team_id, user_id)
        uow.session.add(draft)
        reminders.reschedule(ctx, uow.session, draft, new=True)
        view = _view(ctx, draft, None, resumed=False)  # a new draft has no case yet
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent start by the same person (double click) created one first.
            uow.session.rollback()
            found = _open_draft(uow.session, team_id, user_id)
            if found is None:
                raise
            return _view(ctx, *found, resumed=True)
        return view


def find_open(ctx: Context, team_id: str, user_id: str) -> DraftView | None:
    """The caller's open draft, if any; reads only, so a modal can open before anything is written."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        found = _open_draft(uow.session, team_id, user_id)
        return None if found is None else _view(ctx, *found, resumed=True)


def get(ctx: Context, draft_id: str, user_id: str) -> DraftView:
    """The caller's draft, open or finished; NotFound if it is not theirs (or does not exist)."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        draft, case = _own(uow.session, draft_id, user_id, allow_finished=True)
        return _view(ctx, draft, case, resumed=False)


def answer(
    ctx: Context, draft_id: str, user_id: str, values: dict[str, Raw], *, expected_step: str | None = None
) -> StepOutcome:
    """Validate and save the answers of the current step, then move to the next step.

    `expected_step` is the step the person saw: if the draft has moved on (a double submit, an
    old window), StaleStep is raised and nothing is saved as the next step's answers.
    """
    with ctx.db.unit_of_work() as uow:
        draft, case = _own(uow.session, draft_id, user_id, lock=True)
        _expect(draft, expected_step)
        step = ctx.guidance.steps[_require_step(draft)]
        clean = validate(step, values, _choices(ctx, draft))
        draft.answers = {**draft.answers, step.key: clean}
        if step.key == dialogue.ACADEMY:
            draft.academy_key = clean["academy"]
        _fire(ctx, draft, "answer")
        alert, messages, principal = None, (), None
        if draft.state == dialogue.RISK_ACTIONS and case is None:
            case, alert, messages, principal = _urgent_case(ctx, uow.session, draft)
        if step.key == dialogue.ACADEMY:
            # The academy's DSLs are now known: their reminder is written. Other steps leave
            # the draft's reminders as they are (reminders.postponed moves them when due).
            reminders.reschedule(ctx, uow.session, draft)
        # Made in this transaction: after the commit it would take another (a read per step).
        view = _view(ctx, draft, case, resumed=False)
        uow.commit()
        return StepOutcome(view, alert, messages, principal)


def back(ctx: Context, draft_id: str, user_id: str, *, expected_step: str | None = None) -> DraftView:
    """Go back one step, keeping every answer given so far (StaleStep as for `answer`)."""
    with ctx.db.unit_of_work() as uow:
        draft, case = _own(uow.session, draft_id, user_id, lock=True)
        _expect(draft, expected_step)
        _fire(ctx, draft, "back")
        view = _view(ctx, draft, case, resumed=False)
        uow.commit()
        return view


def cancel(ctx: Context, draft_id: str, user_id: str) -> None:
    """Discard the caller's draft (a case already alerted as urgent stays with the DSL)."""
    with ctx.db.unit_of_work() as uow:
        draft, case = _own(uow.session, draft_id, user_id, lock=True)
        _cancel(ctx, uow.session, draft, case, reason="cancelled by the reporter")
        uow.commit()


def suggest(ctx: Context, draft: DraftView) -> Suggestion:
    """The classifier's suggestion for the answers so far (shown at the review step)."""
    return ctx.guidance.classify(draft.answers)


def submit(ctx: Context, draft_id: str, user_id: str) -> Submission:
    """Submit the draft: exactly one case per draft, however often this is called."""
    with ctx.db.unit_of_work() as uow:
        draft, case = _own(uow.session, draft_id, user_id, lock=True, allow_finished=True)
        if draft.status == "submitted" and case is not None:
            return Submission(
                case.reference,
                alert_for(ctx, case),
                ctx.guidance.classify(case.answers),
                first_time=False,
                call_now=call_now(ctx, case.academy_key)
                if out_of_school_hours(ctx, case.academy_key)
                else (),
            )
        _fire(ctx, draft, "submit")
        draft.status = "submitted"
        # Before the case's reference is issued: the counter's lock is held from then on.
        reminders.reschedule(ctx, uow.session, draft)
        now = ctx.clock()
        suggestion = ctx.guidance.classify(draft.answers)
        new = case is None
        if case is None:
            case = _new_case(ctx, uow.session, draft, suggestion, submitted_at=now)
        else:
            _complete_case(case, draft, suggestion, now)
        reminders.reschedule(ctx, uow.session, case, new=new)
        audit.record(
            uow.session,
            action="report_submitted",
            actor_id=user_id,
            at=now,
            case=case,
            to_state=case.state,
            details={"triggers": list(case.triggers)},
        )
        late = out_of_school_hours(ctx, case.academy_key)
        alert = routing.queue_alert(ctx, uow.session, case)
        receipt = routing.queue_receipt(ctx, uow.session, case, out_of_hours=late)
        # In the transaction of the case, not one of its own after the ack.
        principal = casework.tell_principal(ctx, uow.session, case, new=new)
        uow.commit()
        return Submission(
            case.reference,
            alert_for(ctx, case),
            suggestion,
            first_time=True,
            call_now=call_now(ctx, case.academy_key) if late else (),
            messages=_messages(alert, receipt, principal),
            principal=principal,
        )


def out_of_school_hours(ctx: Context, academy_key: str) -> bool:
    """Whether it is now outside the academy's school hours (the DSL team may not see a report)."""
    academy = ctx.academies.get(academy_key)
    return not reminders.policy().timings(academy).calendar(academy).in_school_hours(ctx.clock())


def call_now(ctx: Context, academy_key: str) -> tuple[Contact, ...]:
    """Whom the member of staff calls now out of school hours: the guidance's emergency contacts
    (999 first: SUAT 2019 "In an emergency always call 999") and the academy's own contacts from
    the academies file."""
    academy = ctx.academies.get(academy_key)
    local = tuple(
        Contact(key=f"academy_{n}", name=c.name, audience=("emergency",), phone=c.phone, hours=c.hours)
        for n, c in enumerate(academy.contacts, 1)
    )
    return (*ctx.guidance.contacts_for("emergency"), *local)


def _new_draft(ctx: Context, team_id: str, user_id: str) -> Draft:
    academies = ctx.academies.for_staff(user_id, team_id)
    if not academies:
        raise NotAuthorised("no academy is set up for your Slack workspace: ask your DSL or IT admin")
    now = ctx.clock()
    return Draft(
        id=uuid.uuid4().hex,
        team_id=team_id,
        user_id=user_id,
        academy_key=academies[0].key if len(academies) == 1 else None,
        state=dialogue.SAFETY,
        status="open",
        answers={},
        created_at=now,
        updated_at=now,
    )


# The draft with its case, if one was opened (urgent, or submitted): one query, so the case is
# never looked up again after an autoflush. Built once, with parameters: a request runs them.
_WITH_CASE = select(Draft, Case).outerjoin(Case, Case.draft_id == Draft.id)
_OPEN = _WITH_CASE.where(
    Draft.team_id == bindparam("team_id"), Draft.user_id == bindparam("user_id"), Draft.status == "open"
)
_BY_ID = _WITH_CASE.where(Draft.id == bindparam("draft_id"))
# FOR NO KEY UPDATE OF drafts (PostgreSQL): the case row, if any, is locked by what changes it.
_BY_ID_LOCKED = _BY_ID.with_for_update(of=Draft, key_share=True)


def _open_draft(session: Session, team_id: str, user_id: str) -> tuple[Draft, Case | None] | None:
    found = session.execute(_OPEN, {"team_id": team_id, "user_id": user_id}).first()
    return None if found is None else (found[0], found[1])


def _own(
    session: Session, draft_id: str, user_id: str, *, lock: bool = False, allow_finished: bool = False
) -> tuple[Draft, Case | None]:
    found = session.execute(_BY_ID_LOCKED if lock else _BY_ID, {"draft_id": draft_id}).first()
    if found is None or found[0].user_id != user_id:
        raise NotFound("draft")
    draft, case = found
    if draft.status != "open" and not allow_finished:
        raise NotAllowedNow("This report has already been sent or discarded.")
    return draft, case


def _expect(draft: Draft, expected_step: str | None) -> None:
    if expected_step is not None and draft.state != expected_step:
        raise StaleStep("That step was already answered.")


def _require_step(draft: Draft) -> str:
    if draft.state == dialogue.REVIEW:
        raise NotAllowedNow("This report is ready: check it and send it to the DSL.")
    return draft.state


def _fire(ctx: Context, draft: Draft, trigger: str) -> None:
    model = dialogue.Dialogue(
        state=draft.state,
        single_academy=len(ctx.academies.for_staff(draft.user_id, draft.team_id)) == 1,
        answers=draft.answers,
    )
    try:
        dialogue.MACHINE.fire(model, trigger)
    except StateMachineError as exc:
        raise NotAllowedNow("That step is not available now.") from exc
    draft.state = model.state
    draft.updated_at = ctx.clock()


def _choices(ctx: Context, draft: Draft) -> dict[str, dict[str, str]]:
    academies = ctx.academies.for_staff(draft.user_id, draft.team_id)
    return {"academy": {a.key: a.name for a in academies}}


def _cancel(ctx: Context, session: Session, draft: Draft, case: Case | None, reason: str) -> None:
    _fire(ctx, draft, "cancel")
    draft.status = "cancelled"
    reminders.reschedule(ctx, session, draft)
    if case is not None:
        audit.record(
            session,
            action="report_abandoned",
            actor_id=draft.user_id,
            at=ctx.clock(),
            case=case,
            reason=reason,
        )


def _urgent_case(
    ctx: Context, session: Session, draft: Draft
) -> tuple[Case, Alert, tuple[int, ...], PrincipalNotice | None]:
    case = _new_case(ctx, session, draft, ctx.guidance.classify(draft.answers))
    case.urgent = True
    reminders.reschedule(ctx, session, case, new=True)
    audit.record(
        session,
        action="urgent_alert_raised",
        actor_id=draft.user_id,
        at=ctx.clock(),
        case=case,
        to_state=case.state,
    )
    alert = routing.queue_alert(ctx, session, case, mention_dsls=True)
    principal = casework.tell_principal(ctx, session, case, new=True)
    return case, alert_for(ctx, case), _messages(alert, principal), principal


def _messages(*written: int | PrincipalNotice | None) -> tuple[int, ...]:
    return tuple(w.message if isinstance(w, PrincipalNotice) else w for w in written if w is not None)


def _new_case(
    ctx: Context,
    session: Session,
    draft: Draft,
    suggestion: Suggestion,
    *,
    submitted_at: datetime | None = None,
) -> Case:
    """Open the draft's case (urgent before the rest is filled in, or `submitted_at` complete)."""
    if draft.academy_key is None:
        raise NotAllowedNow("Choose the academy first.")
    now = ctx.clock()
    case = Case(
        reference=next_reference(session, now.astimezone(LONDON).year),
        academy_key=draft.academy_key,
        team_id=draft.team_id,
        reporter_id=draft.user_id,
        draft_id=draft.id,
        state=REPORTED,
        answers=draft.answers,
        category=suggestion.category.key,
        triggers=[t.key for t in suggestion.triggers],
        urgent=suggestion.immediate_referral,
        under_13=suggestion.under_13,
        immediate_referral=suggestion.immediate_referral,
        facts=[],
        decisions={},
        created_at=now,
        submitted_at=submitted_at,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    audit.new_chain(session, case)
    audit.record(session, action="case_created", actor_id=draft.user_id, at=now, case=case, to_state=REPORTED)
    return case


def _complete_case(case: Case, draft: Draft, suggestion: Suggestion, now: datetime) -> None:
    case.answers = draft.answers
    case.category = suggestion.category.key
    case.triggers = [t.key for t in suggestion.triggers]
    case.under_13 = suggestion.under_13
    case.immediate_referral = suggestion.immediate_referral
    case.urgent = case.urgent or suggestion.immediate_referral
    case.submitted_at = now
    case.updated_at = now


def _view(ctx: Context, draft: Draft, case: Case | None, *, resumed: bool) -> DraftView:
    return DraftView(
        id=draft.id,
        user_id=draft.user_id,
        state=draft.state,
        answers=dict(draft.answers),
        academy_key=draft.academy_key,
        choices=_choices(ctx, draft),
        reference=case.reference if case is not None else None,
        resumed=resumed,
        updated_at=draft.updated_at,
    )
