"""The DSL channel check and direct messages, through the Slack Web API.

The alert itself is an outbox row delivered by `bot/slack/courier.py`: before posting, it confirms
the DSL channel is private and the bot is in it (`channel_problem`, as `ypsi check-config`
does); if not, the card goes to each DSL by direct message and that is audited. When Slack does
not answer (rate limited, a server error, no connection) the channel is "unknown", never "not
private": the delivery is retried.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from conversations.academies import Academies
from conversations.platforms import SLACK

# Errors Slack answers with `ok: false` that say Slack (or the way to it) failed, not the call:
# worth retrying. Every other error is permanent.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class ChannelUnknown(RuntimeError):
    """Slack did not say whether the channel is private (after the client's retries, if any).

    `retry_after` is the wait Slack asked for (a 429's Retry-After), in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def channel_problem(client: WebClient, channel: str) -> str | None:
    """Why the bot must not post in `channel`, or None when it is private and the bot is a member.

    Raises ChannelUnknown when Slack did not answer: that is not a fact about the channel.
    """
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except OSError as exc:  # no connection, after the connection retries
        raise ChannelUnknown(f"no connection to Slack ({exc.__class__.__name__})") from None
    except SlackApiError as exc:
        if _transient(exc):
            raise ChannelUnknown(
                f"Slack did not answer ({exc.response.get('error', 'error')})",
                retry_after(exc.response.headers),
            ) from None
        # Without channels:read (least privilege) a public channel is "not found", like a
        # private one the bot was not invited to: either way it must not be used.
        error = exc.response.get("error", "error")
        return f"ypsi-bot cannot see the channel: it is public or ypsi-bot is not invited ({error})"
    if not info.get("is_private"):
        return "the channel is public"
    if not info.get("is_member"):
        return "ypsi-bot is not a member of the channel"
    return None


def retry_after(headers: Any) -> float | None:
    """The seconds a `Retry-After` header asks to wait, or None without a usable one."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list) else value
            try:
                return float(first)
            except ValueError:
                return None
    return None


def _transient(exc: SlackApiError) -> bool:
    status = getattr(exc.response, "status_code", 200)
    return status == 429 or status >= 500 or exc.response.get("error") in TRANSIENT_ERRORS


def channel_problems(academies: Academies, client: WebClient) -> list[str]:
    """One line per academy whose DSL channel cannot be used (for `ypsi check-config`)."""
    lines = []
    for academy in academies.all():
        if academy.platform != SLACK:  # a Teams academy's channel is checked by its roster
            continue
        try:
            problem = channel_problem(client, academy.dsl_channel)
        except ChannelUnknown as exc:
            lines.append(f"{academy.name} ({academy.dsl_channel}): could not be checked: {exc}; try again")
            continue
        if problem:
            lines.append(
                f"{academy.name} ({academy.dsl_channel}): {problem}; alerts go to the DSLs by direct "
                "message until the channel is private and ypsi-bot is invited to it"
            )
    return lines


def direct_message(client: WebClient, user_id: str, message: dict[str, Any]) -> None:
    """Post a message in the app's direct message with one person."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.chat_postMessage(channel=channel, **message)
