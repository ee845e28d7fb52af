"""Live push: one Wings console websocket per server, relayed to a sink."""

import asyncio
from collections.abc import Callable, Collection
from functools import partial
from typing import Final, Protocol

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import (
    Backoff,
    BackupCompleted,
    ConnectionState,
    PterodactylClient,
    ServerSocket,
    ServerState,
    ServerStats,
    TokenLimiter,
)
from .issues import async_delete_issue, async_raise_origin_refused_issue, origin_refused_issue_id

# A node restart costs a few seconds of polling; a long outage one attempt every 5 minutes.
RECONNECT_BACKOFF: Final = Backoff(initial=1.0, maximum=300.0)

type ConsoleLine = Callable[[str, str], None]


class PushSink(Protocol):
    """What receives what Wings pushes: each call names the server."""

    def push_state(self, identifier: str, state: ServerState) -> None:
        """Take a power state."""

    def push_stats(self, identifier: str, stats: ServerStats) -> None:
        """Take usage."""

    def push_connection(self, identifier: str, state: ConnectionState) -> None:
        """Take a change of the server's socket (live, polled meanwhile, refused)."""


class PushManager:
    """Keeps one websocket per server while push is on, and relays what Wings sends."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: PterodactylClient,
        sink: PushSink,
        console: ConsoleLine | None,
        *,
        backup_completed: Callable[[str, BackupCompleted], None] | None = None,
        health: ConsoleLine,
    ) -> None:
        """Prepare push for the entry; nothing connects until async_start()."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._sink = sink
        self._console = console
        # Every console line goes there, console events or not: Wings tells crashes in them.
        self._health = health
        self._backup_completed = backup_completed
        self._sockets: dict[str, ServerSocket] = {}
        # Kept when a server's socket is replaced, so Pelican's 5 tokens a minute still hold.
        self._limiters: dict[str, TokenLimiter] = {}
        # Servers whose Wings refused the Origin: polled, and named in a repair issue.
        self._origin_refused: set[str] = set()
        # Who waits for a state of push: looked at again at every change of a socket.
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._enabled = False
        self._session: aiohttp.ClientSession | None = None

    def is_live(self, identifier: str) -> bool:
        """Return whether Wings pushes this server's state right now."""
        socket = self._sockets.get(identifier)
        return socket is not None and socket.connected

    def state(self, identifier: str) -> ConnectionState | None:
        """Return the server's socket state, None when it has no socket."""
        socket = self._sockets.get(identifier)
        return socket.state if socket is not None else None

    async def async_wait_for(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, looking again at every change of a socket."""
        if condition():
            return
        waiter = (condition, self._hass.loop.create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        finally:
            self._waiters.remove(waiter)

    async def async_start(self, identifiers: Collection[str]) -> None:
        """Open a socket for every server."""
        self._enabled = True
        await self.async_sync(identifiers)

    async def async_sync(self, identifiers: Collection[str]) -> None:
        """Open sockets of new servers, close those of servers gone, re-read the live ones."""
        if not self._enabled:
            return
        for identifier in self._sockets.keys() - set(identifiers):
            self._limiters.pop(identifier, None)
            self._origin_refused.discard(identifier)
            await self._sockets.pop(identifier).stop()
        for identifier in identifiers:
            if identifier not in self._sockets:
                self._start(identifier)
            else:
                # The safety refresh of a pushed server: fresh stats, over the socket, apply the
                # panel's new listing (a suspension) without a REST request.
                await self._sockets[identifier].request_stats()

    async def async_stop(self) -> None:
        """Close every socket and end its task."""
        self._enabled = False
        sockets = list(self._sockets.values())
        self._sockets.clear()
        await asyncio.gather(*(socket.stop() for socket in sockets))
        # Stopped sockets refuse nothing: a reload tries again and raises it again if need be.
        self._origin_refused.clear()
        async_delete_issue(self._hass, origin_refused_issue_id(self._entry.entry_id))
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _start(self, identifier: str) -> None:
        """Open a server's socket in a background task of the entry."""
        socket = ServerSocket(
            self._client,
            identifier,
            on_state=partial(self._sink.push_state, identifier),
            on_stats=partial(self._sink.push_stats, identifier),
            on_console=partial(self._console_line, identifier),
            on_backup=(
                partial(self._backup_completed, identifier) if self._backup_completed else None
            ),
            on_connection=partial(self._connection_changed, identifier),
            backoff=RECONNECT_BACKOFF,
            token_limiter=self._limiters.setdefault(identifier, TokenLimiter()),
            session=self._websocket_session(),
        )
        self._sockets[identifier] = socket
        # The socket's own task, not one of Home Assistant's: it never ends by itself, and waiting
        # for Home Assistant's background tasks must not wait for it. async_stop() ends it, on
        # unload and when Home Assistant stops.
        socket.start()

    def _console_line(self, identifier: str, line: str) -> None:
        """Relay a console line to the health watch, and to `console` when it is given."""
        self._health(identifier, line)
        if self._console is not None:
            self._console(identifier, line)

    def _connection_changed(self, identifier: str, state: ConnectionState) -> None:
        """Tell the sink; a refused Origin goes to Repairs too: only the user can fix it."""
        if state is ConnectionState.ORIGIN_REFUSED:
            self._origin_refused.add(identifier)
            async_raise_origin_refused_issue(
                self._hass,
                self._entry.entry_id,
                self._client.base_url,
                self._sockets[identifier].refused_origin or "",
                len(self._origin_refused),
            )
        self._sink.push_connection(identifier, state)
        for condition, waiter in self._waiters:
            if not waiter.done() and condition():
                waiter.set_result(None)

    def _websocket_session(self) -> aiohttp.ClientSession:
        """Return the session every socket of the entry opens in, created on first use."""
        if self._session is None:
            # An open socket holds its connection for good. Home Assistant's shared pool allows
            # 100 connections a host: a node with more servers, or Wings behind the panel's own
            # address, would leave the panel's requests waiting for a free one until they time
            # out. The sockets get a pool of their own, without that cap.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=0)
            )
        return self._session
