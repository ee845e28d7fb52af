"""One open Wings console websocket: authenticate, read its events, renew its token in place."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
import logging
from typing import Any, Final

import aiohttp

from .exceptions import PterodactylError
from .models import BackupCompleted, ServerState, ServerStats
from .pacing import loop_time
from .parsing import parse_backup_completed, parse_power_state, parse_stats_event

_LOGGER = logging.getLogger(__name__)

_CLOSED: Final = frozenset(
    {
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    }
)

type Socket = aiohttp.ClientWebSocketResponse


class AuthRefusedError(Exception):
    """Wings refused the token it was just sent; reconnect with a fresh one after a backoff."""


class NotWatchableError(Exception):
    """The key may not watch this server (the panel refuses its websocket token)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEvents:
    """Where a session reports what Wings says (each callback guarded by its caller)."""

    authenticated: Callable[[], None]
    state: Callable[[ServerState], None]
    stats: Callable[[ServerStats], None]
    console: Callable[[str], None]
    backup: Callable[[BackupCompleted], None] = lambda _: None


class WingsSession:
    """One connected socket, from its first `auth` until it closes."""

    def __init__(
        self,
        ws: Socket,
        identifier: str,
        *,
        token: Callable[[], Awaitable[str]],
        events: SessionEvents,
        heartbeat: float | None,
        auth_timeout: float,
    ) -> None:
        """Serve `ws`; `token` fetches a fresh websocket token (for renewals)."""
        self._ws = ws
        self._identifier = identifier
        self._token = token
        self._events = events
        self._heartbeat = heartbeat
        self._auth_timeout = auth_timeout
        # When the `auth` sent last must have been answered (loop time), None once it was.
        self._auth_deadline: float | None = None
        # True from a token renewal's start until Wings accepts the new token: `jwt error`s then
        # answer events sent under the expired one, not the new token.
        self._renewing = False
        self._wants_stats = True
        self._renewal: asyncio.Task[None] | None = None
        self._renewal_error: BaseException | None = None
        self._handlers: dict[str, Callable[[list[str]], Awaitable[None]]] = {
            "auth success": self._handle_auth_success,
            "status": self._handle_status,
            "stats": self._handle_stats,
            "console output": self._handle_console,
            # Sent only to tokens with backup.read (Wings' SendJson), for every backup.
            "backup completed": self._handle_backup_completed,
            "token expiring": self._handle_token_expiring,
            "token expired": self._handle_token_expiring,
            "jwt error": self._handle_jwt_error,
            "daemon error": self._handle_daemon_error,
        }

    async def run(self, token: str) -> None:
        """Authenticate, then read until the socket closes; raise what ended it badly."""
        try:
            await self._authenticate(token)
            await self._read()
        finally:
            await self._cancel_renewal()
            await self._ws.close()
        if self._renewal_error is not None:
            raise self._renewal_error

    async def send(self, event: str, *args: str) -> None:
        """Send one frame."""
        await self._ws.send_json({"event": event, "args": list(args)})

    async def _read(self) -> None:
        """Dispatch text frames until the socket closes; a silent peer gets pinged once."""
        # Our own heartbeat: aiohttp's can re-arm its timer while closing, which outlives us.
        pinged = False
        while True:
            try:
                message = await self._ws.receive(timeout=self._receive_timeout())
            except TimeoutError:
                if self._auth_deadline is not None and loop_time() >= self._auth_deadline:
                    raise AuthRefusedError("Wings did not accept the token") from None
                if pinged:
                    raise TimeoutError("Wings did not answer a ping") from None
                pinged = True
                await self._ws.ping()
                continue
            pinged = False
            if message.type is aiohttp.WSMsgType.TEXT:
                event, args = parse_frame(message.data)
                if (handler := self._handlers.get(event or "")) is not None:
                    await handler(args)
            elif message.type is aiohttp.WSMsgType.PING:
                await self._ws.pong(message.data)
            elif message.type in _CLOSED:
                return

    def _receive_timeout(self) -> float | None:
        """Return how long to wait for a frame: the heartbeat, or less while `auth` is pending."""
        if self._auth_deadline is None:
            return self._heartbeat
        left = max(0.0, self._auth_deadline - loop_time())
        return left if self._heartbeat is None else min(left, self._heartbeat)

    async def _authenticate(self, token: str) -> None:
        """Send `auth`; Wings answers `auth success`, a `jwt error`, a `daemon error` or nothing."""
        self._auth_deadline = loop_time() + self._auth_timeout
        await self.send("auth", token)

    # Events.

    async def _handle_auth_success(self, args: list[str]) -> None:
        """Push is live; after a renewal, catch up on what the expired token hid."""
        self._auth_deadline = None
        self._events.authenticated()
        if self._renewing:
            self._renewing = False
            # Wings sends no `status` on a re-auth, and what it sent while the token was
            # expired became `jwt error`s: the state may have changed unseen.
            await self.send("send stats")

    async def _handle_status(self, args: list[str]) -> None:
        """Report a power state; after connecting, ask for stats unless Wings already sent them."""
        state = _parse_or_none(parse_power_state, args)
        if state is None:
            return
        self._events.state(state)
        if self._wants_stats:
            self._wants_stats = False
            # Wings follows the first status with stats only when offline; otherwise ask now
            # rather than wait for the next periodic frame.
            if state is not ServerState.OFFLINE:
                await self.send("send stats")

    async def _handle_stats(self, args: list[str]) -> None:
        """Report usage."""
        if (stats := _parse_or_none(parse_stats_event, args)) is not None:
            self._events.stats(stats)

    async def _handle_backup_completed(self, args: list[str]) -> None:
        """Report a backup Wings finished, good or failed."""
        if (completed := _parse_or_none(parse_backup_completed, args)) is not None:
            self._events.backup(completed)

    async def _handle_console(self, args: list[str]) -> None:
        """Report console lines."""
        for line in args:
            self._events.console(line)

    async def _handle_token_expiring(self, args: list[str]) -> None:
        """Fetch a fresh token and re-auth on the same socket (no reconnect, no new status)."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(
                self._renew(), name=f"pterodactyl websocket token {self._identifier}"
            )

    async def _handle_jwt_error(self, args: list[str]) -> None:
        """End the connection on a refused first `auth`; renew a token that went bad later.

        Once the token has expired, Wings turns every event into a `jwt error` until a new
        token is accepted; during a renewal these are ignored (the auth deadline catches a new
        token that is refused).
        """
        if self._renewing:
            return
        if self._auth_deadline is not None:
            raise AuthRefusedError(args[0] if args else "jwt error")
        await self._handle_token_expiring(args)

    async def _handle_daemon_error(self, args: list[str]) -> None:
        """Note a Wings error; answering the first `auth`, it refuses the token (bad signature)."""
        detail = args[0] if args else ""
        if self._auth_deadline is not None and not self._renewing:
            raise AuthRefusedError(detail or "daemon error")
        _LOGGER.debug("Wings error for %s: %s", self._identifier, detail)

    # Token renewal.

    async def _renew(self) -> None:
        """Re-auth with a new token; if that fails, close the socket so the caller reconnects."""
        self._renewing = True
        try:
            await self._authenticate(await self._token())
        except (PterodactylError, NotWatchableError, ConnectionError) as err:
            self._renewal_error = err
            await self._ws.close()

    async def _cancel_renewal(self) -> None:
        """Stop a token renewal in flight."""
        renewal, self._renewal = self._renewal, None
        if renewal is not None and renewal is not asyncio.current_task():
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)


def parse_frame(data: str) -> tuple[str | None, list[str]]:
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
