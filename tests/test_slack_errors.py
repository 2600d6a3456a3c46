"""Unexpected failures: one polite message to the person, one log line with ids only."""

from __future__ import annotations

import logging

from bot.slack.views.text import UNEXPECTED
from tests.conftest import TEACHER
from tests.slack.fake_api import dm_channel


def test_an_unexpected_error_is_answered_politely_and_logged_without_payload(slack, caplog):
    slack.api.fail("views.open", "expired_trigger_id")
    with caplog.at_level(logging.INFO, logger="ypsi"):
        ack = slack.command(TEACHER, "report SECRET-WORDS")
    assert ack.status == 200  # acked: views.open runs on a delivery worker, and failed there
    [sorry] = slack.api.posted(dm_channel(TEACHER))
    assert sorry["text"] == UNEXPECTED
    [record] = [r for r in caplog.records if r.name == "ypsi.slack" and r.levelno == logging.ERROR]
    assert record.getMessage() == "screen call failed expired_trigger_id"
    assert "SECRET-WORDS" not in caplog.text and TEACHER not in record.getMessage()
