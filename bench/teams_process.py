"""The two Teams servers benchmark 11 (bench/teams.py) starts, each as a process of its own.

`python -m bench.teams_process ypsi OPENID_URL CLOCK_FILE`: `ypsi run` as deployed with Teams
configured from the environment (TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID, TEAMS_HOST,
TEAMS_PORT, the database, keys and academies file of the settings): uvicorn behind the Teams
server's guard, the listeners, the courier and the reminder runner, every activity's JWT validated
by the SDK. Three things differ from production, each given here and by no setting, through the
arguments `create_app` and `build_context` already take for tests and the practice console:
- the cloud: the SDK reads the OpenID metadata and signing keys from OPENID_URL (the tests'
  OpenIdServer on loopback, serving the public half of the key the benchmark signs with) instead
  of Microsoft's; validation itself (issuer, audience, expiry, signature) is unchanged;
- the bot's outbound token: the tests' locally signed token for the fake Bot Connector, signed
  once and reused (as MSAL caches the token it fetches from Entra with TEAMS_APP_PASSWORD, for
  about an hour), so no RSA signature per call counts as the bot's work;
- the clock: read from CLOCK_FILE, which the benchmark moves on report by report (bench/clock.py).

`python -m bench.teams_process bare OPENID_URL`: a bare app of the same SDK, built by the same
`create_app` with the same Teams settings (so the same auth, JWT validation on) and served by the same
`TeamsServer`, answering a dialog's opening and each submission with a static card and a message
with one static reply: what the SDK itself costs for the same requests.
"""

from __future__ import annotations

import sys
from functools import cache, partial
from typing import Any

from microsoft_teams.api import MessageActivity, TaskFetchInvokeActivity, TaskSubmitInvokeActivity
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.apps import ActivityContext, App

from bench.clock import read_clock
from bot import cli
from bot.config import Settings, load_settings
from bot.teams import server
from bot.teams.app import create_app
from tests.teams.harness import outbound_token

CARD = "application/vnd.microsoft.card.adaptive"
STATIC_CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "A question", "wrap": True},
        {"type": "Input.Text", "id": "answer", "label": "Your answer"},
    ],
    "actions": [{"type": "Action.Submit", "title": "Next", "data": {"action": "bare_next"}}],
}
STATIC_REPLY = "A static reply."


@cache
def _signed_token() -> str:
    return outbound_token("https://api.botframework.com/.default")


def reused_token(scope: str | list[str], tenant_id: str | None = None) -> str:
    """The bot's outbound token for the fake Bot Connector, signed once for the process."""
    return _signed_token()


def loopback_cloud(openid_url: str) -> CloudEnvironment:
    """The public cloud with the endpoints the SDK reads moved to the loopback OpenID server."""
    return with_overrides(
        PUBLIC,
        openid_metadata_url=f"{openid_url}/v1/.well-known/openidconfiguration",
        login_endpoint=f"{openid_url}/login",
        token_service_url=f"{openid_url}/token",
    )


def ypsi(openid_url: str, clock_file: str) -> int:
    server.create_app = partial(create_app, cloud=loopback_cloud(openid_url), token=reused_token)
    server.build_context = partial(server.build_context, clock=read_clock(clock_file))
    return cli.main(["run"])


def bare_app(settings: Settings, openid_url: str) -> App:
    """The SDK's app with the bot's settings and auth, answering with static cards."""
    app = create_app(settings, cloud=loopback_cloud(openid_url), token=reused_token)
    app.on_dialog_open(_static_dialog)
    app.on_dialog_submit(_static_dialog)
    app.on_message(_static_reply)
    return app


async def _static_dialog(turn: ActivityContext[TaskFetchInvokeActivity | TaskSubmitInvokeActivity]) -> Any:
    return {
        "task": {
            "type": "continue",
            "value": {"title": "Bare", "card": {"contentType": CARD, "content": STATIC_CARD}},
        }
    }


async def _static_reply(turn: ActivityContext[MessageActivity]) -> None:
    await turn.send(STATIC_REPLY)


def bare(openid_url: str) -> int:
    settings = load_settings()
    stop = server.stop_on_sigterm()
    with server.teams_running(bare_app(settings, openid_url), settings.teams_host, settings.teams_port):
        server.wait_for(stop)
    return 0


def main(argv: list[str]) -> int:
    kind, *args = argv
    return ypsi(*args) if kind == "ypsi" else bare(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
