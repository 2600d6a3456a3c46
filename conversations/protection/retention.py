"""Retention: which records are past their keep-until date, and purging them (audited).

A purged case keeps its row (reference, academy, dates, category, state) as the anchor of its
audit chain, which stays whole and verifiable; its answers and decisions are emptied, and its
deletion requests, reminders and draft are deleted. Audit events are never touched: they hold
who did what when, and no pupil details (services keep those out of reasons and details).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from conversations.context import Context
from conversations.errors import ConfigError
from conversations.protection import audit
from conversations.storage.models import Case, Deletion, Draft, ProcessedDelivery, Reminder
from state_machines.case import CLOSED

DEFAULT_FILE = Path(__file__).with_name("retention.toml")
ACTOR = "retention"


@dataclass(frozen=True)
class Retention:
    """The rules of retention.toml."""

    until_age: int
    ages_answer: tuple[str, str]
    years_after_closure: int
    draft_days: int
    delivery_days: int


@dataclass(frozen=True)
class Due:
    """A closed case past its keep-until date, and the rule that set the date."""

    reference: str
    keep_until: date
    rule: str


@dataclass(frozen=True)
class Plan:
    """What a purge removes (or, in a dry run, would remove)."""

    cases: list[Due]
    drafts: int
    deliveries: int


def load_retention(path: Path = DEFAULT_FILE) -> Retention:
    """Read and validate a retention file; every problem is a ConfigError naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        cases, drafts, deliveries = data["closed_cases"], data["drafts"], data["deliveries"]
        step, _, field = str(cases["ages_answer"]).partition(".")
        rules = Retention(
            until_age=int(cases["until_age"]),
            ages_answer=(step, field),
            years_after_closure=int(cases["years_after_closure"]),
            draft_days=int(drafts["days"]),
            delivery_days=int(deliveries["days"]),
        )
    except FileNotFoundError:
        raise ConfigError(f"YPSI_RETENTION_FILE: {path} not found") from None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        problem = f"{exc.__class__.__name__} {exc}"
        raise ConfigError(f"{path}: {problem}; compare with {DEFAULT_FILE.name}") from None
    periods = (rules.until_age, rules.years_after_closure, rules.draft_days, rules.delivery_days)
    if min(periods) < 1 or not field:
        raise ConfigError(f"{path}: periods must be at least 1 and ages_answer must be step.field")
    return rules


def keep_until(rules: Retention, case: Case) -> Due:
    """When a closed case may be purged: the youngest's 25th birthday, else years after closure."""
    assert case.closed_at is not None
    step, field = rules.ages_answer
    ages = [a for a in case.answers.get(step, {}).get(field) or [] if isinstance(a, int)]
    if ages:
        # Aged A at the report, so born at most A + 1 years before it.
        years = rules.until_age - min(ages) + 1
        return Due(case.reference, _add_years(case.created_at.date(), years), f"age {rules.until_age}")
    until = _add_years(case.closed_at.date(), rules.years_after_closure)
    return Due(case.reference, until, f"{rules.years_after_closure} years after closure")


def purge(ctx: Context, rules: Retention, *, dry_run: bool, actor_id: str = ACTOR) -> Plan:
    """Purge everything past its date in one transaction (nothing in a dry run)."""
    now = ctx.clock()
    with ctx.db.unit_of_work() as uow:
        due = [
            (case, d)
            for case in _closed_cases(uow.session)
            if (d := keep_until(rules, case)).keep_until <= now.date()
        ]
        drafts = _stale_drafts(uow.session, now - timedelta(days=rules.draft_days))
        handled_before = ProcessedDelivery.at < now - timedelta(days=rules.delivery_days)
        deliveries = uow.session.scalar(select(func.count()).where(handled_before)) or 0
        plan = Plan([d for _, d in due], len(drafts), deliveries)
        if dry_run:
            return plan
        uow.session.execute(delete(ProcessedDelivery).where(handled_before))
        for case, d in due:
            _purge_case(uow.session, case, d, now, actor_id)
        _delete_drafts(uow.session, drafts)
        if drafts:
            audit.record(
                uow.session, action="drafts_purged", actor_id=actor_id, at=now, details={"count": len(drafts)}
            )
        uow.commit()
        return plan


def _closed_cases(session: Session) -> list[Case]:
    query = select(Case).where(Case.state == CLOSED, Case.purged_at.is_(None), Case.closed_at.is_not(None))
    return list(session.scalars(query.order_by(Case.id)))


def _stale_drafts(session: Session, before: datetime) -> list[str]:
    return list(session.scalars(select(Draft.id).where(Draft.updated_at < before)))


def _purge_case(session: Session, case: Case, due: Due, now: datetime, actor_id: str) -> None:
    session.execute(delete(Deletion).where(Deletion.case_id == case.id))
    session.execute(delete(Reminder).where(Reminder.case_id == case.id))
    draft_id, case.draft_id = case.draft_id, None
    case.answers, case.decisions, case.purged_at, case.updated_at = {}, {}, now, now
    session.flush()
    if draft_id is not None:
        _delete_drafts(session, [draft_id])
    details: dict[str, Any] = {"rule": due.rule, "keep_until": due.keep_until.isoformat()}
    audit.record(session, action="case_purged", actor_id=actor_id, at=now, case=case, details=details)


def _delete_drafts(session: Session, ids: list[str]) -> None:
    if not ids:
        return
    # A case made from the draft keeps its own copy of the answers; it just forgets the link.
    session.execute(update(Case).where(Case.draft_id.in_(ids)).values(draft_id=None))
    session.execute(delete(Reminder).where(Reminder.draft_id.in_(ids)))
    session.execute(delete(Draft).where(Draft.id.in_(ids)))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)
