"""Errors of the pure core."""


class StateMachineError(Exception):
    """Base of every error raised by a state machine."""


class IllegalTransition(StateMachineError):
    """A trigger that the current state does not accept."""

    def __init__(self, kind: str, state: str, trigger: str) -> None:
        super().__init__(f"{kind}: '{trigger}' is not allowed in state '{state}'")
        self.kind, self.state, self.trigger = kind, state, trigger


class GuardFailed(StateMachineError):
    """A legal trigger whose preconditions are not met; `missing` says what to record first."""

    def __init__(self, kind: str, state: str, trigger: str, missing: list[str]) -> None:
        super().__init__(f"{kind}: '{trigger}' from '{state}' needs first: {', '.join(missing) or 'nothing'}")
        self.kind, self.state, self.trigger, self.missing = kind, state, trigger, missing
