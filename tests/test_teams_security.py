"""Every activity's JWT is checked before anything happens: a forged, unsigned, expired,
wrong-audience or wrong-issuer token is refused 401, the bot says nothing and writes nothing.
The server refuses what is not a bounded JSON POST to /api/messages before the SDK sees it."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from bot.teams.app import PATH
from conversations.storage.models import AuditEvent, Draft
from tests.teams.fixtures import TEACHER
from tests.teams.harness import APP_ID, claims, sign

ANOTHER_APP = "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f"


def _nothing_happened(teams) -> None:
    assert teams.connector.sent == []
    with teams.ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Draft)) == 0
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_signed_activity_is_answered(teams):
    response = teams.message(TEACHER, "help")

    assert response.status == 200
    assert "report" in teams.connector.texts(TEACHER.chat)[0]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda url: None, id="no token"),
        pytest.param(lambda url: "not-a-jwt", id="garbage"),
        pytest.param(lambda url: sign(claims(url, exp=int(time.time()) - 3600)), id="expired"),
        pytest.param(lambda url: sign(claims(url, aud=ANOTHER_APP)), id="another app's audience"),
        pytest.param(lambda url: sign(claims(url, iss="https://evil.example")), id="wrong issuer"),
        pytest.param(
            lambda url: sign(claims(url, serviceurl="https://evil.example")), id="other service url"
        ),
        pytest.param(
            lambda url: sign(claims(url), key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            id="forged with another key",
        ),
        pytest.param(lambda url: sign(claims(url), kid="unknown-key"), id="unknown key id"),
        pytest.param(
            lambda url: _unsigned(claims(url)),
            id="alg none",
        ),
    ],
)
def test_a_bad_token_is_refused_and_nothing_happens(teams, token):
    activity = teams.activity(TEACHER, "message", text="report")

    response = teams.post(activity, token=token(teams.connector.url))

    assert response.status == 401
    _nothing_happened(teams)


def test_a_report_dialog_cannot_be_opened_unsigned(teams):
    activity = teams.activity(
        TEACHER, "invoke", name="task/fetch", value={"data": {"action": "ypsi_home_report"}}
    )

    assert teams.post(activity, token=None).status == 401
    assert teams.post(activity, token=sign(claims(teams.connector.url, aud=ANOTHER_APP))).status == 401
    _nothing_happened(teams)


def test_the_audience_is_this_app(teams):
    """The token for this app id passes; the same token names the app explicitly."""
    activity = teams.activity(TEACHER, "message", text="help")

    assert teams.post(activity, token=sign(claims(teams.connector.url, aud=APP_ID))).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", PATH, b"", 405),
        ("POST", "/docs", b"{}", 404),
        ("GET", "/openapi.json", b"", 404),
        ("POST", PATH, b"not json", 400),
        ("POST", PATH, b"[1, 2]", 400),
    ],
)
def test_only_a_json_post_to_the_messaging_path_reaches_the_sdk(teams, method, path, body, status):
    response = teams.raw(body, {"Content-Type": "application/json"}, method=method, path=path)

    assert response.status == status
    _nothing_happened(teams)


def test_an_oversized_body_is_refused_before_it_is_read(teams):
    activity = teams.activity(TEACHER, "message", text="x" * (300 * 1024))

    response = teams.post(activity)

    assert response.status == 413
    _nothing_happened(teams)


def test_the_environment_cannot_turn_validation_off(teams, monkeypatch):
    """The SDK reads DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS unless told: the app tells it."""
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    from bot.teams.app import create_app
    from tests.teams.harness import outbound_token

    app = create_app(teams.ctx, teams.settings, teams.outbox, cloud=teams.openid.cloud, token=outbound_token)

    assert app.options.dangerously_allow_unauthenticated_requests is False
    assert teams.post(teams.activity(TEACHER, "message", text="help"), token=None).status == 401


def _unsigned(payload: dict) -> str:
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'ypsi-test-key'})}.{part(payload)}."
