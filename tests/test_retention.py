"""Retention: closed cases until the youngest's 25th birthday (or years after closure), stale
drafts after 30 days; purges are audited and leave every audit chain verifiable."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from conversations.casefile import casework
from conversations.casefile.export import export_case
from conversations.delivery.deliveries import first_delivery
from conversations.dialogue import reports
from conversations.protection import audit, retention
from conversations.storage.models import AuditEvent, Case, Deletion, Draft, ProcessedDelivery
from tests.answers import BASE, CASE_A, complete
from tests.conftest import OAKFIELD, ROAMING, TEACHER, TEAM
from tests.test_cli import ypsi

RULES = retention.load_retention()
SECRET = "SENTINEL-RETAINED"
NO_AGES = {**BASE, "young_people": {**BASE["young_people"], "ages": ""}}


def _closed_case(ctx, answers, user=TEACHER) -> str:
    with_secret = {**answers, "account": {"account": SECRET}}
    draft = complete(ctx, user, TEAM, with_secret)
    reference = reports.submit(ctx, draft.id, user).reference
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference))
        # Closing belongs to the DSL services; here only its outcome matters.
        case.state, case.closed_at = "closed", ctx.clock()
        case.decisions = {"plan": SECRET}
        uow.session.add(Deletion(case_id=case.id, pseudonym=SECRET, deadline=date(2026, 12, 1)))
        uow.commit()
    return reference


def test_default_rules():
    assert (RULES.until_age, RULES.years_after_closure, RULES.draft_days, RULES.delivery_days) == (
        25,
        25,
        30,
        7,
    )


def test_keep_until_youngest_25th_birthday_else_years_after_closure(sqlite_ctx, clock):
    aged = _closed_case(sqlite_ctx, CASE_A)  # two 15-year-olds, reported 23 November 2026
    unaged = _closed_case(sqlite_ctx, NO_AGES, user=ROAMING)
    with sqlite_ctx.db.unit_of_work() as uow:
        by_ref = {c.reference: c for c in uow.session.scalars(select(Case))}
        assert retention.keep_until(RULES, by_ref[aged]) == retention.Due(aged, date(2037, 11, 23), "age 25")
        assert retention.keep_until(RULES, by_ref[unaged]).keep_until == date(2051, 11, 23)


def _everything_readable(ctx) -> str:
    with ctx.db.unit_of_work() as uow:
        rows = [uow.session.scalars(select(m)).all() for m in (Case, Draft, Deletion, AuditEvent)]
        return repr([[vars(r) for r in group] for group in rows])


def test_purge_empties_a_due_case_keeps_its_chain_and_audits_it(ctx, clock):
    due = _closed_case(ctx, CASE_A)
    open_draft = complete(ctx, OAKFIELD.dsl_users[0], TEAM, CASE_A)
    assert SECRET in _everything_readable(ctx)
    clock.advance(days=365 * 11 + 3)  # 2037-11-26: past the 25th birthday
    plan = retention.purge(ctx, RULES, dry_run=True)
    assert [d.reference for d in plan.cases] == [due] and plan.drafts == 2
    assert SECRET in _everything_readable(ctx), "a dry run changes nothing"

    assert retention.purge(ctx, RULES, dry_run=False) == plan
    assert SECRET not in _everything_readable(ctx)
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == due))
        assert (case.answers, case.decisions, case.draft_id) == ({}, {}, None)
        assert case.purged_at == clock.now and case.category == "romantic"
        assert uow.session.scalars(select(Draft)).all() == []
        assert uow.session.get(Draft, open_draft.id) is None
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["case_purged", "drafts_purged"]
        assert audit.verify(uow.session)[1] == []
    assert retention.purge(ctx, RULES, dry_run=False) == retention.Plan([], 0, 0)


def test_cases_not_due_and_open_cases_stay(ctx, clock):
    closed = _closed_case(ctx, CASE_A)
    draft = complete(ctx, ROAMING, TEAM, {**CASE_A, "academy": {"academy": "oakfield"}})
    reports.submit(ctx, draft.id, ROAMING)  # stays open (reported) forever
    clock.advance(days=365 * 11)  # 2037-11-20: three days before the 25th birthday
    plan = retention.purge(ctx, RULES, dry_run=False)
    assert plan.cases == [] and plan.drafts == 2  # the two submitted drafts: the cases hold the answers
    with ctx.db.unit_of_work() as uow:
        kept = uow.session.scalars(select(Case).order_by(Case.id)).all()
        assert [c.reference for c in kept][0] == closed
        assert all(c.answers["account"]["account"] for c in kept) and all(c.draft_id is None for c in kept)


def test_drafts_go_after_30_days_untouched(ctx, clock):
    old = reports.start(ctx, TEAM, TEACHER)
    clock.advance(days=2)
    recent = reports.start(ctx, TEAM, ROAMING)
    clock.advance(days=29)
    plan = retention.purge(ctx, RULES, dry_run=False)
    assert plan.drafts == 1
    with ctx.db.unit_of_work() as uow:
        assert [d.id for d in uow.session.scalars(select(Draft))] == [recent.id]
        assert uow.session.get(Draft, old.id) is None
        purged = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "drafts_purged"))
        assert purged.details == {"count": 1} and purged.case_id is None
    clock.advance(days=1, minutes=1)  # the recent one is now over 30 days old
    assert retention.purge(ctx, RULES, dry_run=True).drafts == 1


def test_purge_command(tmp_path):
    ypsi(["console"], tmp_path, "report\n1\nquit\n")
    out = ypsi(["purge", "--dry-run"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Would purge 0 closed cases, 0 drafts and 0 old Slack event ids.")
    assert ypsi(["purge"], tmp_path).stdout.startswith(
        "Purged 0 closed cases, 0 drafts and 0 old Slack event ids."
    )
    (tmp_path / "rules.toml").write_text("[closed_cases]\nuntil_age = 25\n")
    bad = ypsi(["purge"], tmp_path, YPSI_RETENTION_FILE="rules.toml")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "rules.toml" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "text",
    [
        "[closed_cases]\nuntil_age = 0\nages_answer = 'a.b'\nyears_after_closure = 1\n"
        "[drafts]\ndays = 1\n[deliveries]\ndays = 1\n"
    ],
)
def test_bad_periods_are_refused(tmp_path, text):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(retention.ConfigError, match="at least 1"):
        retention.load_retention(path)


def test_a_purged_case_still_opens_and_exports_empty(sqlite_ctx, clock):
    reference = _closed_case(sqlite_ctx, CASE_A)
    clock.advance(days=365 * 12)
    retention.purge(sqlite_ctx, RULES, dry_run=False)
    detail = casework.case_detail(sqlite_ctx, reference, OAKFIELD.dsl_users[0])
    record = export_case(sqlite_ctx, reference, "cli:test", "md")
    assert detail.reference == reference and f"# Safeguarding record {reference}" in record
    assert SECRET not in repr(detail) and SECRET not in record


def test_handled_slack_event_ids_go_after_a_week(ctx, clock):
    assert first_delivery(ctx, "event:Ev-old")
    clock.advance(days=6)
    assert first_delivery(ctx, "event:Ev-recent")
    clock.advance(days=1, minutes=1)
    assert retention.purge(ctx, RULES, dry_run=True).deliveries == 1
    assert retention.purge(ctx, RULES, dry_run=False).deliveries == 1
    with ctx.db.unit_of_work() as uow:
        assert uow.session.scalars(select(ProcessedDelivery.key)).all() == ["event:Ev-recent"]
    assert not first_delivery(ctx, "event:Ev-recent"), "a retry within the week is still refused"
