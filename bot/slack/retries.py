"""Slack's conventions for a failed Web API call, as slack_sdk retry handlers.

A 429 waits the Retry-After Slack sends; a 500/503 or a dropped connection is tried again
after a short back-off. A few attempts only: listeners call Slack after their ack, and the
reminder runner retries a failed delivery itself after its lease.
"""

from __future__ import annotations

from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

RETRIES = 2  # per failed call, on top of the first attempt


def retry_handlers() -> list[RetryHandler]:
    """Fresh handlers for one client (each client keeps its own)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=RETRIES),
    ]
