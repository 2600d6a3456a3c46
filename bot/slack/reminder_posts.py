"""Posting reminder messages to Slack: the `deliver` port of the reminder runner, for Slack.

Button action ids are `bot.ids.reminder_action(action, value)` (unique within a message, as
Slack requires); one listener pattern serves every button. A button that shows a pseudonym
("Deletion confirmed for …") goes only to direct messages: the channel copy leaves it out.
A failed post raises: the runner leaves the reminder claimed and retries after the lease.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.ids import REMINDER_PREFIX, reminder_action
from bot.slack.alerts import channel_problem, direct_message
from bot.slack.views.limits import ACTIONS_ELEMENTS, MESSAGE_BLOCKS, SECTION_TEXT
from bot.slack.views.report import button
from bot.text_limits import chunks, pack
from bot.wording import PRIVATE_ONLY
from conversations.scheduling.reminder_messages import ReminderMessage

ACTION_PREFIX = REMINDER_PREFIX  # the name tests/slack/hostile.py imports


class ChannelUnusable(RuntimeError):
    """The DSL channel is public or the bot is not in it: nothing is posted there."""


def blocks(message: ReminderMessage, *, channel: bool = False) -> dict[str, Any]:
    """The message as Block Kit (texts are the data file's, never free text); `channel`: no pseudonyms."""
    urgent = ":rotating_light: " if message.urgent else ""
    buttons = [b for b in message.buttons if not (channel and b.action in PRIVATE_ONLY)]
    runs = list(chunks(buttons, ACTIONS_ELEMENTS))
    # The digest's lines fill sections (3,000 characters each) in the blocks the buttons leave.
    body = [f"{urgent}*{message.title}*", message.text, *message.lines]
    texts = pack(body, SECTION_TEXT, max_blocks=MESSAGE_BLOCKS - len(runs))
    result: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts]
    for number, run in enumerate(runs):
        suffix = f":{number}" if number else ""
        result.append(
            {
                "type": "actions",
                "block_id": f"ypsi_reminder:{message.reminder_id}{suffix}",
                "elements": [
                    button(
                        b.label, reminder_action(b.action, b.value), b.value, label=_spoken(b.label, message)
                    )
                    for b in run
                ],
            }
        )
    return {"text": message.title, "blocks": result}


def _spoken(label: str, message: ReminderMessage) -> str:
    # Several reminders in one DM read alike: a screen reader says which case a button is for.
    return f"{label} ({message.reference})" if message.reference else ""


def slack_deliverer(client: WebClient) -> Callable[[ReminderMessage], None]:
    """A `deliver` posting to the DSL channel (private, bot a member) and by direct message."""

    def deliver(message: ReminderMessage) -> None:
        if message.channel:
            problem = channel_problem(client, message.channel)
            if problem:
                raise ChannelUnusable(f"{message.channel}: {problem}")
            client.chat_postMessage(channel=message.channel, **blocks(message, channel=True))
        for user in message.users:
            direct_message(client, user, blocks(message))

    return deliver
