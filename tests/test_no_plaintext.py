"""No pupil data in logs, exception messages, channel cards or the database file in clear.

A sentinel goes into every free-text field of the dialogue (read from guidance.toml, so a new
text field is covered without editing this test). Each flow in FLOWS drives one path of the
product through the real bootstrap (its logging, its keyring) and adds to `seen` what a channel,
a direct message or an error message showed. To cover a new path (e.g. the Slack listeners),
append a flow; the retention purge runs last, after the database files are checked once.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import build_context
from bot.config import Settings
from bot.console.terminal import Console
from bot.ids import ActionId, CallbackId
from bot.logs import HANDLER_NAME, OWN, configure_logging
from conversations.casefile import cases, casework
from conversations.context import Context
from conversations.dialogue import reports
from conversations.errors import ConversationError
from conversations.protection import retention
from conversations.scheduling.runner import Runner
from conversations.storage.models import Case
from tests.answers import BASE, complete
from tests.conftest import OAKFIELD, RIVERSIDE, TEACHER, TEAM, TEST_KEYRING
from tests.slack.fake_api import FakeSlackApi
from tests.slack.harness import Response, SlackHarness

NOISY_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "alembic", "slack_bolt", "slack_sdk")


def sentinels_for(ctx: Context, tag: str) -> dict[tuple[str, str], str]:
    """A distinct sentinel per free-text field: (step, field) → text."""
    return {
        (step.key, f.key): f"SENTINEL-{tag}-{step.key}-{f.key}".upper()
        for step in ctx.guidance.steps.values()
        for f in step.fields
        if f.type == "text"
    }


def answers_with(sentinels: dict[tuple[str, str], str], base: dict[str, dict[str, Any]]) -> dict:
    answers = {step: dict(values) for step, values in base.items()}
    for (step, key), text in sentinels.items():
        answers.setdefault(step, {})[key] = text
    return answers


def report_via_services(ctx: Context, seen: list[str]) -> None:
    sentinels = sentinels_for(ctx, "services")
    draft = complete(ctx, TEACHER, TEAM, answers_with(sentinels, BASE))
    sent = reports.submit(ctx, draft.id, TEACHER)
    seen.append(repr(sent.alert))


def urgent_report(ctx: Context, seen: list[str]) -> None:
    urgent = {**BASE, "risk": {"immediate_risk": "yes"}}
    draft = reports.start(ctx, TEAM, TEACHER)
    answers = answers_with(sentinels_for(ctx, "urgent"), urgent)
    while draft.state != "review":
        outcome = reports.answer(ctx, draft.id, TEACHER, answers[draft.state])
        seen.extend(repr(a) for a in [outcome.urgent_alert] if a is not None)
        draft = outcome.draft
    seen.append(repr(reports.submit(ctx, draft.id, TEACHER).alert))


def dsl_acknowledges(ctx: Context, seen: list[str]) -> None:
    dsl = OAKFIELD.dsl_users[0]
    for line in cases.open_cases(ctx, dsl):
        seen.append(repr(cases.acknowledge(ctx, line.reference, dsl)))
        seen.append(repr(line))


def dsl_decisions(ctx: Context, seen: list[str]) -> None:
    """Case study A from report to closed, a sentinel in every free-text decision field."""
    draft = complete(ctx, TEACHER, TEAM, answers_with(sentinels_for(ctx, "dsl"), BASE))
    ref = reports.submit(ctx, draft.id, TEACHER).reference
    dsl = OAKFIELD.dsl_users[0]
    text = "SENTINEL-DSL-{}".format
    steps: list[tuple[str, dict[str, Any]]] = [
        ("acknowledged", {}),
        ("principal_informed", {}),
        ("initial_review", {"attendees": text("ATTENDEES"), "summary": text("SUMMARY")}),
        (
            "managed_in_school",
            {
                "referral_decision": "none",
                "reason": text("REASON"),
                "plan": text("PLAN"),
                "principal": OAKFIELD.principal_user,
            },
        ),
        (
            "viewing",
            {
                "reason": "unavoidable",
                "no_distress": "confirmed",
                "same_sex": "not_possible",
                "same_sex_why": text("SAME-SEX"),
                "present": OAKFIELD.deputy_users[0],
                "place": "off_premises",
                "place_why": text("PLACE"),
                "viewed_at": "2026-11-23 09:00",
                "actions": text("ACTIONS"),
                "not_copied": "confirmed",
            },
        ),
        (
            "device_search",
            {"authorised_by": OAKFIELD.principal_user, "outcome": "returned", "notes": text("SEARCH")},
        ),
        (
            "further_review",
            {
                "interview": "held",
                "interviewed_on": "2026-11-23",
                "interviewed_by": OAKFIELD.dsl_users[0],
                "interviewer": "dsl",
                **{k: text(k) for k in ("why_shared", "who_where", "adults", "impact", "vulnerabilities")},
                **{k: text(k) for k in ("consent", "previous")},
                "online": "no",
                "containment": ["deletion_asked"],
            },
        ),
        ("parents_informed", {"how": "in_person", "notes": text("NOTES")}),
        ("deletion_requested", {"deadline": "2026-11-25", "young_people": text("PSEUDONYM")}),
    ]
    for key, values in steps:
        outcome = casework.record_decision(ctx, ref, dsl, key, values)
        seen.extend([repr(outcome.alert), outcome.tell_reporter or ""])
    pending = casework.decision_form(ctx, ref, dsl, "deletion_confirmed").choices["deletions"]
    casework.record_decision(ctx, ref, dsl, "deletion_confirmed", {"deletions": list(pending)})
    closing = {"summary": text("CLOSING"), "support": text("SUPPORT"), "lessons": text("LESSONS")}
    closed = casework.record_decision(ctx, ref, dsl, "closed", closing)
    assert closed.to_state == "closed"
    seen.extend(repr(line) for line in casework.dsl_overview(ctx, dsl))
    seen.extend(repr(line) for line in casework.my_reports(ctx, TEACHER))


def reminders(ctx: Context, seen: list[str]) -> None:
    """Everything due over the next fortnight is delivered; the messages are what Slack shows."""
    delivered: list[str] = []
    for _ in range(14):
        ctx.clock.advance(days=1)  # type: ignore[attr-defined]
        Runner(ctx, lambda message: delivered.append(repr(message))).drain()
    assert delivered, "open cases should have had reminders"
    seen.extend(delivered)


def purge(ctx: Context, seen: list[str]) -> None:
    ctx.clock.advance(days=365 * 30)  # type: ignore[attr-defined]
    plan = retention.purge(ctx, retention.load_retention(), dry_run=False)
    assert plan.cases, "the closed case should be past its retention date"
    seen.append(repr(plan))


def errors(ctx: Context, seen: list[str]) -> None:
    sentinels = sentinels_for(ctx, "error")
    draft = reports.start(ctx, TEAM, TEACHER)
    attempts: list[Callable[[], object]] = [
        lambda: reports.answer(ctx, draft.id, TEACHER, {"understood": sentinels[("account", "account")]}),
        lambda: reports.get(ctx, draft.id, RIVERSIDE.dsl_users[0]),
        lambda: cases.open_cases(ctx, sentinels[("account", "account")]),
        lambda: cases.acknowledge(ctx, "YPSI-2026-0001", RIVERSIDE.dsl_users[0]),
    ]
    reports.answer(ctx, draft.id, TEACHER, BASE["safety"])
    reports.answer(ctx, draft.id, TEACHER, BASE["risk"])
    young = BASE["young_people"]
    attempts += [
        lambda: reports.answer(ctx, draft.id, TEACHER, {**young, "ages": sentinels[("account", "account")]}),
        lambda: reports.answer(
            ctx, draft.id, TEACHER, {**young, "identifiers": sentinels[("account", "account")] * 5000}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ConversationError) as raised:
            attempt()
        seen.append(f"{raised.value!r} {raised.value} {getattr(raised.value, 'errors', '')}")
    reports.cancel(ctx, draft.id, TEACHER)


def practice_console(ctx: Context, seen: list[str]) -> None:
    s = sentinels_for(ctx, "console")
    script = (
        f"report\n1\n2\n2\n2\n15, 15\n{s[('young_people', 'identifiers')]}\n"
        f"2\n1\n\n2\n{s[('sharing', 'platform')]}\n2\n\n1\n{s[('account', 'account')]}\nyes\nquit\n"
    )
    out = io.StringIO()
    Console(ctx, stdin=io.StringIO(script), stdout=out, user=TEACHER).run()
    assert "Your reference is YPSI-" in out.getvalue()
    seen.append(out.getvalue().split("receives")[1])  # the channel card, not the teacher's own review


def report_via_slack(ctx: Context, seen: list[str]) -> None:
    """The Slack adapter: a report through signed requests, the DSL's card buttons, Home, and
    requests that fail (invalid answers, forged metadata, malformed payloads, a Slack error).

    `seen` gets every message the app posted (channels and direct messages, the reporter's
    included), the Home tab, and every ack's text: modals are left out, as they show people
    their own answers and the DSL the case.
    """
    sentinel = sentinels_for(ctx, "slack")
    mark = "SENTINEL-SLACK-{}".format
    api = FakeSlackApi().start()
    slack = SlackHarness(ctx, api)
    acks: list[Response] = []
    try:
        answers = answers_with(sentinel, BASE)
        acks.append(slack.command(TEACHER, "report " + mark("COMMAND")))
        while slack.view(TEACHER)["callback_id"] != CallbackId.REVIEW:
            step = slack.view(TEACHER)["callback_id"].split(":", 1)[1]
            if step == "young_people":  # an invalid answer first: its error must not echo it
                acks.append(slack.submit_view(TEACHER, {**answers[step], "ages": mark("AGES")}))
            acks.append(slack.submit_view(TEACHER, answers[step]))
        forged = slack.submission(TEACHER)
        forged["view"].update(id="V0FORGED", private_metadata=mark("METADATA"))
        acks.append(slack.interact(forged))
        forged["view"]["state"] = {"values": {mark("BLOCK"): mark("ELEMENT")}}
        acks.append(slack.interact(forged))
        acks.append(slack.submit_view(TEACHER))
        reference = casework.my_reports(ctx, TEACHER)[0].reference
        with ctx.db.unit_of_work() as uow:
            stored = uow.session.scalar(select(Case.answers).where(Case.reference == reference))
        assert sentinel[("account", "account")] in repr(stored), "the typed text really went through Slack"
        [card] = [c for c in slack.api.posted(OAKFIELD.dsl_channel) if "blocks" in c]
        dsl = OAKFIELD.dsl_users[0]
        acks.append(slack.click_message(dsl, OAKFIELD.dsl_channel, "1.1", ActionId.ACKNOWLEDGE, reference))
        acks.append(slack.click_message(dsl, OAKFIELD.dsl_channel, "1.1", ActionId.OPEN_CASE, reference))
        acks += [slack.open_home(TEACHER), slack.open_home(dsl)]
        acks.append(slack.command(RIVERSIDE.dsl_users[0], f"case {reference} {mark('CASE')}"))
        acks.append(slack.command(TEACHER, "status"))
        slack.api.fail("views.open", "expired_trigger_id")  # the error handler's path
        acks.append(slack.command(TEACHER, "report " + mark("FAILING")))
    finally:
        slack.stop()
        api.stop()
    assert card and acks
    published = [c.params for c in api.calls() if c.method.startswith("chat.") or c.method == "views.publish"]
    seen.extend(json.dumps(p) for p in published)
    seen.extend(a.body for a in acks if '"response_action"' not in a.body)  # ack texts, not modals
    seen.extend(json.dumps(a.json.get("errors", {})) for a in acks)


FLOWS = [
    report_via_services,
    urgent_report,
    dsl_acknowledges,
    dsl_decisions,
    reminders,
    errors,
    practice_console,
    report_via_slack,
]


def _academies_file(tmp_path: Path) -> Path:
    path = tmp_path / "academies.toml"
    entries = []
    for a in (OAKFIELD, RIVERSIDE):
        entries.append(
            f'[[academy]]\nkey = "{a.key}"\nname = "{a.name}"\ndsl_channel = "{a.dsl_channel}"\n'
            f"dsl_users = {list(a.dsl_users)}\ndeputy_users = {list(a.deputy_users)}\n"
            f"staff_users = {list(a.staff_users)}\n".replace("'", '"')
        )
    path.write_text("\n".join(entries))
    return path


@pytest.fixture
def bootstrapped(tmp_path, clock, caplog) -> tuple[Context, io.StringIO]:
    """The context as `ypsi run` builds it, everything logging at DEBUG, and the log output."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ypsi.db'}",
        academies_file=_academies_file(tmp_path),
        bot_token="",
        signing_secret="",
        app_token="",
        api_url="",
        port=3000,
        encryption_keys=TEST_KEYRING.line(),
    )
    ctx = build_context(settings, clock=clock)
    output = io.StringIO()
    _process_handler().setStream(output)
    caplog.set_level(logging.DEBUG)
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return ctx, output


def _process_handler() -> logging.StreamHandler:
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME]
    assert isinstance(handler, logging.StreamHandler)
    return handler


def _record_texts(record: logging.LogRecord) -> str:
    fields = {k: v for k, v in record.__dict__.items() if k not in ("exc_info", "args", "msg")}
    return f"{record.getMessage()} {record.exc_text or ''} {fields}"


TAGS = ("SERVICES", "URGENT", "DSL", "ERROR", "CONSOLE", "SLACK")


def _database_bytes(ctx: Context, folder: Path) -> bytes:
    ctx.db.engine.dispose()  # no connection holds pages back: the files are all there is
    return b"".join(p.read_bytes() for p in folder.glob("ypsi.db*"))


def test_no_sentinel_in_logs_messages_cards_or_database(bootstrapped, caplog, tmp_path):
    ctx, output = bootstrapped
    assert len(sentinels_for(ctx, "x")) >= 3, "the dialogue should have free-text fields"
    seen: list[str] = []
    for flow in FLOWS:
        flow(ctx, seen)
    with ctx.db.unit_of_work() as uow:
        stored = repr([(c.answers, c.decisions) for c in uow.session.query(Case)])
    assert "SENTINEL-SERVICES-ACCOUNT-ACCOUNT" in stored and "SENTINEL-DSL-PLAN" in stored, "really stored"
    databases = [_database_bytes(ctx, tmp_path)]
    purge(ctx, seen)  # last: it empties the closed case
    databases.append(_database_bytes(ctx, tmp_path))
    assert '"case": "YPSI-2026-0001"' in output.getvalue(), "audit log lines should be written"
    # Our own records must be clean as logged; library records as written out by the handler
    # (SQLAlchemy logs decrypted rows at DEBUG: the filter must keep them out of the output).
    own = "".join(_record_texts(r) for r in caplog.records if r.name.split(".")[0] in OWN)
    assert "SENTINEL" in "".join(_record_texts(r) for r in caplog.records), "DEBUG capture is on"
    for sentinel in ("SENTINEL-" + tag for tag in TAGS):
        assert sentinel not in own, f"{sentinel} reached one of our log records"
        assert sentinel not in output.getvalue(), f"{sentinel} reached the log output"
        assert all(sentinel not in text for text in seen), f"{sentinel} reached a card or error message"
        assert all(sentinel.encode() not in db for db in databases), f"{sentinel} is in the database in clear"


def test_filter_drops_library_chatter_and_masks_secrets():
    unfiltered = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(unfiltered))  # as logging.basicConfig does
    output = io.StringIO()
    configure_logging(logging.DEBUG, ["signing-SECRET-value"]).setStream(output)
    assert [type(h) for h in logging.getLogger().handlers].count(logging.StreamHandler) == 1
    logging.getLogger("slack_sdk.web.base_client").debug(
        "Sending a request - json_body: {'text': 'Pupil AB'}"
    )
    logging.getLogger("slack_bolt.App").warning("Unhandled request ({'view': {'state': 'Pupil AB'}})")
    logging.getLogger("ypsi.slack").info(
        "token xoxb-123-abc secret signing-SECRET-value sig v0=%s", "ab" * 16
    )
    try:
        raise ValueError("Pupil AB is not a number")
    except ValueError:
        logging.getLogger("ypsi.slack").exception("step failed")
    configure_logging(logging.WARNING)
    text = output.getvalue()
    assert "Pupil AB" not in text and "xoxb-123" not in text and "SECRET" not in text and "abab" not in text
    assert "Unhandled request ({…})" in text and "[token]" in text and "builtins.ValueError at" in text
    assert "Sending a request" not in text and len(text.splitlines()) == 3
    assert unfiltered.getvalue() == "", "the earlier handler was replaced"


def test_a_short_configured_secret_does_not_mangle_ordinary_words():
    from bot.logs import RedactingFilter

    redactor = RedactingFilter(["s", "xoxb-real-token-0123456789", "a-signing-secret-of-32-characters"])
    assert redactor.redact("case acknowledged by its owner") == "case acknowledged by its owner"
    assert "a-signing-secret" not in redactor.redact("sent a-signing-secret-of-32-characters here")
