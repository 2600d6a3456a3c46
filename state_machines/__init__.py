"""Pure core: the report dialogue and the case lifecycle as data tables for `transitions`.

Nothing here imports Slack, SQLAlchemy or the rest of the project.
"""

from state_machines.errors import GuardFailed, IllegalTransition, StateMachineError

__all__ = ["GuardFailed", "IllegalTransition", "StateMachineError"]
