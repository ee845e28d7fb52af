"""Pushed data, written to the entities of its own server at most every few seconds."""

import asyncio
from collections.abc import Callable

from .const import PUSH_WRITE_INTERVAL
from .models import ServerData

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
