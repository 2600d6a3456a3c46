"""Every request must carry a valid, fresh Slack signature: otherwise 401 and nothing happens."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from conversations.storage.models import AuditEvent, Draft
from tests.conftest import TEACHER


def command_body() -> str:
    return urlencode(
        {
            "command": "/ypsi",
            "text": "report",
            "user_id": TEACHER,
            "team_id": "T0SCHOOLS00",
            "trigger_id": "1.x",
        }
    )


def rows(ctx, model) -> int:
    with ctx.db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "how",
    [
        {"signed": False},
        {"signature": "v0=" + "0" * 64},
        {"timestamp": int(time.time()) - 6 * 60},
    ],
    ids=["unsigned", "wrong-signature", "stale-timestamp"],
)
def test_bad_signatures_are_refused_and_change_nothing(slack, how):
    before = slack.api.methods()
    form = slack.send(command_body(), "application/x-www-form-urlencoded", **how)
    event = slack.send(
        json.dumps(
            {
                "type": "event_callback",
                "event_id": "Ev1",
                "event": {"type": "message", "subtype": "file_share"},
            }
        ),
        "application/json",
        **how,
    )
    assert (form.status, event.status) == (401, 401)
    assert slack.api.methods() == before  # no views.open, no message
    assert rows(slack.ctx, Draft) == 0 and rows(slack.ctx, AuditEvent) == 0


def test_a_valid_signature_is_accepted(slack):
    before = len(slack.api.calls("views.open"))
    assert slack.send(command_body(), "application/x-www-form-urlencoded").status == 200
    assert len(slack.api.calls("views.open")) == before + 1
