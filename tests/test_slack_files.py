"""A file shared with the bot is refused at once, audited without its name, and never fetched."""

from __future__ import annotations

from sqlalchemy import select

from conversations.storage.models import AuditEvent
from tests.conftest import OAKFIELD, TEACHER
from tests.slack.fake_api import dm_channel

FILE_NAME = "IMG_SECRET_4242.jpg"


def file_share(channel: str, channel_type: str, user: str = TEACHER) -> dict:
    return {
        "type": "message",
        "subtype": "file_share",
        "user": user,
        "channel": channel,
        "channel_type": channel_type,
        "text": "",
        "ts": "1790000001.000100",
        "files": [
            {
                "id": "F0SECRET01",
                "name": FILE_NAME,
                "title": FILE_NAME,
                "mimetype": "image/jpeg",
                "url_private": "https://files.slack.invalid/F0SECRET01/" + FILE_NAME,
            }
        ],
    }


def audit_rows(ctx) -> list[tuple]:
    """(actor, academy, details, reason) of each file_refused event."""
    with ctx.db.unit_of_work() as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "file_refused"))
        return [(e.actor_id, e.academy_key, e.details, e.reason) for e in events]


def test_file_in_the_dm_is_refused_audited_and_the_dsl_told(slack):
    dm = dm_channel(TEACHER)
    assert slack.event(file_share(dm, "im")).status == 200

    reply = slack.api.posted(dm)
    assert len(reply) == 1
    assert "did not open" in reply[0]["text"] and "Delete message" in reply[0]["text"]
    assert "/ypsi report" in reply[0]["text"]
    told = slack.api.posted(dm_channel(OAKFIELD.dsl_users[0]))
    assert len(told) == 1 and "refused" in told[0]["text"]
    events = audit_rows(slack.ctx)
    assert events == [(TEACHER, "oakfield", {"place": "direct_message"}, None)]
    everything = str([c.params for c in slack.api.calls()])
    assert FILE_NAME not in everything and "F0SECRET01" not in everything
    assert not [m for m in slack.api.methods() if m.startswith("files.")]


def test_file_in_the_dsl_channel_gets_a_private_reply(slack):
    dsl = OAKFIELD.dsl_users[0]
    slack.event(file_share(OAKFIELD.dsl_channel, "group", user=dsl))
    [ephemeral] = [c.params for c in slack.api.calls("chat.postEphemeral")]
    assert (ephemeral["channel"], ephemeral["user"]) == (OAKFIELD.dsl_channel, dsl)
    assert "did not open" in ephemeral["text"]
    assert slack.api.posted() == []  # nothing visible to the channel, no DM about it
    assert [e[2] for e in audit_rows(slack.ctx)] == [{"place": "dsl_channel"}]
    assert not [m for m in slack.api.methods() if m.startswith("files.")]


def test_a_retried_event_is_handled_once(slack, ctx):
    event = file_share(dm_channel(TEACHER), "im")
    assert slack.event(event, event_id="Ev0RETRY01").status == 200
    assert slack.event(event, event_id="Ev0RETRY01", retry_num=1).status == 200
    assert slack.event(event, event_id="Ev0RETRY01", retry_num=2).status == 200
    assert len(slack.api.posted(dm_channel(TEACHER))) == 1
    assert len(audit_rows(slack.ctx)) == 1


def test_a_plain_dm_gets_a_pointer_to_the_command(slack):
    dm = dm_channel(TEACHER)
    slack.event(
        {"type": "message", "user": TEACHER, "channel": dm, "channel_type": "im", "text": "hi", "ts": "1.2"}
    )
    [reply] = slack.api.posted(dm)
    assert "/ypsi report" in reply["text"]
