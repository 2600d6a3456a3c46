"""One shared `transitions.Machine` per kind, bound to a model only for the duration of a trigger.

A machine per model costs ~100 KiB; binding a plain object with `initial=<stored state>` costs
a few KiB transiently and nothing at rest, and keeps no conversation in process memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from transitions import Machine

from state_machines.errors import GuardFailed, IllegalTransition


class StatefulModel(Protocol):
    state: str


@dataclass(frozen=True)
class MachineSpec:
    """A machine as data: its name, states, transition table and how to explain a failed guard."""

    kind: str
    states: list[str]
    transitions: list[dict[str, Any]]
    initial: str
    missing: Callable[[Any, str], list[str]]


class SharedMachine:
    """A machine shared by every model of one kind; `fire` binds, triggers and unbinds."""

    def __init__(self, spec: MachineSpec) -> None:
        self.spec = spec
        self._machine = Machine(
            model=None,
            states=spec.states,
            transitions=spec.transitions,
            initial=spec.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        # add_model/remove_model mutate the machine's model list; bolt runs listeners in threads.
        self._lock = threading.Lock()

    def triggers(self, state: str) -> list[str]:
        """Triggers that the table allows from `state` (guards are not evaluated)."""
        return sorted(self._machine.get_triggers(state))

    def available(self, model: StatefulModel) -> list[str]:
        """Triggers allowed from the model's state whose guards currently pass."""
        return [t for t in self.triggers(model.state) if not self._blocked(model, t)]

    def _blocked(self, model: StatefulModel, trigger: str) -> bool:
        event = self._machine.events[trigger]
        for transition in event.transitions.get(model.state, []):
            if all(_holds(model, c) for c in transition.conditions):
                return False
        return True

    def fire(self, model: StatefulModel, trigger: str) -> tuple[str, str]:
        """Apply `trigger` to `model`; return (from_state, to_state) or raise a project error."""
        source = model.state
        if trigger not in self.triggers(source):
            raise IllegalTransition(self.spec.kind, source, trigger)
        if self._blocked(model, trigger):
            raise GuardFailed(self.spec.kind, source, trigger, self.spec.missing(model, trigger))
        own = set(vars(model))
        with self._lock:
            self._machine.add_model(model, initial=source)
        try:
            getattr(model, trigger)()
        finally:
            with self._lock:
                self._machine.remove_model(model)
            # Binding attached trigger, may_* and is_* methods; the model leaves as it came.
            for name in set(vars(model)) - own:
                delattr(model, name)
        return source, model.state

    def mermaid(self, title: str) -> str:
        """The machine as a mermaid state diagram (no system packages needed)."""
        lines = ["stateDiagram-v2", f"    %% {title}", f"    [*] --> {self.spec.initial}"]
        for row in self.spec.transitions:
            sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
            dest = row.get("dest") or None
            label = row["trigger"]
            conds = _as_list(row.get("conditions")) + [f"not {u}" for u in _as_list(row.get("unless"))]
            if conds:
                label += f" [{', '.join(conds)}]"
            for source in sources:
                lines.append(f"    {source} --> {dest or source}: {label}")
        return "\n".join(lines)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _holds(model: Any, condition: Any) -> bool:
    value = getattr(model, condition.func)
    result = value() if callable(value) else value
    return bool(result) == condition.target
