"""The DSL's work on a case: open it, record decisions, see what is due. Every step is audited.

Every service checks the caller against the case's own academy (`cases.authorised_case`), and
every change of a case goes through `cases.fire`, so the lifecycle machine decides what is
possible and the reminders follow each move. Decisions are data (`decisions.toml`): a decision
is validated like a report step, fires its trigger, records its facts, and is appended to the
case's history; nothing recorded is ever overwritten. Free text stays on the case (encrypted),
never in an audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.academies import Academy
from conversations.casefile import cases, readable
from conversations.casefile.decisions import ANSWERED, Check, Decision, Decisions, load_decisions
from conversations.casefile.readable import Row
from conversations.casefile.references import find_case
from conversations.context import Context
from conversations.delivery import replays
from conversations.dialogue import routing
from conversations.dialogue.routing import STATUS_LABELS, Alert, alert_for
from conversations.directory import Person, people
from conversations.errors import InvalidAnswer, NotAllowedNow, NotAuthorised
from conversations.guidance.policy import Contact, Rule, Suggestion
from conversations.guidance.questions import Raw, validate
from conversations.guidance.referral_points import referral_points, unanswered_points
from conversations.protection import audit
from conversations.scheduling import reminders
from conversations.scheduling.calendar import LONDON
from conversations.storage.models import AuditEvent, Case, Deletion
from state_machines import case as lifecycle

REMINDER_SENT = "reminder_sent"
EXPORTED = "case_exported"
GUARDED = {row["trigger"] for row in lifecycle.TRANSITIONS if row.get("conditions")}
# Contacts the case modal shows (by audience, `for` in guidance.toml and academies.toml).
CASE_CONTACTS = "case"
# The safety step's honest second answer: the member of staff saw an image (and kept nothing).
SAW_IMAGE = ("safety", "understood", "saw_image")
# Who is told, by direct message, of a case that is urgent or in an aggravated category.
AGGRAVATED = "aggravated"
PRINCIPAL_TOLD = "principal_alerted"


@dataclass(frozen=True)
class TimelineEntry:
    """One audit event of the case: who did what, when, and how the case moved."""

    at: datetime
    actor_id: str
    action: str
    label: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    kind: str | None = None  # a sent reminder's kind (reminders.toml), so a record can summarise them


@dataclass(frozen=True)
class RecordedDecision:
    """One recorded decision, as entered (values) and as read (rows)."""

    key: str
    title: str
    at: datetime
    by: str
    from_state: str
    to_state: str
    values: dict[str, Any]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class DeletionView:
    """One young person (by pseudonym) asked to delete the imagery."""

    id: int
    pseudonym: str
    deadline: date
    status: str
    follow_up_user: str | None
    confirmed_at: datetime | None
    confirmed_by: str | None


@dataclass(frozen=True)
class Due:
    """Something due on a case: what, by when (if timed), and whether it is overdue."""

    text: str
    due_at: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Blocked:
    """A decision the case's stage allows but whose requirements are not met yet."""

    decision: Decision
    missing: tuple[str, ...]


@dataclass(frozen=True)
class CaseDetail:
    """The full record of a case, for an authorised DSL (the case modal, `open`, the export)."""

    reference: str
    academy_key: str
    academy_name: str
    state: str
    status_label: str
    urgent: bool
    under_13: bool
    immediate_referral: bool
    reporter_id: str
    owner_id: str | None
    reported_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    answers: dict[str, dict[str, Any]]
    answer_sections: tuple[tuple[str, tuple[Row, ...]], ...]
    suggestion: Suggestion
    confirmed_category: Rule | None
    timeline: tuple[TimelineEntry, ...]
    decisions: tuple[RecordedDecision, ...]
    deletions: tuple[DeletionView, ...]
    available: tuple[Decision, ...]
    blocked: tuple[Blocked, ...]
    missing_for_close: tuple[str, ...]
    due: tuple[Due, ...]
    staff_saw_image: bool = False
    contacts: tuple[Contact, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)  # every id named above, by id

    def person(self, user_id: str) -> Person:
        """Whoever this id is on this case (as the id itself if it was not looked up)."""
        return self.people.get(user_id) or Person(user_id, None, "")


@dataclass(frozen=True)
class DecisionForm:
    """What a front end needs to ask one decision: its fields, options from the case, prefills,
    and the contacts at hand for that step."""

    reference: str
    decision: Decision
    choices: dict[str, dict[str, str]]
    defaults: dict[str, str]
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class PrincipalNotice:
    """The Principal to tell, by direct message with the minimal card, of an urgent or aggravated
    case; `message` is the outbox row that carries it."""

    user_id: str
    alert: Alert
    message: int


@dataclass(frozen=True)
class DecisionOutcome:
    """A recorded decision: the updated channel card, and what to tell the reporter (if anything)."""

    reference: str
    decision: str
    title: str
    from_state: str
    to_state: str
    status_label: str
    alert: Alert
    reporter_id: str
    tell_reporter: str | None
    follow_on: str | None
    messages: tuple[int, ...] = ()  # outbox rows written with it (card update, reporter's notice)
    # True when this was a replay of an interaction already recorded: nothing was done again.
    replayed: bool = False

    def stored(self) -> dict[str, Any]:
        """What a replay gets back (conversations.delivery.replays): labels, no case content, no people."""
        hidden = ("alert", "reporter_id", "replayed", "messages")
        return {k: v for k, v in asdict(self).items() if k not in hidden}


@dataclass(frozen=True)
class OverviewLine:
    """One open case in a DSL's list: no pupil details, no free text."""

    reference: str
    academy_key: str
    academy_name: str
    state: str
    status_label: str
    urgent: bool
    owner_id: str | None
    reported_at: datetime
    next: Due

    @property
    def overdue(self) -> bool:
        return self.next.overdue


@dataclass(frozen=True)
class ReportLine:
    """One of a teacher's own reports: its reference and where it is, in the teacher's words."""

    reference: str
    status: str
    reported_at: datetime


# --- services -------------------------------------------------------------------------------


def case_detail(ctx: Context, reference: str, user_id: str) -> CaseDetail:
    """The full case for an authorised DSL; the opening is itself an audit event."""
    with ctx.db.unit_of_work() as uow:
        case = cases.authorised_case(ctx, uow.session, reference, user_id)
        audit.record(uow.session, action="case_opened", actor_id=user_id, at=ctx.clock(), case=case)
        detail = _detail(ctx, uow.session, case)
        uow.commit()
    return _named(ctx, detail)


def export_detail(ctx: Context, reference: str, actor_id: str) -> CaseDetail:
    """The full case for the safeguarding file (the CLI: the operator is trusted), ending with the
    export itself, which `record_export` audits once the record is written."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = find_case(uow.session, reference)
        detail = _detail(ctx, uow.session, case)
    exporting = TimelineEntry(
        ctx.clock(), actor_id, EXPORTED, load_decisions().action_label(EXPORTED), None, None, None
    )
    return _named(ctx, replace(detail, timeline=(*detail.timeline, exporting)))


def record_export(ctx: Context, reference: str, actor_id: str, fmt: str, *, one_young_person: bool) -> None:
    """Audit an export of the case's record, written (a record for one young person is audited as
    such, never with whom: that is pupil detail)."""
    with ctx.db.unit_of_work() as uow:
        audit.record(
            uow.session,
            action=EXPORTED,
            actor_id=actor_id,
            at=ctx.clock(),
            case=find_case(uow.session, reference),
            details={"format": fmt, **({"one_young_person": True} if one_young_person else {})},
        )
        uow.commit()


def _named(ctx: Context, d: CaseDetail) -> CaseDetail:
    """The detail with everyone it names looked up (after the transaction: no lock held meanwhile)."""
    rows = [r for _, section in d.answer_sections for r in section] + [r for x in d.decisions for r in x.rows]
    ids = [
        d.reporter_id,
        d.owner_id or "",
        *(e.actor_id for e in d.timeline),
        *(x.by for x in d.decisions),
        *(r.value for r in rows if r.kind == readable.USER),
        *(x.follow_up_user or "" for x in d.deletions),
        *(x.confirmed_by or "" for x in d.deletions),
    ]
    academy = ctx.academies.get(d.academy_key)
    return replace(d, people=people(ctx.directory, academy, d.reporter_id, ids))


def decisions_now(
    ctx: Context, reference: str, user_id: str
) -> tuple[tuple[Decision, ...], tuple[Blocked, ...]]:
    """The decisions the case's stage allows now, and those allowed but not yet possible (why)."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = cases.authorised_case(ctx, uow.session, reference, user_id)
        return _decisions_now(load_decisions(), cases.case_file(ctx, case))


def decision_form(ctx: Context, reference: str, user_id: str, key: str) -> DecisionForm:
    """The form of one decision, if the case's stage allows it now (else NotAllowedNow)."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = cases.authorised_case(ctx, uow.session, reference, user_id)
        decision = load_decisions().get(key)
        _require_now(ctx, case, decision)
        return DecisionForm(
            reference,
            decision,
            _choices(ctx, uow.session, case, pending_only=True),
            _defaults(ctx, case, decision, user_id),
            contacts_for(ctx, ctx.academies.get(case.academy_key), decision.contacts),
        )


def record_decision(
    ctx: Context,
    reference: str,
    user_id: str,
    key: str,
    raw: dict[str, Raw],
    *,
    replay_key: str | None = None,
) -> DecisionOutcome:
    """Validate and record one decision: move the case, record facts, append history, audit.

    Empty fields with a default take it. Raises InvalidAnswer (errors by field), NotAllowedNow
    (with `missing` when requirements are not met, e.g. to close) or NotAuthorised. With a
    `replay_key` already recorded, returns the first outcome (`replayed`) and records nothing.
    """
    decisions = load_decisions()
    with ctx.db.unit_of_work() as uow:
        session = uow.session
        case = cases.authorised_case(ctx, session, reference, user_id, lock=True)
        done = replays.claim(session, replay_key, ctx.clock())
        if done is not None:
            return DecisionOutcome(
                **done, alert=alert_for(ctx, case), reporter_id=case.reporter_id, replayed=True
            )
        decision = decisions.get(key)
        _require_now(ctx, case, decision)
        now = ctx.clock()
        clean = _validate(ctx, session, case, decision, raw, user_id)
        # Facts and effects first: the reminders, rescheduled as the case moves, see them.
        _add_facts(case, decision.facts)
        if decision.effect:
            EFFECTS[decision.effect](session, case, clean, user_id, now)
        source, dest = cases.fire(ctx, case, decision.trigger)
        entry = append_entry(case, decision, clean, user_id, now, source, dest)
        # Rules that read the history (a referral's written follow-up, referral points) see it now.
        reminders.reschedule(ctx, session, case)
        audit.record(
            session,
            action=decision.key,
            actor_id=user_id,
            at=now,
            case=case,
            from_state=source,
            to_state=dest,
            reason=_reason(ctx, decision, clean),
            details={"entry": entry},
        )
        follow_on = _follow_on(ctx, session, case, decision, user_id)
        _stamp_closed(case, now)
        tell_reporter = decision.tell_reporter.format(reference=case.reference) or None
        messages = [routing.queue_card_update(ctx, session, case)]
        if tell_reporter:
            messages.append(routing.queue_notice(ctx, session, case, case.reporter_id, tell_reporter))
        outcome = DecisionOutcome(
            reference=case.reference,
            decision=decision.key,
            title=decision.title,
            from_state=source,
            to_state=case.state,
            status_label=STATUS_LABELS[case.state],
            alert=alert_for(ctx, case),
            reporter_id=case.reporter_id,
            tell_reporter=tell_reporter,
            follow_on=follow_on,
            messages=tuple(messages),
        )
        replays.keep(session, replay_key, outcome.stored())
        uow.commit()
        return outcome


def principal_notice(ctx: Context, reference: str) -> PrincipalNotice | None:
    """The Principal's notice of an urgent or aggravated case, once per case (audited), else None.

    SUAT 2019: "The Safeguarding Lead should inform the Principal (if the Lead is not the
    Principal)". Nothing is sent when the academy names no Principal, or the Principal is a DSL
    (they already get the channel's card).
    """
    with ctx.db.unit_of_work() as uow:
        case = find_case(uow.session, reference, lock=True)
        notice = tell_principal(ctx, uow.session, case)
        if notice is not None:
            uow.commit()
        return notice


def tell_principal(
    ctx: Context, session: Session, case: Case, *, new: bool = False
) -> PrincipalNotice | None:
    """`principal_notice` in the caller's transaction, which holds the case (a report's submit).

    `new`: the case was created in this transaction, so no notice can have been sent yet.
    """
    academy = ctx.academies.get(case.academy_key)
    principal = academy.principal_user
    category = _confirmed_category(ctx, case) or ctx.guidance.category(case.category)
    wanted = case.urgent or category.group == AGGRAVATED
    if not principal or academy.may_see_cases(principal) or not wanted:
        return None
    told = None if new else _told(session, case)
    if told is not None:
        return None
    audit.record(
        session,
        action=PRINCIPAL_TOLD,
        actor_id="ypsi-bot",
        at=ctx.clock(),
        case=case,
        reason="urgent" if case.urgent else AGGRAVATED,
    )
    message = routing.queue_principal(ctx, session, case, principal)
    return PrincipalNotice(principal, alert_for(ctx, case), message)


def _told(session: Session, case: Case) -> int | None:
    return session.scalar(
        select(AuditEvent.id).where(AuditEvent.case_id == case.id, AuditEvent.action == PRINCIPAL_TOLD)
    )


def contacts_for(ctx: Context, academy: Academy, audiences: tuple[str, ...]) -> tuple[Contact, ...]:
    """The academy's own contacts for these audiences, then the guidance file's, without repeats."""
    local = [
        Contact(f"local:{i}", c.name, c.audience, c.phone, c.url, c.hours, c.email)
        for i, c in enumerate(academy.contacts)
        if set(c.audience) & set(audiences)
    ]
    shared = [c for c in ctx.guidance.contacts if set(c.audience) & set(audiences)]
    return tuple(local + shared)


def dsl_overview(ctx: Context, user_id: str) -> list[OverviewLine]:
    """Open cases of the caller's academies: overdue first, then urgent, then oldest."""
    keys = [a.key for a in ctx.academies.dsl_of(user_id)]
    if not keys:
        _refuse_list(ctx, user_id)
        raise NotAuthorised("not on any academy's safeguarding team")
    decisions, now = load_decisions(), ctx.clock()
    with ctx.db.unit_of_work(read_only=True) as uow:
        rows = list(
            uow.session.scalars(
                select(Case)
                .where(Case.academy_key.in_(keys), Case.state != lifecycle.CLOSED)
                .order_by(Case.id)
            )
        )
        deletions = _deletions_by_case(uow.session, [c.id for c in rows])
        lines = [_line(ctx, decisions, c, deletions.get(c.id, []), now) for c in rows]
    return sorted(lines, key=_urgency)


def my_reports(ctx: Context, user_id: str) -> list[ReportLine]:
    """The caller's own reports, newest first, with where each is in the teacher's words."""
    status = load_decisions().reporter_status
    with ctx.db.unit_of_work(read_only=True) as uow:
        rows = uow.session.scalars(select(Case).where(Case.reporter_id == user_id).order_by(Case.id.desc()))
        return [ReportLine(c.reference, status[c.state], c.created_at) for c in rows]


# --- checks and validation ------------------------------------------------------------------


def _require_now(ctx: Context, case: Case, decision: Decision) -> None:
    model = cases.case_file(ctx, case)
    if decision.trigger in lifecycle.MACHINE.available(model):
        return
    missing = lifecycle.SPEC.missing(model, decision.trigger) if decision.trigger in GUARDED else []
    if missing and decision.trigger in lifecycle.MACHINE.triggers(model.state):
        raise NotAllowedNow("Not yet: record these first.", missing)
    raise NotAllowedNow("That is not possible at this stage of the case.", missing)


def _validate(
    ctx: Context, session: Session, case: Case, decision: Decision, raw: dict[str, Raw], user_id: str
) -> dict[str, Any]:
    defaults = _defaults(ctx, case, decision, user_id)
    filled = {k: v for k, v in raw.items() if v not in (None, "", [])}
    filled = {**defaults, **filled}
    choices = _choices(ctx, session, case, pending_only=True)
    clean = validate(decision.form, filled, choices, now=ctx.clock())
    errors = {}
    reason_key = decision.reason_if_category_changed
    if reason_key and clean["category"] != case.category and not clean.get(reason_key):
        errors[reason_key] = "The category differs from the suggestion: please say why."
    for first, second in decision.distinct:
        if clean.get(first) and clean.get(first) == clean.get(second):
            errors[second] = "Please choose a different member of staff."
    academy = ctx.academies.get(case.academy_key)
    for check in decision.checks:
        if check.field not in errors and _fails(check, clean, academy):
            errors[check.field] = check.message
    if errors:
        raise InvalidAnswer(errors)
    return clean


def _fails(check: Check, clean: dict[str, Any], academy: Academy) -> bool:
    value = clean.get(check.field)
    if check.required_when:
        return _all_hold(clean, check.required_when) and value in (None, "", [])
    if not value or (check.unless and _all_hold(clean, check.unless)):
        return False
    if check.role == "principal":
        # With no Principal in the academies file there is nobody to check against.
        return bool(academy.principal_user) and value != academy.principal_user
    return not academy.may_see_cases(value)


def _all_hold(clean: dict[str, Any], conditions: tuple[tuple[str, str], ...]) -> bool:
    def holds(key: str, expected: str) -> bool:
        value = clean.get(key)
        if expected == ANSWERED:
            return value not in (None, "", [])
        return expected in value if isinstance(value, list) else value == expected

    return all(holds(k, v) for k, v in conditions)


def _defaults(ctx: Context, case: Case, decision: Decision, user_id: str) -> dict[str, str]:
    now = ctx.clock().astimezone(LONDON)
    resolved = {
        "me": user_id,
        "reporter": case.reporter_id,
        "now": now.strftime("%Y-%m-%d %H:%M"),
        "today": now.date().isoformat(),
        "suggested": case.category,
        "principal": ctx.academies.get(case.academy_key).principal_user,
    }
    return {f.key: resolved[f.default] for f in decision.fields if f.default and resolved[f.default]}


def _choices(ctx: Context, session: Session, case: Case, *, pending_only: bool) -> dict[str, dict[str, str]]:
    rows = session.scalars(select(Deletion).where(Deletion.case_id == case.id).order_by(Deletion.id))
    return {
        "category": {c.key: c.label for c in ctx.guidance.categories},
        "deletions": {
            str(d.id): d.pseudonym for d in rows if not pending_only or d.status not in cases.DELETION_SETTLED
        },
        "point": {
            p.key: p.label
            for p in (unanswered_points(ctx, case) if pending_only else referral_points(ctx, case))
        },
    }


# --- recording ------------------------------------------------------------------------------


def _add_facts(case: Case, facts: tuple[str, ...]) -> None:
    case.facts = sorted(set(case.facts) | set(facts))


def append_entry(
    case: Case, decision: Decision, clean: dict[str, Any], user_id: str, now: datetime, source: str, dest: str
) -> int:
    """Append a decision to the case's history (sealed, emptied by a purge); return its index.

    History only grows: a decision recorded twice keeps both entries (reassigned, so the JSON
    column sees the change). `seq` orders entries recorded in the same instant.
    """
    seq = sum(len(es) for es in case.decisions.values())
    entries = [
        *case.decisions.get(decision.key, []),
        {"values": clean, "by": user_id, "at": now.isoformat(), "from": source, "to": dest, "seq": seq},
    ]
    case.decisions = {**case.decisions, decision.key: entries}
    return len(entries) - 1


def _reason(ctx: Context, decision: Decision, clean: dict[str, Any]) -> str | None:
    # The options chosen, by label; never free text or pseudonyms (those stay on the case).
    shown = tuple(f for f in decision.fields if f.type in ("choice", "multi") and not f.sensitive)
    categories = {c.key: c.label for c in ctx.guidance.categories}
    labels = [row.value for row in readable.rows(shown, clean, {"category": categories})]
    return "; ".join(labels) or None


def _follow_on(ctx: Context, session: Session, case: Case, decision: Decision, user_id: str) -> str | None:
    if not decision.then or decision.then not in lifecycle.MACHINE.available(cases.case_file(ctx, case)):
        return None
    _add_facts(case, decision.then_facts)
    source, dest = cases.fire(ctx, case, decision.then)
    audit.record(
        session,
        action=decision.then_action,
        actor_id=user_id,
        at=ctx.clock(),
        case=case,
        from_state=source,
        to_state=dest,
    )
    return decision.then_action


def _stamp_closed(case: Case, now: datetime) -> None:
    case.closed_at = now if case.state == lifecycle.CLOSED else None


def _take_ownership(session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime) -> None:
    case.owner_id = user_id


def _request_deletions(
    session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime
) -> None:
    deadline = date.fromisoformat(clean["deadline"])
    for name in clean["young_people"]:
        session.add(
            Deletion(
                case_id=case.id,
                pseudonym=name,
                deadline=deadline,
                status="pending",
                follow_up_user=clean["follow_up"],
            )
        )
    session.flush()


def _confirm_deletions(
    session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime
) -> None:
    # The options offered were this case's pending deletions, so every id is one of them.
    for deletion in _pending(session, case):
        if str(deletion.id) in clean["deletions"]:
            deletion.status, deletion.confirmed_at, deletion.confirmed_by = "confirmed", now, user_id
    session.flush()


def _extend_deletions(
    session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime
) -> None:
    for deletion in _pending(session, case):
        deletion.deadline, deletion.status = date.fromisoformat(clean["deadline"]), "pending"
    session.flush()


def _waive_deletions(
    session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime
) -> None:
    for deletion in _pending(session, case):
        deletion.status = "waived"
    session.flush()


def _pause_deletions(
    session: Session, case: Case, clean: dict[str, Any], user_id: str, now: datetime
) -> None:
    # A referral hands the imagery's fate to the agencies: deletions awaited are paused.
    for deletion in _pending(session, case):
        deletion.status = "paused"
    session.flush()


def _pending(session: Session, case: Case) -> list[Deletion]:
    return list(
        session.scalars(
            select(Deletion).where(
                Deletion.case_id == case.id, Deletion.status.not_in(cases.DELETION_SETTLED)
            )
        )
    )


EFFECTS: dict[str, Callable[[Session, Case, dict[str, Any], str, datetime], None]] = {
    "take_ownership": _take_ownership,
    "request_deletions": _request_deletions,
    "confirm_deletions": _confirm_deletions,
    "extend_deletions": _extend_deletions,
    "waive_deletions": _waive_deletions,
    "pause_deletions": _pause_deletions,
}


def _refuse_list(ctx: Context, user_id: str) -> None:
    with ctx.db.unit_of_work() as uow:
        audit.record(
            uow.session, action="access_refused", actor_id=user_id, at=ctx.clock(), reason="case list refused"
        )
        uow.commit()


# --- reading --------------------------------------------------------------------------------


def _detail(ctx: Context, session: Session, case: Case) -> CaseDetail:
    decisions, now = load_decisions(), ctx.clock()
    model = cases.case_file(ctx, case)
    deletions = _deletions_by_case(session, [case.id]).get(case.id, [])
    available, blocked = _decisions_now(decisions, model)
    academy = ctx.academies.get(case.academy_key)
    return CaseDetail(
        reference=case.reference,
        academy_key=case.academy_key,
        academy_name=academy.name,
        state=case.state,
        status_label=STATUS_LABELS[case.state],
        urgent=case.urgent,
        under_13=case.under_13,
        immediate_referral=case.immediate_referral,
        reporter_id=case.reporter_id,
        owner_id=case.owner_id,
        reported_at=case.created_at,
        submitted_at=case.submitted_at,
        closed_at=case.closed_at,
        answers=dict(case.answers),
        answer_sections=tuple(
            (title, tuple(rows))
            for title, rows in readable.answer_rows(ctx.guidance, case.answers, _academy_choices(ctx))
        ),
        suggestion=ctx.guidance.classify(case.answers),
        confirmed_category=_confirmed_category(ctx, case),
        timeline=tuple(_timeline(session, decisions, case)),
        decisions=tuple(_recorded(ctx, session, decisions, case)),
        deletions=tuple(deletions),
        available=available,
        blocked=blocked,
        missing_for_close=tuple(lifecycle.missing_for_close(model)),
        due=tuple(_due(decisions, case, deletions, now, model.facts)),
        staff_saw_image=_saw_image(case),
        contacts=contacts_for(ctx, academy, (CASE_CONTACTS,)),
    )


def _saw_image(case: Case) -> bool:
    step, key, value = SAW_IMAGE
    return case.answers.get(step, {}).get(key) == value


def _decisions_now(
    decisions: Decisions, model: lifecycle.CaseFile
) -> tuple[tuple[Decision, ...], tuple[Blocked, ...]]:
    available = lifecycle.MACHINE.available(model)
    blocked = [t for t in lifecycle.MACHINE.triggers(model.state) if t not in available]
    # A guard that only chooses between paths (with or without the agencies) names nothing to
    # record: that decision is simply not offered.
    waiting = [
        Blocked(d, tuple(lifecycle.SPEC.missing(model, d.trigger))) for d in decisions.allowed_by(blocked)
    ]
    return tuple(decisions.allowed_by(available)), tuple(b for b in waiting if b.missing)


def _academy_choices(ctx: Context) -> dict[str, dict[str, str]]:
    return {"academy": {a.key: a.name for a in ctx.academies.all()}}


def _confirmed_category(ctx: Context, case: Case) -> Rule | None:
    confirmed = [e["values"]["category"] for _, e in _history(case) if "category" in e["values"]]
    return ctx.guidance.category(confirmed[-1]) if confirmed else None


def _timeline(session: Session, decisions: Decisions, case: Case) -> list[TimelineEntry]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    return [
        TimelineEntry(
            e.at,
            e.actor_id,
            e.action,
            decisions.action_label(e.action),
            e.from_state,
            e.to_state,
            e.reason,
            e.details.get("kind") if e.action == REMINDER_SENT else None,
        )
        for e in events
    ]


def _recorded(ctx: Context, session: Session, decisions: Decisions, case: Case) -> list[RecordedDecision]:
    choices = _choices(ctx, session, case, pending_only=False)
    out = []
    for key, e in _history(case):
        decision = decisions.get(key)
        out.append(
            RecordedDecision(
                key=key,
                title=decision.title,
                at=datetime.fromisoformat(e["at"]),
                by=e["by"],
                from_state=e["from"],
                to_state=e["to"],
                values=e["values"],
                rows=tuple(readable.rows(decision.fields, e["values"], choices)),
            )
        )
    return out


def _history(case: Case) -> list[tuple[str, dict[str, Any]]]:
    """Every recorded decision entry as (key, entry), oldest first."""
    entries = [(key, e) for key, es in case.decisions.items() for e in es]
    return sorted(entries, key=lambda pair: (pair[1]["at"], pair[1]["seq"]))


def _deletions_by_case(session: Session, case_ids: list[int]) -> dict[int, list[DeletionView]]:
    grouped: dict[int, list[DeletionView]] = {}
    if not case_ids:
        return grouped
    for d in session.scalars(select(Deletion).where(Deletion.case_id.in_(case_ids)).order_by(Deletion.id)):
        grouped.setdefault(d.case_id, []).append(
            DeletionView(
                d.id, d.pseudonym, d.deadline, d.status, d.follow_up_user, d.confirmed_at, d.confirmed_by
            )
        )
    return grouped


def _due(
    decisions: Decisions, case: Case, deletions: list[DeletionView], now: datetime, facts: set[str]
) -> list[Due]:
    if case.state == lifecycle.CLOSED:
        return []
    timed = [
        d for d in (_referral_due(decisions, case, now), _deletion_due(decisions, case, deletions, now)) if d
    ]
    timed.sort(key=lambda d: (not d.overdue, d.due_at))
    return [*timed, Due(decisions.next_for(case.state, facts))]


def _referral_due(decisions: Decisions, case: Case, now: datetime) -> Due | None:
    referrals = case.decisions.get("referred", [])
    if len(case.decisions.get("referral_follow_up", [])) >= len(referrals):
        return None
    referred_at = datetime.fromisoformat(referrals[-1]["values"]["referred_at"])
    due_at = referred_at + timedelta(hours=decisions.deadlines.referral_follow_up_hours)
    return Due(
        f"{decisions.deadlines.referral_follow_up_text} by {readable.when(due_at)}", due_at, now >= due_at
    )


def _deletion_due(
    decisions: Decisions, case: Case, deletions: list[DeletionView], now: datetime
) -> Due | None:
    pending = [d.deadline for d in deletions if d.status not in cases.DELETION_SETTLED]
    if not pending:
        return None
    deadline = min(pending)
    # Due by the end of the deadline day, school time.
    due_at = datetime.combine(deadline + timedelta(days=1), time(0), LONDON)
    overdue = now >= due_at or case.state == lifecycle.DELETION_OVERDUE
    return Due(f"{decisions.deadlines.deletion_text}: {readable.day(deadline)}", due_at, overdue)


def _line(
    ctx: Context, decisions: Decisions, case: Case, deletions: list[DeletionView], now: datetime
) -> OverviewLine:
    return OverviewLine(
        reference=case.reference,
        academy_key=case.academy_key,
        academy_name=ctx.academies.get(case.academy_key).name,
        state=case.state,
        status_label=STATUS_LABELS[case.state],
        urgent=case.urgent,
        owner_id=case.owner_id,
        reported_at=case.created_at,
        next=_due(decisions, case, deletions, now, cases.case_file(ctx, case).facts)[0],
    )


def _urgency(line: OverviewLine) -> tuple[bool, datetime, bool, datetime]:
    far = datetime.max.replace(tzinfo=LONDON)
    overdue_since = (line.next.due_at or far) if line.overdue else far
    return (not line.overdue, overdue_since, not line.urgent, line.reported_at)
