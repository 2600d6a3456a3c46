"""A file or a pasted image sent to the bot is refused with the guidance, never fetched, and
audited; the formatted copy Teams attaches to every typed message is not a file."""

from __future__ import annotations

from sqlalchemy import select

from bot.teams.listeners.words import FILE_REFUSED
from conversations.dialogue import refusals
from conversations.storage.models import AuditEvent
from tests.teams.fixtures import DSL, DSL_CHANNEL, LARCHWOOD, TEACHER


def _file(teams) -> dict:
    """A file as Teams attaches it: metadata and a download link the bot must never follow."""
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "contentUrl": f"{teams.connector.url}/files/photo.jpg",
        "name": "photo.jpg",
        "content": {"downloadUrl": f"{teams.connector.url}/files/photo.jpg?tempauth=x", "fileType": "jpg"},
    }


def _pasted_image(teams) -> list[dict]:
    url = f"{teams.connector.url}/v3/attachments/img-1/views/original"
    return [
        {"contentType": "image/*", "contentUrl": url},
        {
            "contentType": "text/html",
            "content": f'<div><img src="{url}" itemtype="http://schema.skype.com/AMSImage"></div>',
        },
    ]


def _refusals(ctx) -> list[tuple[str, str | None, dict]]:
    with ctx.db.unit_of_work(read_only=True) as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "file_refused"))
        return [(e.actor_id, e.academy_key, e.details) for e in events]


def test_a_file_is_refused_with_the_guidance_and_audited(teams):
    response = teams.message(TEACHER, "here it is", attachments=[_file(teams)])

    assert response.status == 200
    assert teams.connector.texts(TEACHER.chat) == [FILE_REFUSED]
    assert _refusals(teams.ctx) == [(TEACHER.id, LARCHWOOD.key, {"place": refusals.DM})]
    assert _nothing_fetched(teams)
    # The DSL is told, in a chat of their own, who shared a file (never what it was).
    [told] = [s for s in teams.connector.sent if s.method == "send" and "was shared with ypsi-bot" in s.text]
    assert TEACHER.name in told.text and "photo.jpg" not in str(told.body)
    [opened] = [s for s in teams.connector.sent if s.method == "create_conversation"]
    assert opened.conversation_id == told.conversation_id and opened.body["members"][0]["id"] == DSL.aad


def test_a_pasted_image_is_refused(teams):
    teams.message(TEACHER, "", attachments=_pasted_image(teams))

    assert teams.connector.texts(TEACHER.chat) == [FILE_REFUSED]
    assert len(_refusals(teams.ctx)) == 1
    assert _nothing_fetched(teams)


def test_a_file_with_the_word_report_is_still_refused(teams):
    teams.message(TEACHER, "report", attachments=[_file(teams)])

    assert teams.connector.texts(TEACHER.chat) == [FILE_REFUSED]
    assert all(not s.cards for s in teams.connector.sent)


def test_a_file_in_a_dsl_channel_is_refused_there_and_audited_for_its_academy(teams):
    channel = DSL_CHANNEL

    teams.post(
        teams.activity(
            TEACHER, "message", personal=False, conversation=channel, text="look", attachments=[_file(teams)]
        )
    )

    assert teams.connector.texts(channel) == [FILE_REFUSED]
    assert [(who, place["place"]) for who, _, place in _refusals(teams.ctx)] == [
        (TEACHER.id, refusals.DSL_CHANNEL)
    ]


def test_a_formatted_message_is_not_a_file(teams):
    formatted = [{"contentType": "text/html", "content": "<p><strong>help</strong></p>"}]

    teams.message(TEACHER, "help", attachments=formatted)

    assert FILE_REFUSED not in teams.connector.texts(TEACHER.chat)
    assert _refusals(teams.ctx) == []


def _nothing_fetched(teams) -> bool:
    """The bot only posted its reply: no GET of a file or an image, ever."""
    return [method for method, _ in teams.connector.requests] == ["POST"] * len(teams.connector.requests)
