"""Requests at the same moment, against the running app over signed HTTP: nothing lost, nothing twice.

Each test runs on a real SQLite file and on PostgreSQL, with the app served by one process
(concurrent requests on its threads) and by two processes on the same database. Two DSLs
pressing Acknowledge at once take the case once and the reporter is told once; notes recorded
at once are all kept; a report submitted twice at once makes one case, one card, one receipt;
every case opened at once is audited once per opening; and every audit chain verifies afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.ids import ActionId, CallbackId
from bot.slack.courier import Courier, delivery_client
from bot.slack.listeners.flow import current_view
from bot.slack.views.case import decision_view
from conversations.casefile import casework
from conversations.dialogue import reports
from conversations.protection import audit
from conversations.storage.models import AuditEvent, Case
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, TEACHER, TEAM
from tests.slack.fake_api import dm_channel
from tests.slack.harness import state_values
from tests.slack.served import interaction, message_click, modal_submission, send_all, served, settings

DSL = OAKFIELD.dsl_users[0]
DEPUTY = OAKFIELD.deputy_users[0]
CHANNEL = OAKFIELD.dsl_channel
PICKED_UP = "A DSL has picked up your report"
CASES = 8
NOTES = 16
ROUNDS = 4
COPIES = 4  # identical submissions of one report at once
OPENINGS = 16
SERVING = pytest.mark.parametrize("processes", [0, 2], ids=["threads", "two-processes"])


def submitted(ctx) -> str:
    """A report sent by the teacher (through the services); its reference."""
    draft = complete(ctx, TEACHER, TEAM, CASE_A)
    return reports.submit(ctx, draft.id, TEACHER).reference


def deliver_due(ctx, api) -> None:
    """The outbox delivered as the runner does: the reports' cards and receipts, before anyone clicks
    (a message to the reporter waits behind their receipt)."""
    courier = Courier(ctx, delivery_client(settings(api.url)))
    while courier.send_due():
        pass
    courier.close()


def events(ctx, action: str, reference: str | None = None) -> int:
    with ctx.db.unit_of_work(read_only=True) as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if reference is not None:
            query = query.join(Case, AuditEvent.case_id == Case.id).where(Case.reference == reference)
        return uow.session.scalar(query)


def chain_breaks(ctx) -> list[audit.ChainBreak]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        return audit.verify(uow.session)[1]


@SERVING
def test_two_dsls_acknowledging_at_once_take_each_case_once(ctx, slack_api, processes, tmp_path):
    refs = [submitted(ctx) for _ in range(CASES)]
    deliver_due(ctx, slack_api)
    with served(ctx, slack_api, processes, tmp_path) as urls:
        clicks = [
            interaction(
                urls[n % len(urls)],
                message_click(who, CHANNEL, "1790000000.000001", ActionId.ACKNOWLEDGE, ref, n),
            )
            for n, (ref, who) in enumerate((r, w) for r in refs for w in (DSL, DEPUTY))
        ]
        answers = send_all(clicks)
    assert [a.status for a in answers] == [200] * len(clicks)
    assert [events(ctx, "acknowledged", ref) for ref in refs] == [1] * CASES
    told = [p for p in slack_api.posted(dm_channel(TEACHER)) if PICKED_UP in p.get("text", "")]
    assert len(told) == CASES
    assert chain_breaks(ctx) == []


@SERVING
def test_notes_recorded_at_once_are_all_kept(ctx, slack_api, processes, tmp_path):
    ref = submitted(ctx)
    form = decision_view(casework.decision_form(ctx, ref, DSL, "note"))
    with served(ctx, slack_api, processes, tmp_path) as urls:
        notes = [
            interaction(
                urls[n % len(urls)],
                modal_submission(
                    (DSL, DEPUTY)[n % 2], form, state_values(form, {"note": f"note {n}"}), f"VNOTE{n:04d}"
                ),
            )
            for n in range(NOTES)
        ]
        answers = send_all(notes)
    assert [a.json.get("response_action") for a in answers] == ["update"] * NOTES
    with ctx.db.unit_of_work(read_only=True) as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == ref))
        kept = sorted(e["values"]["note"] for e in case.decisions["note"])
    assert kept == sorted(f"note {n}" for n in range(NOTES))
    assert events(ctx, "note", ref) == NOTES
    assert chain_breaks(ctx) == []


@SERVING
def test_a_report_submitted_several_times_at_once_makes_one_case(ctx, slack_api, processes, tmp_path):
    with served(ctx, slack_api, processes, tmp_path) as urls:
        for round_ in range(ROUNDS):
            draft = complete(ctx, TEACHER, TEAM, CASE_A)
            review = current_view(ctx, draft)
            assert review["callback_id"] == CallbackId.REVIEW
            payload = modal_submission(TEACHER, review, {}, f"VREVIEW{round_:04d}")
            answers = send_all([interaction(urls[n % len(urls)], payload) for n in range(COPIES)])
            assert [a.json.get("response_action") for a in answers] == ["update"] * COPIES
    assert events(ctx, "report_submitted") == ROUNDS
    with ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == ROUNDS
    assert len(slack_api.posted(CHANNEL)) == ROUNDS  # one card per report
    assert len(slack_api.posted(dm_channel(TEACHER))) == ROUNDS  # one receipt per report
    assert chain_breaks(ctx) == []


@SERVING
def test_audit_chains_stay_whole_under_simultaneous_openings(ctx, slack_api, processes, tmp_path):
    refs = [submitted(ctx) for _ in range(2)]
    with served(ctx, slack_api, processes, tmp_path) as urls:
        clicks = [
            interaction(
                urls[n % len(urls)],
                message_click((DSL, DEPUTY)[n % 2], CHANNEL, "1790000000.000001", ActionId.OPEN_CASE, ref, n),
            )
            for n, ref in enumerate(refs * (OPENINGS // 2))
        ]
        answers = send_all(clicks)
    assert [a.status for a in answers] == [200] * OPENINGS
    assert len(slack_api.calls("views.open")) == OPENINGS
    assert [events(ctx, "case_opened", ref) for ref in refs] == [OPENINGS // 2] * 2
    assert chain_breaks(ctx) == []
