"""The application layer's errors; `bot/` translates each into words for the person."""

from __future__ import annotations


class ConversationError(Exception):
    """Base of every error the services raise on purpose."""


class InvalidAnswer(ConversationError):
    """One or more fields of a step are not acceptable; `errors` maps field key to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotFound(ConversationError):
    """No such draft, case or academy (or not one the caller may know exists)."""


class NotAuthorised(ConversationError):
    """The caller may not see or act on this object."""


class NotAllowedNow(ConversationError):
    """The step is not possible in the current state; `missing` says what to do first."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


class StaleStep(NotAllowedNow):
    """A submission answers a step the draft has already moved past (a double click or old view)."""


class ConfigError(ConversationError):
    """A setting or data file is missing or malformed; the message names it and the fix."""
