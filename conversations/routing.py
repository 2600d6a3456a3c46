"""Where a case goes and what the minimal channel alert says: plain data, no Slack.

The alert never carries pupil names, ages beyond the under-13 flag, or any free text:
channel messages show on lock screens and live under Slack's retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conversations import audit
from conversations.academies import Academy
from conversations.context import Context
from conversations.models import Case
from conversations.references import find_case
from conversations.reminders import policy

STATUS_LABELS = {
    "reported": "New: waiting for a DSL",
    "acknowledged": "Acknowledged",
    "in_review": "Initial review",
    "referred": "Referred",
    "managed_in_school": "Managed in school",
    "parents_decided": "Parents decision recorded",
    "deletion_requested": "Deletion requested",
    "deletion_confirmed": "Deletion confirmed",
    "deletion_overdue": "Deletion overdue",
    "deletion_waived": "Deletion not required",
    "closed": "Closed",
    "reopened": "Reopened",
}


@dataclass(frozen=True)
class Alert:
    """The DSL channel card for one case."""

    reference: str
    academy_key: str
    academy_name: str
    channel: str
    dsl_users: tuple[str, ...]
    urgent: bool
    in_progress: bool
    category_label: str
    immediate_referral: bool
    under_13: bool
    reporter_id: str
    reported_at: datetime
    status: str
    status_label: str
    owner_id: str | None
    alert_ts: str | None


def alert_for(ctx: Context, case: Case) -> Alert:
    """The alert card's content for a case row."""
    academy = ctx.academies.get(case.academy_key)
    return Alert(
        reference=case.reference,
        academy_key=academy.key,
        academy_name=academy.name,
        channel=academy.dsl_channel,
        dsl_users=academy.dsl_users,
        urgent=case.urgent,
        in_progress=case.submitted_at is None,
        category_label=ctx.guidance.category(case.category).label,
        immediate_referral=case.immediate_referral,
        under_13=case.under_13,
        reporter_id=case.reporter_id,
        reported_at=case.created_at,
        status=case.state,
        status_label=STATUS_LABELS[case.state],
        owner_id=case.owner_id,
        alert_ts=case.alert_ts,
    )


def load_alert(ctx: Context, reference: str) -> Alert:
    """The current alert card of a case, by reference."""
    with ctx.db.unit_of_work() as uow:
        case = find_case(uow.session, reference)
        return alert_for(ctx, case)


def record_alert_posted(ctx: Context, reference: str, channel: str, ts: str) -> None:
    """Remember where the card was posted so later changes update it in place."""
    with ctx.db.unit_of_work() as uow:
        case = find_case(uow.session, reference)
        case.alert_channel, case.alert_ts = channel, ts
        uow.commit()


def in_school_hours(ctx: Context, academy_key: str) -> bool:
    """Whether it is now school hours at the academy (a school day, outside quiet hours):
    only then may the member of staff be told the DSL will usually contact them today."""
    academy = ctx.academies.get(academy_key)
    return policy().timings(academy).calendar(academy).in_school_hours(ctx.clock())


def academy_of(ctx: Context, key: str) -> Academy:
    """The academy a case belongs to."""
    return ctx.academies.get(key)


def record_channel_fallback(ctx: Context, reference: str, problem: str) -> None:
    """Audit that a case's alert went to the DSLs by direct message because the channel is unsafe."""
    with ctx.db.unit_of_work() as uow:
        case = find_case(uow.session, reference)
        audit.record(
            uow.session,
            action="alert_sent_by_direct_message",
            actor_id="ypsi-bot",
            at=ctx.clock(),
            case=case,
            reason=problem,
        )
        uow.commit()
