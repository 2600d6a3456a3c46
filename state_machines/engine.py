"""One shared `transitions.Machine` per kind, read once into a table that `fire` looks up.

A machine per model costs ~100 KiB, and binding a model to a shared machine per trigger cost
1.5-2.3 ms (add_model/remove_model attach and strip dozens of methods). The machines have no
callbacks, only guards: so `transitions` builds and checks the machine once, and each trigger is
a lookup in the table read from it (state → trigger → transitions in order, first whose guards
pass wins, `dest: None` staying put), with the same rules and errors. Nothing is bound to the
model, and no conversation is kept in process memory. Why: docs/decisions/0084-transition-table.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from transitions import Machine, Transition

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
        # state -> trigger -> its transitions from that state, in the order the machine tries them.
        self._table: dict[str, dict[str, list[Transition]]] = {}
        for trigger, event in self._machine.events.items():
            for source, rows in event.transitions.items():
                self._table.setdefault(source, {})[trigger] = list(rows)
        self._triggers = {state: sorted(by_trigger) for state, by_trigger in self._table.items()}

    def triggers(self, state: str) -> list[str]:
        """Triggers that the table allows from `state` (guards are not evaluated)."""
        return list(self._triggers.get(state, ()))

    def available(self, model: StatefulModel) -> list[str]:
        """Triggers allowed from the model's state whose guards currently pass."""
        return [t for t in self.triggers(model.state) if self._passing(model, t) is not None]

    def _passing(self, model: StatefulModel, trigger: str) -> Transition | None:
        """The first transition for `trigger` from the model's state whose guards all pass."""
        for transition in self._table.get(model.state, {}).get(trigger, ()):
            if all(_holds(model, c) for c in transition.conditions):
                return transition
        return None

    def fire(self, model: StatefulModel, trigger: str) -> tuple[str, str]:
        """Apply `trigger` to `model`; return (from_state, to_state) or raise a project error."""
        source = model.state
        if trigger not in self._table.get(source, {}):
            raise IllegalTransition(self.spec.kind, source, trigger)
        transition = self._passing(model, trigger)
        if transition is None:
            raise GuardFailed(self.spec.kind, source, trigger, self.spec.missing(model, trigger))
        if transition.dest is not None:  # None: an internal transition, the state stays
            model.state = transition.dest
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
