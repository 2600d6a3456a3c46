"""Database rows. The state machines never see these: services translate at the boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from conversations.protection.crypto import EncryptedJSON, EncryptedText

# Column widths of ids (migration 0011): a person is `U…` or `teams:<GUID>` (42 characters); a
# workspace a Slack team or a tenant GUID; a conversation or a posted message may be a Teams
# conversation id (`19:…@thread.tacv2`, `a:1…` for a chat), far longer than Slack's.
PERSON = 64
CONVERSATION = 255


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Draft(Base):
    """A report in progress: one open draft per member of staff, answers saved after each step."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(PERSON))
    user_id: Mapped[str] = mapped_column(String(PERSON))
    academy_key: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("drafts.answers"), default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "uq_drafts_open_per_user",
            "team_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class Case(Base):
    """A reported incident owned by an academy's DSL team, moved through the case lifecycle."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    academy_key: Mapped[str] = mapped_column(String(64), index=True)
    team_id: Mapped[str] = mapped_column(String(PERSON))
    reporter_id: Mapped[str] = mapped_column(String(PERSON), index=True)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("cases.answers"), default=dict)
    category: Mapped[str] = mapped_column(String(32))
    triggers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    under_13: Mapped[bool] = mapped_column(default=False)
    immediate_referral: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[str | None] = mapped_column(String(PERSON))
    facts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decisions: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("cases.decisions"), default=dict)
    alert_channel: Mapped[str | None] = mapped_column(String(CONVERSATION))
    alert_ts: Mapped[str | None] = mapped_column(String(CONVERSATION))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Set when retention purged the content: the row stays as the anchor of its audit chain.
    purged_at: Mapped[datetime | None]


class Deletion(Base):
    """A young person (by pseudonym) asked to delete imagery by a deadline."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(EncryptedText("deletions.pseudonym"))
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    follow_up_user: Mapped[str | None] = mapped_column(String(PERSON))
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(PERSON))


class AuditEvent(Base):
    """Append-only record of everything done: never updated or deleted (a trigger refuses it)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    academy_key: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(PERSON))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(EncryptedText("audit_events.reason"))
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("audit_events.details"), default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key whose derived MAC key made `hash`; None for events written before the chain was keyed.
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditCheckpoint(Base):
    """The head of every audit chain at a moment, MAC'd and chained: truncation shows against it.

    Append-only like the events. Holds ids, counts and MACs only, never content; its short
    digest travels outside the database (the weekly digest, `ypsi audit checkpoint`).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    heads: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64), unique=True)


class Reminder(Base):
    """A durable reminder: claimed atomically by one runner, with a lease, then marked sent."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_reminders_state_due", "state", "due_at"),)


class ReferenceCounter(Base):
    """The last case number issued per year; incremented under a row lock."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class ProcessedDelivery(Base):
    """Slack deliveries already handled (event ids, interaction keys): retries do nothing twice."""

    __tablename__ = "processed_deliveries"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    at: Mapped[datetime]
    # An interaction's outcome, returned to a replay of it (conversations/delivery/replays.py).
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PracticeClock(Base):
    """The practice console's simulated time, kept with its database so a restart resumes it."""

    __tablename__ = "practice_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    offset_seconds: Mapped[int] = mapped_column(default=0)


class PersonName(Base):
    """A member of staff's name as the chat platform gave it, kept for a while (see directory.py)."""

    __tablename__ = "person_names"

    user_id: Mapped[str] = mapped_column(String(PERSON), primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText("person_names.name"))
    fetched_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message to deliver, written in the transaction of the change it tells of (see outbox.py).

    Platform-neutral: who gets it (`recipient_kind` channel or user, and an id) and plain data
    a front end renders (`payload`, sealed: a reminder's private copy may name a pseudonym;
    emptied once delivered or dead). `platform` says which front end delivers it (from the
    recipient's id). `next_attempt_at` is both the due time and the lease.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16), default="slack", server_default="slack")
    recipient_kind: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(CONVERSATION))
    academy_key: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"), index=True)
    fallback_of: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("outbox.payload"), default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)


class Address(Base):
    """Where a front end reaches a person or channel proactively (see delivery/addresses.py).

    An opaque conversation reference the front end stored (Teams: conversation id, service URL,
    tenant id): ids and URLs only, never a name or anything about a pupil.
    """

    __tablename__ = "addresses"

    who: Mapped[str] = mapped_column(String(CONVERSATION), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    address: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
