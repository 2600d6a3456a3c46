"""Where a case goes and what the minimal channel alert says: plain data, no Slack.

The alert never carries pupil names, ages beyond the under-13 flag, or any free text:
channel messages show on lock screens and live under Slack's retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from conversations.casefile.references import find_case
from conversations.context import Context
from conversations.delivery import outbox
from conversations.errors import NotFound
from conversations.storage.models import Case
from state_machines.case import REPORTED

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


# What `alert_for` reads of a case: the card is rendered at each delivery, and the answers and
# decisions (sealed) are not on it.
CARD_ONLY = load_only(
    Case.reference,
    Case.academy_key,
    Case.urgent,
    Case.submitted_at,
    Case.category,
    Case.immediate_referral,
    Case.under_13,
    Case.reporter_id,
    Case.created_at,
    Case.state,
    Case.owner_id,
    Case.alert_ts,
    raiseload=True,
)

ACKNOWLEDGE = "acknowledge"
OPEN_CASE = "open_case"
ACTION_LABELS = {ACKNOWLEDGE: "Acknowledge", OPEN_CASE: "Open case"}


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

    @property
    def status_text(self) -> str:
        """The status as the card shows it."""
        return self.status_label + (" (report still being completed)" if self.in_progress else "")

    @property
    def flags(self) -> tuple[str, ...]:
        """The lines that make the DSL look twice, in the card's order."""
        lines = [
            (self.under_13, "A young person under 13 is involved."),
            (self.immediate_referral, "Immediate referral indicated by the policy (the DSL decides)."),
        ]
        return tuple(text for shown, text in lines if shown)

    @property
    def actions(self) -> tuple[str, ...]:
        """The card's buttons now: Acknowledge only while nobody has, then the case itself."""
        return (ACKNOWLEDGE, OPEN_CASE) if self.status == REPORTED else (OPEN_CASE,)


def alert_for(ctx: Context, case: Case) -> Alert:
    """The alert card's content for a case row."""
    academy = ctx.academies.get(case.academy_key)
    return Alert(
        reference=case.reference,
        academy_key=academy.key,
        academy_name=academy.name,
        channel=academy.destination,
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
    """The current alert card of a case, by reference (its sealed content is not read)."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference).options(CARD_ONLY))
        if case is None:
            raise NotFound(reference)
        return alert_for(ctx, case)


def record_alert_posted(ctx: Context, reference: str, channel: str, ts: str) -> None:
    """Remember where the card was posted so later changes update it in place."""
    with ctx.db.unit_of_work() as uow:
        case = find_case(uow.session, reference)
        case.alert_channel, case.alert_ts = channel, ts
        uow.commit()


def queue_alert(ctx: Context, session: Session, case: Case, *, mention_dsls: bool = False) -> int:
    """Write the case's card to the DSL channel in the outbox (posted, or updated once posted)."""
    channel = ctx.academies.get(case.academy_key).destination
    payload = {"reference": case.reference, "mention_dsls": mention_dsls}
    return outbox.add(
        session, outbox.Kind.ALERT, outbox.CHANNEL, channel, now=ctx.clock(), case=case, payload=payload
    )


def queue_card_update(ctx: Context, session: Session, case: Case) -> int:
    """Write an update of the case's card (its status or owner changed) in the outbox."""
    channel = ctx.academies.get(case.academy_key).destination
    payload = {"reference": case.reference}
    return outbox.add(
        session, outbox.Kind.CARD, outbox.CHANNEL, channel, now=ctx.clock(), case=case, payload=payload
    )


def queue_receipt(ctx: Context, session: Session, case: Case, *, out_of_hours: bool) -> int:
    """Write the reporter's receipt (reference, next steps, help for the young person and, sent
    out of school hours, whom to call now) in the outbox."""
    payload = {"reference": case.reference, "out_of_hours": out_of_hours}
    return outbox.add(
        session,
        outbox.Kind.RECEIPT,
        outbox.USER,
        case.reporter_id,
        now=ctx.clock(),
        case=case,
        payload=payload,
    )


def queue_principal(ctx: Context, session: Session, case: Case, user_id: str) -> int:
    """Write the Principal's direct message (the minimal card) about an urgent or aggravated case."""
    payload = {"reference": case.reference}
    return outbox.add(
        session, outbox.Kind.PRINCIPAL, outbox.USER, user_id, now=ctx.clock(), case=case, payload=payload
    )


def queue_notice(ctx: Context, session: Session, case: Case, user_id: str, text: str) -> int:
    """Write a short text to one person about a case (e.g. "a DSL has picked it up") in the outbox."""
    return outbox.add(
        session, outbox.Kind.NOTICE, outbox.USER, user_id, now=ctx.clock(), case=case, payload={"text": text}
    )
