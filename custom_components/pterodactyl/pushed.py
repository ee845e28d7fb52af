"""What Wings pushes, applied to the coordinator's data: a power state at once, usage throttled."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from .api import ConnectionState, Server, ServerState, ServerStats, Utilization
from .const import PUSH_WRITE_INTERVAL
from .models import ServerData
from .power import PowerTracker

type Listener = Callable[[], None]


class ServerListeners:
    """The entities' update callbacks, by server: a push updates its own server's entities only."""

    def __init__(self) -> None:
        """Start with none."""
        self._listeners: dict[str, list[Listener]] = {}

    def add(self, identifier: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` when the server's pushed data is written; return the remover."""
        listeners = self._listeners.setdefault(identifier, [])
        listeners.append(listener)

        def remove() -> None:
            listeners.remove(listener)
            if not listeners:
                del self._listeners[identifier]

        return remove

    def notify(self, identifier: str) -> None:
        """Call the server's listeners."""
        for listener in list(self._listeners.get(identifier, ())):
            listener()


class ThrottledWriter:
    """Holds each server's pushed data until its next write: a power state change goes at once.

    Wings sends usage about once a second: writing each would add a recorder row a second per
    sensor. The data stays readable (`pending`) while it waits.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, write: Callable[[str, ServerData], None]
    ) -> None:
        """Write through `write`, on `loop`'s clock."""
        self._loop = loop
        self._write = write
        self._pending: dict[str, ServerData] = {}
        self._written_at: dict[str, float] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def pending(self, identifier: str) -> ServerData | None:
        """Return the server's data waiting to be written, if any."""
        return self._pending.get(identifier)

    def publish(self, identifier: str, data: ServerData, *, at_once: bool) -> None:
        """Write now, or when the server's write interval has passed."""
        self._pending[identifier] = data
        due = self._written_at.get(identifier, -PUSH_WRITE_INTERVAL) + PUSH_WRITE_INTERVAL
        if at_once or self._loop.time() >= due:
            self._flush(identifier)
        elif identifier not in self._timers:
            self._timers[identifier] = self._loop.call_at(due, self._flush, identifier)

    def clear(self) -> None:
        """Drop every pending write: an update that contains them is being made."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()

    def forget(self, identifier: str) -> None:
        """Drop what is kept of a server the panel no longer lists."""
        if (timer := self._timers.pop(identifier, None)) is not None:
            timer.cancel()
        self._pending.pop(identifier, None)
        self._written_at.pop(identifier, None)

    def _flush(self, identifier: str) -> None:
        """Write a server's pending data."""
        if (timer := self._timers.pop(identifier, None)) is not None:
            timer.cancel()
        if (data := self._pending.pop(identifier, None)) is None:
            return
        self._written_at[identifier] = self._loop.time()
        self._write(identifier, data)


class PushTarget(Protocol):
    """What pushed data is applied to: the coordinator."""

    def current_server_data(self, identifier: str) -> ServerData | None:
        """Return a server's data as last written."""

    def write_server_data(self, identifier: str, data: ServerData) -> bool:
        """Replace a server's data without touching the others; False when it has none."""

    def listed_server(self, identifier: str) -> Server | None:
        """Return the server as the panel lists it, None when it does not."""

    def build_server_data(self, server: Server, result: Utilization) -> ServerData:
        """Return a server's data with this usage (a power action under way shown)."""


class PushedState:
    """Applies Wings' pushes (a PushSink) to a target's data, each to its own server's entities."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        target: PushTarget,
        power: PowerTracker,
        on_connection: Callable[[str, ConnectionState], None],
    ) -> None:
        """Apply pushes to `target`, ending `power`'s actions; socket changes to `on_connection`."""
        self._target = target
        self._power = power
        self._on_connection = on_connection
        self._listeners = ServerListeners()
        self._writer = ThrottledWriter(loop, self._write)

    def latest(self, identifier: str) -> ServerData | None:
        """Return the newest data of a server, pushed but not yet written included."""
        if (pending := self._writer.pending(identifier)) is not None:
            return pending
        return self._target.current_server_data(identifier)

    def publish(self, identifier: str, data: ServerData, *, at_once: bool) -> None:
        """Write a server's data now, or with its next throttled write."""
        self._writer.publish(identifier, data, at_once=at_once)

    def add_listener(self, identifier: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` when the server's pushed data is written; return the remover."""
        return self._listeners.add(identifier, listener)

    def clear(self) -> None:
        """Drop the pushed data waiting: an update that contains it is being made."""
        self._writer.clear()

    def forget(self, identifier: str) -> None:
        """Drop what is kept of a server the panel no longer lists."""
        self._writer.forget(identifier)

    def push_state(self, identifier: str, state: ServerState) -> None:
        """Show a pushed power state at once; it is the panel's truth, ending any power action."""
        # Wings sends `status` only on a change, in order with everything else on the socket,
        # so it is never older than a signal sent before it was seen.
        self._power.end(identifier)
        server = self._target.listed_server(identifier)
        latest = self.latest(identifier)
        if server is None or latest is None or latest.utilization is None:
            # Nothing to show the state with yet: the stats that follow every first status do.
            return
        data = self._target.build_server_data(server, replace(latest.utilization, state=state))
        self._writer.publish(identifier, data, at_once=True)

    def push_stats(self, identifier: str, stats: ServerStats) -> None:
        """Apply pushed usage, written at once only when the power state changes."""
        if (server := self._target.listed_server(identifier)) is None:
            return
        latest = self.latest(identifier)
        utilization = stats.to_utilization(is_suspended=server.is_suspended)
        data = self._target.build_server_data(server, utilization)
        changed = latest is None or latest.status is not data.status
        self._writer.publish(identifier, data, at_once=changed)

    def push_connection(self, identifier: str, state: ConnectionState) -> None:
        """Pass a change of the server's socket on."""
        self._on_connection(identifier, state)

    def _write(self, identifier: str, data: ServerData) -> None:
        """Put a server's pushed data into the target's data and update its entities."""
        # Only this server's entities: writing every entity of the panel for each push would
        # cost servers x entities state writes every few seconds.
        if self._target.write_server_data(identifier, data):
            self._listeners.notify(identifier)
