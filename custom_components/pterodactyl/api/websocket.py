"""Live push from one server's Wings console websocket (doc section 10); no Home Assistant here.

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
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from enum import StrEnum
import json
import logging
import random
from typing import Any, Final

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
from .models import ServerState, ServerStats, WebsocketCredentials
from .pacing import SAFE_WINDOW, SlidingWindowLimiter, loop_time
from .parsing import parse_power_state, parse_stats_event

_LOGGER = logging.getLogger(__name__)

# Pelican allows 5 token requests per minute per server, across all users (doc section 12).
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
_CLOSED: Final = frozenset(
    {
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    }
)
# Wings refuses a websocket Origin it does not know with 403 (gorilla's CheckOrigin).
_FORBIDDEN: Final = 403

type _Socket = aiohttp.ClientWebSocketResponse
type StateCallback = Callable[[ServerState], None]
type StatsCallback = Callable[[ServerStats], None]
type ConsoleCallback = Callable[[str], None]
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


class _AuthRefusedError(Exception):
    """Wings refused the token it was just sent; reconnect with a fresh one after a backoff."""


class _NotWatchableError(Exception):
    """The key may not watch this server."""


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
        self._ws: _Socket | None = None
        self._renewal: asyncio.Task[None] | None = None
        self._renewal_error: BaseException | None = None
        # When the `auth` sent last must have been answered (loop time), None once it was.
        self._auth_deadline: float | None = None
        # True from a token renewal's start until Wings accepts the new token: `jwt error`s then
        # answer events sent under the expired one, not the new token.
        self._renewing = False
        self._wants_stats = False
        self._attempt = 0
        self._stopping = False
        self._handlers: dict[str, Callable[[_Socket, list[str]], Awaitable[None]]] = {
            "auth success": self._handle_auth_success,
            "status": self._handle_status,
            "stats": self._handle_stats,
            "console output": self._handle_console,
            "token expiring": self._handle_token_expiring,
            "token expired": self._handle_token_expiring,
            "jwt error": self._handle_jwt_error,
            "daemon error": self._handle_daemon_error,
        }

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
        if self._ws is not None and self.connected:
            # A socket closing under us simply reconnects; the caller need not care.
            with contextlib.suppress(ConnectionError):
                await self._send(self._ws, "send stats")

    # One connection.

    async def _connect_once(self) -> float | None:
        """Serve one connection until it ends; return the least delay before the next, or None."""
        try:
            await self._serve()
        except _NotWatchableError as err:
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
            _AuthRefusedError,
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
        ws = await self._open(credentials)
        self._ws = ws
        self._wants_stats = True
        self._renewing = False
        self._renewal_error = None
        try:
            await self._authenticate(ws, credentials.token)
            await self._read(ws)
        finally:
            self._ws = None
            self._auth_deadline = None
            await self._cancel_renewal()
            await ws.close()
            self._set_state(ConnectionState.DISCONNECTED)
        if self._renewal_error is not None:
            raise self._renewal_error

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
            raise _NotWatchableError(_describe(err)) from err
        finally:
            # Counted once answered, not when allowed: the client may hold the request back to
            # fit the panel's overall limit, and the panel counts it when it arrives.
            self.token_limiter.record()

    async def _open(self, credentials: WebsocketCredentials) -> _Socket:
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

    async def _read(self, ws: _Socket) -> None:
        """Dispatch text frames until the socket closes; a silent peer gets pinged once."""
        # Our own heartbeat: aiohttp's can re-arm its timer while closing, which outlives us.
        pinged = False
        while True:
            try:
                message = await ws.receive(timeout=self._receive_timeout())
            except TimeoutError:
                if self._auth_overdue():
                    raise _AuthRefusedError("Wings did not accept the token") from None
                if pinged:
                    raise TimeoutError("Wings did not answer a ping") from None
                pinged = True
                await ws.ping()
                continue
            pinged = False
            if message.type is aiohttp.WSMsgType.TEXT:
                await self._dispatch(ws, message.data)
            elif message.type is aiohttp.WSMsgType.PING:
                await ws.pong(message.data)
            elif message.type in _CLOSED:
                return

    def _receive_timeout(self) -> float | None:
        """Return how long to wait for a frame: the heartbeat, or less while `auth` is pending."""
        if self._auth_deadline is None:
            return self._heartbeat
        left = max(0.0, self._auth_deadline - loop_time())
        return left if self._heartbeat is None else min(left, self._heartbeat)

    def _auth_overdue(self) -> bool:
        """Return whether the pending `auth` went unanswered for too long."""
        return self._auth_deadline is not None and loop_time() >= self._auth_deadline

    async def _dispatch(self, ws: _Socket, data: str) -> None:
        """Route one frame to its handler; unknown events and garbage are ignored."""
        event, args = _parse_frame(data)
        handler = self._handlers.get(event or "")
        if handler is not None:
            await handler(ws, args)

    async def _authenticate(self, ws: _Socket, token: str) -> None:
        """Send `auth`; Wings answers `auth success`, a `jwt error`, a `daemon error` or nothing."""
        self._auth_deadline = loop_time() + self._auth_timeout
        await self._send(ws, "auth", token)

    async def _send(self, ws: _Socket, event: str, *args: str) -> None:
        """Send one frame."""
        await ws.send_json({"event": event, "args": list(args)})

    # Events.

    async def _handle_auth_success(self, ws: _Socket, args: list[str]) -> None:
        """Push is live: reset the backoff and tell the caller; after a renewal, catch up."""
        self._auth_deadline = None
        self._attempt = 0
        self._set_state(ConnectionState.CONNECTED)
        if self._renewing:
            self._renewing = False
            # Wings sends no `status` on a re-auth, and what it sent while the token was
            # expired became `jwt error`s: the state may have changed unseen.
            await self._send(ws, "send stats")

    async def _handle_status(self, ws: _Socket, args: list[str]) -> None:
        """Report a power state; after connecting, ask for stats unless Wings already sent them."""
        state = _parse_or_none(parse_power_state, args)
        if state is None:
            return
        self._call(self._on_state, state)
        if self._wants_stats:
            self._wants_stats = False
            # Wings follows the first status with stats only when offline; otherwise ask now
            # rather than wait for the next periodic frame.
            if state is not ServerState.OFFLINE:
                await self._send(ws, "send stats")

    async def _handle_stats(self, ws: _Socket, args: list[str]) -> None:
        """Report usage."""
        stats = _parse_or_none(parse_stats_event, args)
        if stats is not None:
            self._call(self._on_stats, stats)

    async def _handle_console(self, ws: _Socket, args: list[str]) -> None:
        """Report console lines."""
        for line in args:
            self._call(self._on_console, line)

    async def _handle_token_expiring(self, ws: _Socket, args: list[str]) -> None:
        """Fetch a fresh token and re-auth on the same socket (no reconnect, no new status)."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(
                self._renew(ws), name=f"pterodactyl websocket token {self.identifier}"
            )

    async def _handle_jwt_error(self, ws: _Socket, args: list[str]) -> None:
        """End the connection on a refused first `auth`; renew a token that went bad later.

        Once the token has expired, Wings turns every event into a `jwt error` until a new
        token is accepted; during a renewal these are ignored (the auth deadline catches a new
        token that is refused).
        """
        if self._renewing:
            return
        if self._auth_deadline is not None:
            raise _AuthRefusedError(args[0] if args else "jwt error")
        await self._handle_token_expiring(ws, args)

    async def _handle_daemon_error(self, ws: _Socket, args: list[str]) -> None:
        """Note a Wings error; answering the first `auth`, it refuses the token (bad signature)."""
        detail = args[0] if args else ""
        if self._auth_deadline is not None and not self._renewing:
            raise _AuthRefusedError(detail or "daemon error")
        _LOGGER.debug("Wings error for %s: %s", self.identifier, detail)

    # Token renewal.

    async def _renew(self, ws: _Socket) -> None:
        """Re-auth with a new token; if that fails, close the socket so the run loop reconnects."""
        self._renewing = True
        try:
            credentials = await self._credentials()
            await self._authenticate(ws, credentials.token)
        except (PterodactylError, _NotWatchableError, ConnectionError) as err:
            self._renewal_error = err
            await ws.close()

    async def _cancel_renewal(self) -> None:
        """Stop a token renewal in flight."""
        renewal, self._renewal = self._renewal, None
        if renewal is not None and renewal is not asyncio.current_task():
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)

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


def _parse_frame(data: str) -> tuple[str | None, list[str]]:
    """Return a frame's event and string arguments; (None, []) when it is not a frame."""
    try:
        frame: Any = json.loads(data)
    except ValueError, RecursionError:
        return None, []
    if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
        return None, []
    args = frame.get("args")
    return frame["event"], [a for a in args if isinstance(a, str)] if isinstance(args, list) else []


def _parse_or_none[T](parse: Callable[[str], T], args: list[str]) -> T | None:
    """Parse the first argument; None (and a debug line) when it is missing or invalid."""
    if not args:
        return None
    try:
        return parse(args[0])
    except PterodactylError as err:
        _LOGGER.debug("Ignoring a websocket event: %s", err)
        return None


def _describe(err: BaseException) -> str:
    """Return an error's class and message, for debug logs."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
