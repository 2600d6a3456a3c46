"""pytest fixtures for Slack tests (imported by tests/conftest.py).

`slack` runs on the `ctx` fixture (SQLite and PostgreSQL) when the test asks for `ctx` too,
otherwise on SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slack.fake_api import FakeSlackApi
from tests.slack.harness import SlackHarness


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    """The fake Slack Web API, serving in a thread on a free port."""
    api = FakeSlackApi().start()
    yield api
    api.stop()


@pytest.fixture
def slack(request: pytest.FixtureRequest, slack_api: FakeSlackApi) -> Iterator[SlackHarness]:
    """The app under test, served over HTTP, talking to `slack_api`."""
    name = "ctx" if "ctx" in request.fixturenames else "sqlite_ctx"
    harness = SlackHarness(request.getfixturevalue(name), slack_api)
    yield harness
    harness.stop()
