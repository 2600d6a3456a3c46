"""Answering a person where they are, as Slack asks: a modal updated with its hash, a private reply
through the interaction's `response_url`.

`views.update` carries the `hash` Slack sent with the click, so an update based on what the
person saw never overwrites a newer screen: on `hash_conflict` (the modal changed meanwhile,
e.g. a second click) the screen is rendered again from the database and shown as it is now.
A private reply to a click on a message goes to `response_url` (an ephemeral message), which
works wherever the person clicked, unlike `chat.postEphemeral` (only where the bot is a member).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack.retries import retry_handlers
from bot.slack.views.report import View

log = logging.getLogger("ypsi.slack")
RESPONSE_HOSTS = ("https://hooks.slack.com/", "https://hooks.slack-gov.com/")


def update_view(client: WebClient, view: dict[str, Any], render: Callable[[], View]) -> None:
    """Replace the modal `view` (from the payload) with `render()`, guarded by the view's hash."""
    view_hash = view.get("hash")
    try:
        client.views_update(
            view_id=view["id"], hash=view_hash if isinstance(view_hash, str) else None, view=render()
        )
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        log.info("modal changed meanwhile: shown again as it is now")
        client.views_update(view_id=view["id"], view=render())


def response_url(client: WebClient, body: dict[str, Any]) -> str | None:
    """The interaction's response_url when it is a Slack address (hooks.slack.com, GovSlack's, or
    SLACK_API_URL's host), else None: the bot never posts to a host a payload names."""
    url = body.get("response_url")
    return url if isinstance(url, str) and url.startswith(_slack_hosts(client)) else None


def reply_privately(client: WebClient, body: dict[str, Any], text: str) -> bool:
    """An ephemeral reply through the interaction's response_url; False when it has none."""
    url = response_url(client, body)
    if url is None:
        return False
    answer = WebhookClient(url, retry_handlers=retry_handlers()).send(
        text=text, response_type="ephemeral", replace_original=False
    )
    if answer.status_code != 200:
        log.warning("private reply not delivered %s", answer.status_code)
    return True


def _slack_hosts(client: WebClient) -> tuple[str, ...]:
    parts = urlsplit(client.base_url)
    return (*RESPONSE_HOSTS, f"{parts.scheme}://{parts.netloc}/")
