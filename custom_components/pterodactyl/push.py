"""Live push: one Wings console websocket per server, feeding the coordinator (doc section 10)."""

import asyncio
from collections.abc import Callable, Collection
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from .api import Backoff, ConnectionState, ServerSocket, TokenLimiter, loop_time
from .const import (
    CONF_CONSOLE_EVENTS,
    CONSOLE_EVENT_BURST,
    CONSOLE_EVENT_RATE,
    DOMAIN,
    EVENT_CONSOLE_OUTPUT,
    ISSUE_DATA_ENTRY_ID,
)

if TYPE_CHECKING:
    from .coordinator import PterodactylCoordinator

# A node restart costs a few seconds of polling; a long outage one attempt every 5 minutes.
RECONNECT_BACKOFF: Final = Backoff(initial=1.0, maximum=300.0)
TASK_NAME: Final = "pterodactyl websocket"


class TokenBucket:
    """Allows `rate` events a second on average and `burst` at once; counts the refused ones."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = loop_time) -> None:
        """Start full; time is the event loop's unless `clock` is given."""
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self.dropped = 0

    def take(self) -> bool:
        """Spend a token if there is one; otherwise count the event as dropped."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.dropped += 1
        return False


class PushManager:
    """Keeps one websocket per server while push is on, and relays what Wings sends."""

    def __init__(self, coordinator: PterodactylCoordinator) -> None:
        """Prepare push for the coordinator's entry; nothing connects until async_start()."""
        self._coordinator = coordinator
        self._sockets: dict[str, ServerSocket] = {}
        # Kept when a server's socket is replaced, so Pelican's 5 tokens a minute still hold.
        self._limiters: dict[str, TokenLimiter] = {}
        self._console_buckets: dict[str, TokenBucket] = {}
        # Servers whose Wings refused the Origin: polled, and named in a repair issue.
        self._origin_refused: set[str] = set()
        self._console_events: bool = coordinator.config_entry.options.get(
            CONF_CONSOLE_EVENTS, False
        )
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
            self._console_buckets.pop(identifier, None)
            self._origin_refused.discard(identifier)
            await self._sockets.pop(identifier).stop()
        for identifier in identifiers:
            if identifier not in self._sockets:
                self._start(identifier)
            else:
                # The safety refresh of a pushed server: fresh stats, over the socket, apply the
                # panel's new listing (a suspension) without a REST request.
                await self.async_request_stats(identifier)

    async def async_request_stats(self, identifier: str) -> None:
        """Ask Wings for the server's stats now (only sent by itself while it runs)."""
        if (socket := self._sockets.get(identifier)) is not None:
            await socket.request_stats()

    async def async_stop(self) -> None:
        """Close every socket and end its task."""
        self._enabled = False
        sockets = list(self._sockets.values())
        self._sockets.clear()
        await asyncio.gather(*(socket.stop() for socket in sockets))
        # Stopped sockets refuse nothing: a reload tries again and raises it again if need be.
        self._origin_refused.clear()
        ir.async_delete_issue(
            self._coordinator.hass, DOMAIN, origin_refused_issue_id(self._entry_id)
        )
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _start(self, identifier: str) -> None:
        """Open a server's socket in a background task of the entry."""
        coordinator = self._coordinator
        socket = ServerSocket(
            coordinator.client,
            identifier,
            on_state=partial(coordinator.async_push_state, identifier),
            on_stats=partial(coordinator.async_push_stats, identifier),
            on_console=partial(self._console_line, identifier) if self._console_events else None,
            on_connection=partial(self._connection_changed, identifier),
            backoff=RECONNECT_BACKOFF,
            token_limiter=self._limiters.setdefault(identifier, TokenLimiter()),
            session=self._websocket_session(),
        )
        self._sockets[identifier] = socket
        # Unloading the entry or stopping Home Assistant cancels it, whatever else happens.
        coordinator.config_entry.async_create_background_task(
            coordinator.hass, socket.run(), f"{TASK_NAME} {identifier}"
        )

    @property
    def _entry_id(self) -> str:
        """Return the ID of the config entry push works for."""
        return self._coordinator.config_entry.entry_id

    def _connection_changed(self, identifier: str, state: ConnectionState) -> None:
        """Tell the coordinator; a refused Origin goes to Repairs too: only the user can fix it."""
        if state is ConnectionState.ORIGIN_REFUSED:
            self._origin_refused.add(identifier)
            self._raise_origin_issue(self._sockets[identifier].refused_origin or "")
        self._coordinator.async_push_connection(identifier, state)

    def _raise_origin_issue(self, origin: str) -> None:
        """Say in Repairs why servers are polled rather than pushed, and how Wings is fixed."""
        client = self._coordinator.client
        ir.async_create_issue(
            self._coordinator.hass,
            DOMAIN,
            origin_refused_issue_id(self._entry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="websocket_origin_refused",
            translation_placeholders={
                "url": client.base_url,
                "origin": origin,
                "servers": str(len(self._origin_refused)),
            },
            data={ISSUE_DATA_ENTRY_ID: self._entry_id},
        )

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

    def _console_line(self, identifier: str, line: str) -> None:
        """Fire a console event, unless the server's lines exceed the rate limit."""
        bucket = self._console_buckets.setdefault(
            identifier, TokenBucket(CONSOLE_EVENT_RATE, CONSOLE_EVENT_BURST)
        )
        data = self._coordinator.data.servers.get(identifier)
        if data is None or not bucket.take():
            return
        hass = self._coordinator.hass
        device = dr.async_get(hass).async_get_device_by_identifier(
            (DOMAIN, identifier), self._coordinator.config_entry.entry_id
        )
        event: dict[str, Any] = {
            "identifier": identifier,
            "name": data.server.name,
            "device_id": device.id if device is not None else None,
            "line": line,
            # Lines refused since the previous event: a flood shows as a gap, not silently.
            "dropped": bucket.dropped,
        }
        bucket.dropped = 0
        hass.bus.async_fire(EVENT_CONSOLE_OUTPUT, event)


def origin_refused_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while Wings refuses the entry's Origin."""
    return f"websocket_origin_refused_{entry_id}"
