"""Live push from one server's Wings console websocket, kept open for good; no Home Assistant here.

A `ServerSocket` keeps one authenticated connection per server and reports what Wings sends
through plain callbacks, run in the event loop:

    socket = ServerSocket(client, "1a7ce997", on_state=..., on_stats=..., on_connection=...)
    socket.start()
    ...
    await socket.stop()

`on_connection` says when push is live (CONNECTED), when the caller should poll meanwhile
(DISCONNECTED), when the key may never watch this server (NOT_WATCHABLE: poll for good), and when
Wings refuses the Origin (ORIGIN_REFUSED: poll until its configuration is fixed).
"""

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
import logging
import random
from typing import Final

import aiohttp
from yarl import URL

from .client import PterodactylClient
from .exceptions import (
    PterodactylAuthenticationError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
)
from .models import BackupCompleted, ServerState, ServerStats, WebsocketCredentials
from .pacing import SAFE_WINDOW, SlidingWindowLimiter, loop_time
from .wings_session import AuthRefusedError, NotWatchableError, SessionEvents, Socket, WingsSession

_LOGGER = logging.getLogger(__name__)

# Pelican allows 5 token requests a minute per server, across all users (pelican-dev/panel
# app/Enums/ResourceLimit.php, config/http.php).
TOKEN_REQUESTS_PER_WINDOW: Final = 5
TOKEN_WINDOW_SECONDS: Final = SAFE_WINDOW
# A ping after this much silence, and a reconnect after as much again, find a dead TCP
# connection (a crashed node) that would otherwise look like a quiet offline server.
DEFAULT_HEARTBEAT: Final = 30.0
DEFAULT_CONNECT_TIMEOUT: Final = 15.0
# Wings answers a token that fails verification with a generic `daemon error`, or with nothing
# the client can tell apart: an `auth` unanswered this long was refused.
DEFAULT_AUTH_TIMEOUT: Final = 15.0
# Closing must not hold up Home Assistant's shutdown when the node no longer answers.
CLOSE_TIMEOUT: Final = 2.0
# Beyond this many doublings every delay is the cap anyway; it also keeps the float finite.
_MAX_DOUBLINGS: Final = 32
# Wings refuses a websocket Origin it does not know with 403 (gorilla's CheckOrigin).
_FORBIDDEN: Final = 403

type StateCallback = Callable[[ServerState], None]
type StatsCallback = Callable[[ServerStats], None]
type ConsoleCallback = Callable[[str], None]
type BackupCallback = Callable[[BackupCompleted], None]
type ConnectionCallback = Callable[[ConnectionState], None]


class ConnectionState(StrEnum):
    """Whether push works for a server."""

    # Authenticated: state, stats and console lines arrive as they happen.
    CONNECTED = "connected"
    # Not connected yet, or the connection failed: poll until CONNECTED again.
    DISCONNECTED = "disconnected"
    # The key may not open this server's websocket (403): poll, the socket has stopped.
    NOT_WATCHABLE = "not_watchable"
    # Wings refused the Origin at the upgrade (403): its `remote` is not the panel URL that
    # signs the tokens. Poll; the socket has stopped, and only Wings' configuration can fix it.
    ORIGIN_REFUSED = "origin_refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Reconnect delays: `initial` doubling up to `maximum`, with jitter."""

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Return the wait before reconnect `attempt` (0-based): half fixed, half random."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, _MAX_DOUBLINGS))
        # Jitter keeps many sockets that dropped together from returning together.
        return base / 2 + rng.uniform(0, base / 2)


class TokenLimiter(SlidingWindowLimiter):
    """The websocket token requests of one server: Pelican allows 5 a minute."""

    def __init__(
        self,
        limit: int = TOKEN_REQUESTS_PER_WINDOW,
        window: float = TOKEN_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = loop_time,
    ) -> None:
        """Allow `limit` requests in any `window` seconds."""
        super().__init__(limit, window, clock=clock)


class _OriginRefusedError(Exception):
    """Wings refused the Origin the socket was opened with."""


class ServerSocket:
    """One server's Wings console websocket, kept open and authenticated until stopped."""

    def __init__(
        self,
        client: PterodactylClient,
        identifier: str,
        *,
        on_state: StateCallback | None = None,
        on_stats: StatsCallback | None = None,
        on_console: ConsoleCallback | None = None,
        on_backup: BackupCallback | None = None,
        on_connection: ConnectionCallback | None = None,
        backoff: Backoff | None = None,
        token_limiter: TokenLimiter | None = None,
        heartbeat: float | None = DEFAULT_HEARTBEAT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        auth_timeout: float = DEFAULT_AUTH_TIMEOUT,
        rng: random.Random | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Prepare the socket; nothing connects until start() or run().

        The socket opens in `session`, by default the client's.
        """
        self.identifier = identifier
        self._client = client
        self._session = session or client.session
        self._on_state = on_state
        self._on_stats = on_stats
        self._on_console = on_console
        self._on_backup = on_backup
        self._on_connection = on_connection
        self._backoff = backoff or Backoff()
        # Pass one limiter per server that outlives this object if sockets are recreated.
        self.token_limiter = token_limiter or TokenLimiter()
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        self._auth_timeout = auth_timeout
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        # The Origin when a token does not name the panel: the configured URL, never the
        # socket URL from the panel's reply.
        self._fallback_origin = str(URL(client.base_url).origin())
        # The Origin Wings last refused, for the user to compare with Wings' `remote`.
        self.refused_origin: str | None = None
        self.state = ConnectionState.DISCONNECTED
        self._task: asyncio.Task[None] | None = None
        self._session_now: WingsSession | None = None
        self._attempt = 0
        self._stopping = False

    def __repr__(self) -> str:
        """Describe the socket without its token."""
        return f"ServerSocket({self.identifier!r}, state={self.state.value})"

    @property
    def connected(self) -> bool:
        """Return whether push is live (authenticated) right now."""
        return self.state is ConnectionState.CONNECTED

    # Lifecycle.

    def start(self) -> asyncio.Task[None]:
        """Run in a task of its own (once); stop() ends it."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self.run(), name=f"pterodactyl websocket {self.identifier}"
            )
        return self._task

    async def run(self) -> None:
        """Connect, and reconnect with backoff, until stopped or found not watchable."""
        self._task = asyncio.current_task()
        self._stopping = False
        while (floor := await self._connect_once()) is not None:
            await self._pause(floor)

    async def stop(self) -> None:
        """Close the socket and end its task; safe before start() and when called twice."""
        self._stopping = True
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            # Waits for the task's own cleanup; a cancellation of stop() itself still propagates.
            await asyncio.gather(task, return_exceptions=True)

    async def request_stats(self) -> None:
        """Ask Wings for a `stats` event now (it sends them by itself only while running)."""
        if self._session_now is not None and self.connected:
            # A socket closing under us simply reconnects; the caller need not care.
            with contextlib.suppress(ConnectionError):
                await self._session_now.send("send stats")

    # One connection.

    async def _connect_once(self) -> float | None:
        """Serve one connection until it ends; return the least delay before the next, or None."""
        try:
            await self._serve()
        except NotWatchableError as err:
            _LOGGER.debug("Server %s cannot be watched (%s); polling instead", self.identifier, err)
            self._set_state(ConnectionState.NOT_WATCHABLE)
            return None
        except _OriginRefusedError:
            _LOGGER.debug(
                "Wings refused Origin %s for server %s; polling instead",
                self.refused_origin,
                self.identifier,
            )
            self._set_state(ConnectionState.ORIGIN_REFUSED)
            return None
        except PterodactylRateLimitError as err:
            _LOGGER.debug("Websocket token for %s rate-limited", self.identifier)
            return err.retry_after or 0.0
        except (
            PterodactylError,
            aiohttp.ClientError,
            ConnectionError,
            TimeoutError,
            AuthRefusedError,
        ) as err:
            # The reason only: none of these messages carries the key or the token.
            _LOGGER.debug("Websocket of %s failed: %s", self.identifier, _describe(err))
        except Exception:
            # A bug here must not end push for good: log it and retry after the backoff.
            _LOGGER.exception("Unexpected error in the websocket of %s", self.identifier)
        return 0.0

    async def _serve(self) -> None:
        """Get a token, open the socket, authenticate and read it until it closes."""
        credentials = await self._credentials()
        session = WingsSession(
            await self._open(credentials),
            self.identifier,
            token=self._token,
            events=SessionEvents(
                authenticated=self._authenticated,
                state=partial(self._call, self._on_state),
                stats=partial(self._call, self._on_stats),
                console=partial(self._call, self._on_console),
                backup=partial(self._call, self._on_backup),
            ),
            heartbeat=self._heartbeat,
            auth_timeout=self._auth_timeout,
        )
        self._session_now = session
        try:
            await session.run(credentials.token)
        finally:
            self._session_now = None
            self._set_state(ConnectionState.DISCONNECTED)

    def _authenticated(self) -> None:
        """Push is live: reset the backoff and tell the caller."""
        self._attempt = 0
        self._set_state(ConnectionState.CONNECTED)

    async def _token(self) -> str:
        """Return a fresh token, for a renewal on the open socket."""
        return (await self._credentials()).token

    async def _credentials(self) -> WebsocketCredentials:
        """Fetch a token within the per-server limit; 403/404/401 mean never watchable."""
        await self.token_limiter.wait()
        try:
            return await self._client.get_websocket_credentials(self.identifier)
        except (
            PterodactylForbiddenError,
            PterodactylNotFoundError,
            PterodactylAuthenticationError,
        ) as err:
            raise NotWatchableError(_describe(err)) from err
        finally:
            # Counted once answered, not when allowed: the client may hold the request back to
            # fit the panel's overall limit, and the panel counts it when it arrives.
            self.token_limiter.record()

    async def _open(self, credentials: WebsocketCredentials) -> Socket:
        """Open the socket with the Origin of the panel that signed the token."""
        # Wings accepts only its `remote` setting, which the panel writes from its own URL: not
        # necessarily the address the user reaches the panel at (a LAN IP, http for https).
        origin = credentials.panel_origin or self._fallback_origin
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await self._session.ws_connect(
                    credentials.socket_url,
                    origin=origin,
                    # Pongs must reach _read, which answers pings itself.
                    autoping=False,
                    ssl=self._client.verify_ssl,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == _FORBIDDEN:
                self.refused_origin = origin
                raise _OriginRefusedError from err
            raise

    # Helpers.

    async def _pause(self, floor: float) -> None:
        """Wait the backoff delay (at least `floor`, the panel's Retry-After)."""
        delay = max(floor, self._backoff.delay(self._attempt, self._rng))
        self._attempt += 1
        _LOGGER.debug("Reconnecting the websocket of %s in %.1f s", self.identifier, delay)
        await asyncio.sleep(delay)

    def _set_state(self, state: ConnectionState) -> None:
        """Record the connection state and tell the caller when it changes (not while stopping)."""
        if state is self.state:
            return
        self.state = state
        if not self._stopping:
            self._call(self._on_connection, state)

    def _call[T](self, callback: Callable[[T], None] | None, value: T) -> None:
        """Run a caller's callback; its bug must not kill the socket."""
        if callback is None:
            return
        try:
            callback(value)
        except Exception:
            _LOGGER.exception("Error in a websocket callback for %s", self.identifier)


def _describe(err: BaseException) -> str:
    """Return an error's class and message, for debug logs."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
