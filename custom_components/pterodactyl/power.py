"""Power actions, followed until the panel shows their outcome; no Home Assistant here."""

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

from .api import PowerSignal, ServerState, Utilization


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerEffect:
    """What a power signal does: the states that prove the panel acted, and the way there."""

    acknowledged_by: frozenset[ServerState]
    # Shown until the panel proves it acted (its usage lags behind the signal).
    interim: ServerState
    # The state the action ends in: it is followed until the panel reports it.
    settled: ServerState
    # A restarted process shows as a fresh uptime, whatever state a poll catches it in.
    proven_by_new_uptime: bool


_UP: Final = frozenset({ServerState.STARTING, ServerState.RUNNING})
EFFECTS: Final = {
    PowerSignal.START: PowerEffect(
        acknowledged_by=_UP,
        interim=ServerState.STARTING,
        settled=ServerState.RUNNING,
        proven_by_new_uptime=True,
    ),
    # Wings stops, then starts: any step away from the old process proves it acted.
    PowerSignal.RESTART: PowerEffect(
        acknowledged_by=frozenset({ServerState.STOPPING, ServerState.STARTING}),
        interim=ServerState.STARTING,
        settled=ServerState.RUNNING,
        proven_by_new_uptime=True,
    ),
    PowerSignal.STOP: PowerEffect(
        acknowledged_by=frozenset({ServerState.STOPPING, ServerState.OFFLINE}),
        interim=ServerState.STOPPING,
        settled=ServerState.OFFLINE,
        proven_by_new_uptime=False,
    ),
    PowerSignal.KILL: PowerEffect(
        acknowledged_by=frozenset({ServerState.OFFLINE}),
        interim=ServerState.OFFLINE,
        settled=ServerState.OFFLINE,
        proven_by_new_uptime=False,
    ),
}


def effect_of(signal: PowerSignal, current: Utilization | None) -> PowerEffect:
    """Return what a signal will do to a server in its current state."""
    if signal is PowerSignal.RESTART and (current is None or current.state is ServerState.OFFLINE):
        # Restarting a stopped server starts it.
        return EFFECTS[PowerSignal.START]
    return EFFECTS[signal]


@dataclass(slots=True, kw_only=True)
class PowerAction:
    """One power action being followed."""

    signal: PowerSignal
    effect: PowerEffect
    deadline: datetime
    uptime_before: float | None
    acknowledged: bool = False

    def is_acknowledged_by(self, utilization: Utilization) -> bool:
        """Say whether this usage shows the panel has acted on the signal."""
        restarted = (
            self.uptime_before is not None
            and utilization.uptime_seconds is not None
            and utilization.uptime_seconds < self.uptime_before
        )
        return restarted or utilization.state in self.effect.acknowledged_by


class PowerWatcher(Protocol):
    """Told of each power action: its signal sent, and whether it never took effect."""

    def signal_sent(self, identifier: str, signal: PowerSignal, now: datetime) -> None:
        """Note a signal just sent to a server."""

    def power_timed_out(self, identifier: str, action: PowerAction, state: ServerState) -> None:
        """Note an action the panel did not show settled in time, and the state it shows."""


class PowerTracker:
    """The power actions being followed, at most one per server."""

    def __init__(self, timeout: timedelta, watcher: PowerWatcher) -> None:
        """Give up on an action after `timeout`; tell `watcher` of each action and timeout."""
        self._timeout = timeout
        self._watcher = watcher
        self._actions: dict[str, PowerAction] = {}

    @property
    def followed(self) -> Collection[str]:
        """Return the servers under a power action."""
        return self._actions.keys()

    def start(
        self, identifier: str, signal: PowerSignal, current: Utilization | None, now: datetime
    ) -> PowerAction:
        """Follow a signal just sent; return the action, whose interim state is shown now."""
        effect = effect_of(signal, current)
        uptime = current.uptime_seconds if current is not None else None
        action = PowerAction(
            signal=signal,
            effect=effect,
            deadline=now + self._timeout,
            uptime_before=uptime if effect.proven_by_new_uptime else None,
        )
        self._actions[identifier] = action
        self._watcher.signal_sent(identifier, signal, now)
        return action

    def apply(self, identifier: str, utilization: Utilization, now: datetime) -> Utilization:
        """Keep showing an action's effect until the panel reports it; end it once settled."""
        action = self._actions.get(identifier)
        if action is None:
            return utilization
        if now >= action.deadline:
            del self._actions[identifier]
            self._watcher.power_timed_out(identifier, action, utilization.state)
            return utilization
        if not action.acknowledged:
            if not action.is_acknowledged_by(utilization):
                return replace(utilization, state=action.effect.interim)
            action.acknowledged = True
        if utilization.state is action.effect.settled:
            del self._actions[identifier]
        return utilization

    def end(self, identifier: str) -> None:
        """Stop following a server (Wings pushed its state, or it is gone)."""
        self._actions.pop(identifier, None)

    def keep_only(self, identifiers: Collection[str]) -> None:
        """Stop following servers that are no longer listed."""
        for identifier in self._actions.keys() - set(identifiers):
            del self._actions[identifier]
