"""Installing the app keeps where to reach the person (or the channel) for proactive messages
and welcomes a person with the Report button; every personal message refreshes the address."""

from __future__ import annotations

from conversations.delivery import addresses
from tests.teams.fixtures import DSL, TEACHER
from tests.teams.harness import TENANT, find_action


def test_install_welcomes_the_person_and_keeps_their_address(teams):
    response = teams.install(TEACHER)

    assert response.status == 200
    [welcome] = teams.connector.to(TEACHER.chat)
    button = find_action(welcome.cards[0], "Report a concern")
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    assert addresses.address_of(teams.ctx, TEACHER.id) == {
        "conversation_id": TEACHER.chat,
        "service_url": teams.connector.url,
        "tenant_id": TENANT,
        "bot_id": teams.activity(TEACHER, "message")["recipient"]["id"],
    }


def test_the_bot_added_to_a_channel_keeps_the_channel_address(teams):
    channel = "19:larchwood-dsl@thread.tacv2"

    teams.bot_added(DSL, conversation=channel, personal=False)

    assert teams.connector.sent == []  # nothing is said in a channel
    stored = addresses.address_of(teams.ctx, f"teams:{channel}")
    assert stored is not None and stored["conversation_id"] == channel
    assert addresses.address_of(teams.ctx, DSL.id) is None


def test_a_personal_message_refreshes_the_address(teams, connector):
    teams.message(TEACHER, "help")
    assert addresses.address_of(teams.ctx, TEACHER.id)["service_url"] == connector.url

    moved = teams.activity(TEACHER, "message", text="help")
    moved["serviceUrl"] = connector.url + "/"
    teams.ctx.clock.advance(minutes=1)
    teams.post(moved)

    assert addresses.address_of(teams.ctx, TEACHER.id)["service_url"] == connector.url + "/"


def test_someone_elses_chat_is_never_stored_under_them(teams):
    """A channel message names the channel, not the sender: their personal address stays unknown."""
    teams.post(
        teams.activity(TEACHER, "message", personal=False, conversation="19:x@thread.tacv2", text="hi")
    )

    assert addresses.address_of(teams.ctx, TEACHER.id) is None
