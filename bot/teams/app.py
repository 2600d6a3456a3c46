"""The Teams app: the Teams SDK's `App` on the services' context, with its listeners.

Every inbound activity's JWT is validated by the SDK (issuer, audience = the app id, signing keys
from the Bot Framework OpenID metadata, expiry) before any listener runs: the SDK's switch to turn
that off is set to False here explicitly, so its environment variable can never turn it on.
Replies go to the activity's `serviceUrl`, with the bot's own token from its client secret.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment
from microsoft_teams.api.auth.credentials import TokenProvider
from microsoft_teams.apps import App
from microsoft_teams.apps.http import FastAPIAdapter

from bot.config import Settings
from bot.teams.listeners import Outbox, register_all
from conversations.context import Context

PATH = "/api/messages"


def create_app(
    ctx: Context,
    settings: Settings,
    outbox: Outbox,
    *,
    cloud: CloudEnvironment = PUBLIC,
    token: TokenProvider | None = None,
) -> App:
    """The app on the services' context; `outbox` delivers the messages a listener queued.

    `cloud` and `token` exist for tests only: a cloud whose OpenID metadata and keys are served
    on loopback (activities signed with a local key), and a token for the fake Bot Connector.
    Production uses the public cloud and the client secret (TEAMS_APP_PASSWORD).
    """
    credentials: dict[str, Any] = (
        {"token": token} if token is not None else {"client_secret": settings.teams_app_password}
    )
    app = App(
        client_id=settings.teams_app_id,
        tenant_id=settings.teams_tenant_id,
        cloud=cloud,
        dangerously_allow_unauthenticated_requests=False,
        # No interactive API docs: the only route is the messaging endpoint.
        http_server_adapter=FastAPIAdapter(app=FastAPI(docs_url=None, redoc_url=None, openapi_url=None)),
        messaging_endpoint=PATH,
        state=False,
        fetch_user_token=False,
        **credentials,
    )
    register_all(app, ctx, outbox)
    return app
