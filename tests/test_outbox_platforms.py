"""Outbox rows carry their recipient's platform, and each front end claims only its own.

A row to a Teams person or channel is never claimed by the Slack courier (nor by the runner's
Slack pass), and a Slack row never by a Teams claim. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations.delivery import outbox
from conversations.platforms import SLACK, TEAMS
from conversations.storage.models import OutboxMessage
from tests.conftest import OAKFIELD

TEAMS_PERSON = "teams:6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c"
TEAMS_CHANNEL = "teams:19:9a8b7c6d5e4f@thread.tacv2"
SLACK_PERSON = OAKFIELD.dsl_users[0]


def queue(ctx) -> dict[str, int]:
    """One notice to each kind of recipient, written in one transaction; ids by recipient."""
    recipients = {
        SLACK_PERSON: outbox.USER,
        OAKFIELD.dsl_channel: outbox.CHANNEL,
        TEAMS_PERSON: outbox.USER,
        TEAMS_CHANNEL: outbox.CHANNEL,
    }
    with ctx.db.unit_of_work() as uow:
        ids = {
            who: outbox.add(
                uow.session,
                outbox.Kind.NOTICE,
                kind,
                who,
                now=ctx.clock(),
                academy_key=OAKFIELD.key,
                payload={"text": "A DSL has picked up your report."},
            )
            for who, kind in recipients.items()
        }
        uow.commit()
    return ids


def row(ctx, row_id: int) -> OutboxMessage:
    with ctx.db.unit_of_work() as uow:
        found = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.id == row_id))
        uow.session.expunge_all()
        return found


def test_rows_carry_their_recipient_s_platform(ctx):
    ids = queue(ctx)
    assert {who: row(ctx, n).platform for who, n in ids.items()} == {
        SLACK_PERSON: SLACK,
        OAKFIELD.dsl_channel: SLACK,
        TEAMS_PERSON: TEAMS,
        TEAMS_CHANNEL: TEAMS,
    }


def test_each_platform_claims_only_its_own_rows(ctx):
    ids = queue(ctx)
    every = list(ids.values())
    assert {item.recipient_id for item in outbox.claim(ctx, SLACK, every)} == {
        SLACK_PERSON,
        OAKFIELD.dsl_channel,
    }
    assert outbox.claim(ctx, SLACK) == []  # the Teams rows are not Slack's, even when due
    assert {item.recipient_id for item in outbox.claim(ctx, TEAMS)} == {TEAMS_PERSON, TEAMS_CHANNEL}


def test_the_slack_courier_never_touches_a_teams_row(ctx, slack, clock):
    ids = queue(ctx)
    slack.courier.send(list(ids.values()))  # as a listener hands over what it wrote
    slack.courier.drain()
    clock.advance(minutes=10)
    while slack.courier.send_due():
        pass
    assert row(ctx, ids[SLACK_PERSON]).state == outbox.DELIVERED
    for teams_row in (row(ctx, ids[TEAMS_PERSON]), row(ctx, ids[TEAMS_CHANNEL])):
        assert (teams_row.state, teams_row.attempts, teams_row.last_error) == (outbox.PENDING, 0, None)
    called_with = [str(call.params) for call in slack.api.calls()]
    assert not any("teams:" in params for params in called_with)


def test_each_front_end_delivers_every_kind_of_row():
    from bot.slack.courier import Courier as SlackCourier
    from bot.teams.courier import Courier as TeamsCourier
    from conversations.delivery.couriers import RENDERS

    assert set(RENDERS) == set(outbox.Kind)
    for courier in (SlackCourier, TeamsCourier):
        missing = [name for name in RENDERS.values() if not callable(getattr(courier, name, None))]
        assert not missing, f"{courier.__module__} cannot deliver {missing}"
