"""Staff of a workspace no academy belongs to are told the bot is not set up (no empty form)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.ids import CallbackId
from conversations.academies import Academies
from conversations.storage.models import Draft
from tests.conftest import OAKFIELD

OTHER_SCHOOL_STAFF = "U0ELSEWHERE"


@pytest.fixture
def academies() -> Academies:
    return Academies({"oakfield": replace(OAKFIELD, team_id="T0OAKFIELD00")})


def test_staff_of_another_workspace_get_a_notice(slack):
    slack.command(OTHER_SCHOOL_STAFF, "report", team="T0ELSEWHERE0")
    [opened] = slack.api.calls("views.open")
    assert opened.params["view"]["callback_id"] == CallbackId.NOTICE
    assert "not set up" in str(opened.params["view"]["blocks"])
    with slack.ctx.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Draft)) == 0
