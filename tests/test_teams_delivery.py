"""The outbox delivered to Microsoft Teams, against a fake Bot Connector that records every call.

The services write the rows (a report submitted, a DSL's decision, a reminder falling due);
the Teams courier delivers them as proactive messages, as the listeners and the runner hand
them over. The DSL alert goes to the academy's Teams channel only when every member of its
team is a DSL or deputy; otherwise, or when the roster cannot be read after every retry, each
DSL gets the card by direct message and that is audited, as in Slack. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from microsoft_teams.api import ApiClient
from microsoft_teams.common import ClientOptions
from sqlalchemy import func, select

from bot.slack.courier import Courier as SlackCourier
from bot.slack.courier import delivery_client as slack_client
from bot.teams.courier import Courier
from bot.teams.roster import roster_problems
from conversations.academies import Academies, Academy
from conversations.casefile import casework
from conversations.context import Context
from conversations.delivery import addresses, outbox
from conversations.dialogue import reports
from conversations.platforms import SLACK
from conversations.scheduling.runner import Runner, Senders
from conversations.storage.models import AuditEvent, Case, OutboxMessage
from tests.answers import CASE_A, complete
from tests.conftest import OAKFIELD, make_context
from tests.slack.fake_api import dm_channel
from tests.slack.served import settings as slack_settings
from tests.teams.faults import Fault, FaultyConnector
from tests.teams.harness import Person

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CHANNEL_CONVERSATION = "19:9a8b7c6d5e4f@thread.tacv2"
TEAM = "19:0f1e2d3c4b5a@thread.tacv2"
DSL_ID = "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c"
DEPUTY_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TEACHER_ID = "11111111-2222-4333-8444-555555555555"
OUTSIDER_ID = "99999999-8888-4777-8666-555555555555"
DSL, DEPUTY, TEACHER = (f"teams:{g}" for g in (DSL_ID, DEPUTY_ID, TEACHER_ID))
ELM = Academy(
    key="elm",
    name="Elm Academy",
    dsl_channel="",
    dsl_users=(DSL,),
    deputy_users=(DEPUTY,),
    staff_users=(TEACHER,),
    teams_channel=f"teams:{CHANNEL_CONVERSATION}",
    teams_team=TEAM,
    tenant_id=TENANT,
)
SAFE_ROSTER = [{"id": f"29:{g}", "aadObjectId": g} for g in (DSL_ID, DEPUTY_ID)]


@pytest.fixture
def connector() -> Iterator[FaultyConnector]:
    fake = FaultyConnector().start()
    fake.set_members(TEAM, SAFE_ROSTER)
    yield fake
    fake.stop()


@pytest.fixture
def teams_ctx(database_url, clock) -> Iterator[Context]:
    ctx = make_context(database_url, Academies({ELM.key: ELM, OAKFIELD.key: OAKFIELD}), clock)
    yield ctx
    ctx.db.engine.dispose()


@pytest.fixture
def courier(teams_ctx, connector) -> Iterator[Courier]:
    teams = Courier(teams_ctx, api_for(connector), tenant_id=TENANT)
    yield teams
    teams.close()


def api_for(connector: FaultyConnector) -> ApiClient:
    """The SDK's API client against the fake connector, with a test token and a 1 s call timeout."""
    return ApiClient(connector.url, ClientOptions(token="test-token", timeout=1))


def address(conversation_id: str, service_url: str) -> dict[str, str]:
    """A stored address, as the listeners keep it."""
    return {"conversation_id": conversation_id, "service_url": service_url, "tenant_id": TENANT}


def report(ctx: Context, courier: Courier) -> str:
    """A Teams teacher sends a report; the courier gets its rows as the listener hands them over."""
    draft = complete(ctx, TEACHER, TENANT, CASE_A)
    sent = reports.submit(ctx, draft.id, TEACHER)
    courier.send(sent.messages)
    courier.drain()
    return sent.reference


def deliver_due(courier: Courier, clock, seconds: float = 0) -> None:
    """The runner's outbox pass, `seconds` later."""
    clock.advance(seconds=seconds)
    while courier.send_due():
        pass


def case_of(ctx: Context, reference: str) -> Case:
    with ctx.db.unit_of_work() as uow:
        case = uow.session.scalar(select(Case).where(Case.reference == reference))
        uow.session.expunge_all()
        return case


def audited(ctx: Context, action: str) -> list[AuditEvent]:
    with ctx.db.unit_of_work() as uow:
        found = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        uow.session.expunge_all()
        return found


def chat_of(connector: FaultyConnector, aad_object_id: str) -> str:
    """The 1:1 conversation the courier created for a person (the member it named)."""
    [created] = [
        s
        for s in connector.sent
        if s.method == "create_conversation" and s.body["members"][0]["id"] == aad_object_id
    ]
    assert created.body["tenantId"] == TENANT
    return created.conversation_id


def sends(connector: FaultyConnector, conversation: str) -> list:
    """The activities posted in a conversation (not its creation, not updates)."""
    return [s for s in connector.to(conversation) if s.method == "send"]


def card_texts(card: dict) -> str:
    """Every text on a card, flattened (TextBlocks, facts, buttons)."""
    return str(card)


def test_the_alert_goes_to_the_teams_channel_and_the_receipt_to_the_teacher(teams_ctx, connector, courier):
    ref = report(teams_ctx, courier)

    [posted] = connector.to(CHANNEL_CONVERSATION)
    assert posted.method == "send" and ref in card_texts(posted.cards[0])
    assert case_of(teams_ctx, ref).alert_ts == posted.activity_id  # kept to update it in place
    chat = chat_of(connector, TEACHER_ID)
    [receipt] = sends(connector, chat)
    assert f"Your report {ref} has been sent" in card_texts(receipt.cards[0])
    assert addresses.address_of(teams_ctx, TEACHER)["conversation_id"] == chat  # remembered
    # The card says nothing about the pupils: the minimal alert, as in Slack.
    assert CASE_A["account"]["account"] not in card_texts(posted.cards[0])


def test_acknowledging_updates_the_card_in_place_and_tells_the_teacher_in_the_same_chat(
    teams_ctx, connector, courier
):
    ref = report(teams_ctx, courier)
    [posted] = connector.to(CHANNEL_CONVERSATION)
    outcome = casework.record_decision(teams_ctx, ref, DSL, "acknowledged", {})
    courier.send(outcome.messages)
    courier.drain()

    update = connector.to(CHANNEL_CONVERSATION)[-1]
    assert (update.method, update.activity_id) == ("update", posted.activity_id)
    assert "Acknowledged" in card_texts(update.cards[0])
    chat = chat_of(connector, TEACHER_ID)  # still one conversation: the stored one was used
    assert any("picked up" in s.text for s in sends(connector, chat))


def test_a_stored_address_is_used_as_is(teams_ctx, connector, courier):
    service = connector.url + "/"
    addresses.remember(
        teams_ctx,
        TEACHER,
        "teams",
        {"conversation_id": "a:stored", "service_url": service, "tenant_id": TENANT},
    )
    report(teams_ctx, courier)
    assert len(connector.to("a:stored")) == 1
    assert [s for s in connector.sent if s.method == "create_conversation"] == []


def test_someone_else_on_the_team_sends_the_alert_to_each_dsl_instead_audited(teams_ctx, connector, courier):
    connector.set_members(TEAM, [*SAFE_ROSTER, {"id": "29:x", "aadObjectId": OUTSIDER_ID}])
    ref = report(teams_ctx, courier)

    assert connector.to(CHANNEL_CONVERSATION) == []  # never posted where an outsider reads
    [dm] = sends(connector, chat_of(connector, DSL_ID))
    assert ref in card_texts(dm.cards[0]) and "1 member(s) of the team are not DSLs" in card_texts(
        dm.cards[0]
    )
    [fallback] = audited(teams_ctx, "alert_sent_by_direct_message")
    assert "not DSLs or deputies" in fallback.reason
    assert len(audited(teams_ctx, "message_not_delivered")) == 1
    assert case_of(teams_ctx, ref).alert_ts is None


def test_a_roster_that_cannot_be_read_is_unknown_and_retried_never_private(
    teams_ctx, connector, courier, clock
):
    connector.fail("members", Fault.http(503), Fault.http(429, retry_after="10"), conversation=TEAM)
    ref = report(teams_ctx, courier)
    assert connector.to(CHANNEL_CONVERSATION) == []  # the 503: not posted, not given up
    deliver_due(courier, clock, 2)  # the 429 asks for 10 s
    deliver_due(courier, clock, 9)
    assert connector.to(CHANNEL_CONVERSATION) == []
    deliver_due(courier, clock, 1)
    [posted] = connector.to(CHANNEL_CONVERSATION)
    assert ref in card_texts(posted.cards[0])
    assert audited(teams_ctx, "alert_sent_by_direct_message") == []


def test_a_roster_never_read_falls_back_to_the_dsls_after_every_retry(teams_ctx, connector, courier, clock):
    connector.fail("members", *[Fault.http(502)] * outbox.MAX_ATTEMPTS, conversation=TEAM)
    ref = report(teams_ctx, courier)
    for _ in range(outbox.MAX_ATTEMPTS):
        deliver_due(courier, clock, 60)
    assert connector.to(CHANNEL_CONVERSATION) == []
    [dm] = sends(connector, chat_of(connector, DSL_ID))
    assert ref in card_texts(dm.cards[0]) and "could not check the team" in card_texts(dm.cards[0])
    [fallback] = audited(teams_ctx, "alert_sent_by_direct_message")
    assert "could not check" in fallback.reason


def test_rate_limits_server_errors_timeouts_and_dropped_connections_are_retried(
    teams_ctx, connector, courier, clock
):
    connector.fail(
        "send",
        Fault.http(429, retry_after="30"),
        Fault.http(503),
        Fault.slow(2),
        Fault.dropped(),
        conversation=CHANNEL_CONVERSATION,
    )
    ref = report(teams_ctx, courier)
    deliver_due(courier, clock, 29)
    assert connector.failed == 1  # Retry-After is honoured: nothing before 30 s
    for wait in (1, 4, 8, 16):
        deliver_due(courier, clock, wait)
    cards = [s for s in connector.to(CHANNEL_CONVERSATION) if s.method == "send"]
    # The slow answer may have been posted before the client gave up: at most once more.
    assert 1 <= len(cards) <= 2 and all(ref in card_texts(c.cards[0]) for c in cards)
    with teams_ctx.db.unit_of_work() as uow:
        alert = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
        assert (alert.state, alert.attempts) == (outbox.DELIVERED, 5)
    assert audited(teams_ctx, "message_not_delivered") == []


def test_a_bot_not_in_the_teacher_s_chat_is_permanent_and_the_dsls_are_told(
    teams_ctx, connector, courier, clock
):
    connector.fail("create_conversation", Fault.http(403, code="BotNotInConversationRoster"))
    ref = report(teams_ctx, courier)
    deliver_due(courier, clock)  # the notice waits behind the card if that was still on its way

    [undelivered] = audited(teams_ctx, "message_not_delivered")
    assert undelivered.details["error"] == "http_403_BotNotInConversationRoster"
    assert undelivered.details["attempts"] == 1  # not retried
    notice = connector.texts(CHANNEL_CONVERSATION)[-1]
    assert ref in notice and "could not be delivered by direct message" in notice


def test_a_missing_conversation_is_permanent(teams_ctx, connector, courier):
    addresses.remember(
        teams_ctx,
        TEACHER,
        "teams",
        {"conversation_id": "a:gone", "service_url": connector.url, "tenant_id": TENANT},
    )
    connector.fail("send", Fault.http(404, code="ConversationNotFound"), conversation="a:gone")
    report(teams_ctx, courier)
    [undelivered] = audited(teams_ctx, "message_not_delivered")
    assert undelivered.details["error"] == "http_404_ConversationNotFound"


def test_the_teams_courier_never_touches_a_slack_row_nor_the_slack_courier_a_teams_row(
    teams_ctx, connector, courier, slack_api, clock
):
    ref = report(teams_ctx, courier)  # Teams rows, delivered
    slack_draft = complete(teams_ctx, OAKFIELD.staff_users[0], "T0SCHOOLS00", CASE_A)
    slack_sent = reports.submit(teams_ctx, slack_draft.id, OAKFIELD.staff_users[0])
    courier.send(slack_sent.messages)  # handed to the wrong front end: it claims none of them
    courier.drain()
    deliver_due(courier, clock, 60)
    with teams_ctx.db.unit_of_work() as uow:
        slack_rows = list(uow.session.scalars(select(OutboxMessage).where(OutboxMessage.platform == SLACK)))
        assert [(r.state, r.attempts) for r in slack_rows] == [(outbox.PENDING, 0)] * 2
    assert not any(slack_sent.reference in str(s.body) for s in connector.sent)

    slack = SlackCourier(teams_ctx, slack_client(slack_settings(slack_api.url)))
    while slack.send_due():
        pass
    slack.close()
    assert len(slack_api.posted(OAKFIELD.dsl_channel)) == 1
    assert not any(ref in str(call.params) for call in slack_api.calls())


def test_the_runner_delivers_each_reminder_through_its_recipient_s_front_end(
    database_url, connector, slack_api, clock
):
    slack_deputy = "U0ELMDEP000"
    mixed = Academy(**{**ELM.__dict__, "deputy_users": (slack_deputy,)})
    ctx = make_context(database_url, Academies({mixed.key: mixed}), clock)
    connector.set_members(TEAM, SAFE_ROSTER[:1])  # the Teams DSL only: the deputy works in Slack
    teams = Courier(ctx, api_for(connector), tenant_id=TENANT)
    slack = SlackCourier(ctx, slack_client(slack_settings(slack_api.url)))
    try:
        ref = report(ctx, teams)
        clock.advance(hours=2)  # nobody acknowledged: the channel is re-alerted, the deputies told
        runner = Runner(ctx, deliver=_never, sender=Senders((slack, teams)))
        runner.drain()
        teams.drain()
        slack.drain()
        channel = connector.to(CHANNEL_CONVERSATION)
        assert any(f"Still waiting for a DSL: {ref}" in card_texts(s.cards[0]) for s in channel[1:])
        deputy_dms = slack_api.posted(dm_channel(slack_deputy))
        assert any(ref in str(m) for m in deputy_dms)  # the Slack deputy, through Slack
        chats = {s.body["members"][0]["id"] for s in connector.sent if s.method == "create_conversation"}
        assert chats == {TEACHER_ID}  # nothing for the Slack deputy went to Teams
        with ctx.db.unit_of_work() as uow:
            assert (
                uow.session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state == outbox.PENDING)
                )
                == 0
            )
    finally:
        teams.close()
        slack.close()
        ctx.db.engine.dispose()


def _never(message) -> None:
    raise AssertionError("with senders, reminders go through the outbox")


def test_a_report_sent_through_signed_activities_reaches_the_channel_and_the_teacher_s_chat(
    teams, courier, connector
):
    from tests.test_teams_report import open_dialog, walk_to_review

    teacher = Person(TEACHER_ID, "Sam Teacher")
    open_dialog(teams, teacher)  # "report" in the personal chat: its address is stored
    walk_to_review(teams, teacher)
    teams.press(teacher, "Send to the DSL")
    courier.send(teams.outbox.handed)  # what the listener handed over, delivered
    courier.drain()

    [alert] = sends(connector, CHANNEL_CONVERSATION)
    assert "YPSI-2026-0001" in card_texts(alert.cards[0])
    receipt = sends(connector, teacher.chat)[-1]  # the stored personal chat, not a new one
    assert "Your report YPSI-2026-0001 has been sent" in card_texts(receipt.cards[0])
    assert [s for s in connector.sent if s.method == "create_conversation"] == []


def test_check_config_names_each_teams_academy_whose_team_is_not_only_its_safeguarding_team(connector):
    other = Academy(
        **{**ELM.__dict__, "key": "ash", "name": "Ash Academy", "teams_team": "19:ash@thread.tacv2"}
    )
    unread = Academy(
        **{**ELM.__dict__, "key": "oak", "name": "Oak Academy", "teams_team": "19:gone@thread.tacv2"}
    )
    connector.set_members("19:ash@thread.tacv2", [*SAFE_ROSTER, {"id": "29:x", "aadObjectId": OUTSIDER_ID}])
    connector.fail(
        "members", Fault.http(403, code="BotNotInConversationRoster"), conversation="19:gone@thread.tacv2"
    )
    academies = Academies({a.key: a for a in (ELM, other, unread, OAKFIELD)})

    lines = asyncio.run(roster_problems(api_for(connector), academies))

    assert len(lines) == 2  # Elm's team is its DSL and deputy only; Oakfield is on Slack
    assert lines[0].startswith("Ash Academy (19:ash@thread.tacv2): 1 member(s) of the team are not DSLs")
    assert lines[1].startswith("Oak Academy (19:gone@thread.tacv2): ypsi-bot cannot read the team's members")


def test_the_channel_is_reached_at_the_service_url_kept_when_the_bot_joined_the_team(teams_ctx, connector):
    nowhere = ApiClient("http://127.0.0.1:9", ClientOptions(token="test-token", timeout=1))  # refused
    addresses.remember(teams_ctx, f"teams:{TEAM}", "teams", address(TEAM, connector.url))
    addresses.remember(teams_ctx, TEACHER, "teams", address("a:stored", connector.url))
    teams = Courier(teams_ctx, nowhere, tenant_id=TENANT)
    try:
        ref = report(teams_ctx, teams)
    finally:
        teams.close()
    [posted] = sends(connector, CHANNEL_CONVERSATION)
    assert ref in card_texts(posted.cards[0])
    assert len(sends(connector, "a:stored")) == 1
