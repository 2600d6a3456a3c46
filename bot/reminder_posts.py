"""Posting reminder messages to Slack: the `deliver` port of the reminder runner, for Slack.

Button action ids are `ypsi_reminder_<action>:<value>` (unique within a message, as Slack
requires); the value repeats after the colon so one listener pattern serves every button.
A failed post raises: the runner leaves the reminder claimed and retries after the lease.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.alerts import channel_problem, direct_message
from conversations.reminder_messages import ReminderMessage

ACTION_PREFIX = "ypsi_reminder_"


class ChannelUnusable(RuntimeError):
    """The DSL channel is public or the bot is not in it: nothing is posted there."""


def blocks(message: ReminderMessage) -> dict[str, Any]:
    """The message as Block Kit (texts are the data file's, never free text)."""
    urgent = ":rotating_light: " if message.urgent else ""
    body = [f"{urgent}*{message.title}*", message.text, *message.lines]
    result: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(body)}}]
    if message.buttons:
        result.append(
            {
                "type": "actions",
                "block_id": f"ypsi_reminder:{message.reminder_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{ACTION_PREFIX}{b.action}:{b.value}",
                        "text": {"type": "plain_text", "text": b.label[:75]},
                        "value": b.value,
                    }
                    for b in message.buttons
                ],
            }
        )
    return {"text": message.title, "blocks": result}


def slack_deliverer(client: WebClient) -> Callable[[ReminderMessage], None]:
    """A `deliver` posting to the DSL channel (private, bot a member) and by direct message."""

    def deliver(message: ReminderMessage) -> None:
        payload = blocks(message)
        if message.channel:
            problem = channel_problem(client, message.channel)
            if problem:
                raise ChannelUnusable(f"{message.channel}: {problem}")
            client.chat_postMessage(channel=message.channel, **payload)
        for user in message.users:
            direct_message(client, user, payload)

    return deliver
