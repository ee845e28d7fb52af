"""The wings side: websocket tokens and URLs, and the console websocket itself (doc section 10)."""

import asyncio
from collections import Counter, deque
import contextlib
from dataclasses import dataclass, field
import hashlib
import json
import secrets
import sys
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from simulator import tokens
from simulator.models import (
    CONTAINER_UP,
    SIGNAL_PERMISSIONS,
    Account,
    PowerSignal,
    PowerState,
    SimServer,
)

if TYPE_CHECKING:
    from simulator.panel import PanelSimulator

TOKEN_LIFETIME = 600.0
WEBSOCKET_PATH = "/api/servers/{uuid}/ws"
# Wings' own routes; the panel's are under /api/client and /api/application.
WINGS_PREFIX = "/api/servers/"
# Inbound events kept per server for assertions: a day of token renewals must not grow them.
RECEIVED_KEPT = 50

# Wings' error texts (gbrlsnchs/jwt and router/websocket).
JWT_EXPIRED = "jwt: exp claim is invalid"
JWT_BAD_SIGNATURE = "jwt: HMAC verification failed"
JWT_MALFORMED = "jwt: malformed token"
JWT_MISSING = "jwt: no jwt present"
JWT_UUID_MISMATCH = "jwt: server UUID mismatch"
JWT_NO_CONNECT = "jwt: missing connect permission"
GENERIC_DAEMON_ERROR = "An unexpected error was encountered while handling this request."

# Wings warns when this many seconds or fewer remain on the token.
EXPIRING_WITHIN = 60.0

# What a few games print, for `console output` while a simulated server runs.
_BOOT_LINES = {
    "Minecraft": [
        "[Server thread/INFO]: Starting minecraft server version 1.21.4",
        '[Server thread/INFO]: Preparing level "world"',
    ],
}
_READY_LINES = {"Minecraft": ['[Server thread/INFO]: Done (4.812s)! For help, type "help"']}
_CHATTER = {
    "Minecraft": [
        "[Server thread/INFO]: Saving the game (this may take a moment!)",
        "[Server thread/INFO]: Saved the game",
        "[Server thread/INFO]: There are 0 of a max of 20 players online",
    ],
}
_GENERIC_BOOT = ["Loading configuration...", "Starting server..."]
_GENERIC_READY = ["Server started."]
_GENERIC_CHATTER = ["Autosaving world...", "World saved."]
_STOP_LINE = "[Pterodactyl Daemon]: Server marked as stopping..."


def websocket_url(host: str, server: SimServer, *, secure: bool = False) -> str:
    """Return the socket URL for a server; the simulator plays the node on its own port."""
    # Nodes behind TLS get wss:// (doc section 10).
    scheme = "wss" if secure else "ws"
    return f"{scheme}://{host}{WEBSOCKET_PATH.format(uuid=server.uuid)}"


def mint_token(
    *,
    server: SimServer,
    account: Account,
    permissions: list[str],
    panel_url: str,
    node_url: str,
    now_unix: float,
    secret: str,
    lifetime: float = TOKEN_LIFETIME,
) -> str:
    """Return a websocket JWT with NodeJWTService's claims, valid for `lifetime` (10 minutes)."""
    issued = int(now_unix)
    unique_id = secrets.token_hex(8)
    claims: dict[str, Any] = {
        "iss": panel_url,
        "aud": [node_url],
        "jti": hashlib.md5(
            f"{account.id}{server.uuid}".encode(), usedforsecurity=False
        ).hexdigest(),
        "iat": issued,
        "nbf": issued - 300,
        "exp": issued + int(lifetime),
        "server_uuid": server.uuid,
        "permissions": permissions,
        "user_uuid": account.uuid,
        "user_id": account.id,
        "unique_id": unique_id,
    }
    return tokens.encode(claims, secret)


def has_permission(permissions: list[str], permission: str) -> bool:
    """Return Wings' HasPermission: an exact match, or `*` for anything but admin permissions."""
    return any(
        granted == permission or (granted == "*" and not permission.startswith("admin"))
        for granted in permissions
    )


class TokenError(Exception):
    """A token Wings refuses; the message is the `jwt error` text."""


@dataclass(slots=True)
class WingsSettings:
    """Timing of the simulated node in real seconds (not the sim clock); tests shrink it."""

    # One `stats` per interval while the container is up (Docker's stats stream: ~1 s).
    stats_interval: float = 1.0
    # How often each socket's token is checked for `token expiring` / `token expired`.
    token_check_interval: float = 30.0
    # How often the lazy power model is sampled for `status` events.
    state_check_interval: float = 0.1
    # Simulated game chatter while running; None for none.
    console_interval: float | None = 15.0
    # `send logs` replays this many lines (websocket_log_count).
    log_lines: int = 150
    # Wings' `remote` (the panel URL the Origin must equal); None: the simulator's own URL.
    remote: str | None = None
    # Origins accepted besides `remote` (Wings' allowed_origins; "*" accepts any).
    allowed_origins: list[str] = field(default_factory=list)
    # False plays a hung node: pings go unanswered.
    answer_pings: bool = True


@dataclass(eq=False)
class WingsConnection:
    """One open console socket and what Wings remembers about it."""

    server: SimServer
    socket: web.WebSocketResponse
    request: web.Request
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    permissions: list[str] | None = None
    expires_at: float = 0.0
    last_state: PowerState | None = None
    next_token_check: float = 0.0
    writer: asyncio.Task[None] | None = None

    @property
    def authenticated(self) -> bool:
        """Return whether a token was accepted on this socket."""
        return self.permissions is not None

    def send(self, event: str, *args: str) -> None:
        """Queue a frame; the writer task sends frames in order."""
        self.outbox.put_nowait(json.dumps({"event": event, "args": list(args)}))


class Wings:
    """The node daemon's console websocket for every server of the simulator."""

    def __init__(self, sim: PanelSimulator, settings: WingsSettings | None = None) -> None:
        """Serve `sim`'s servers."""
        self.sim = sim
        self.settings = settings or WingsSettings()
        self.connections: list[WingsConnection] = []
        # Sockets accepted per server identifier, while the server exists.
        self.connects: Counter[str] = Counter()
        # The latest inbound events per server identifier, in order (tokens are not kept).
        self.received: dict[str, list[str]] = {}
        self.logs: dict[str, deque[str]] = {}
        self._observed: dict[str, PowerState] = {}
        self._next_stats: dict[str, float] = {}
        self._next_chatter: dict[str, float] = {}
        self._chatter_index: Counter[str] = Counter()
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._writers: set[asyncio.Task[None]] = set()
        self._closing = False

    # Test controls.

    def count(self, identifier: str | None = None) -> int:
        """Return how many sockets are open, for one server or all."""
        return sum(1 for c in self.connections if _is_for(c, identifier))

    def forget(self, identifier: str) -> None:
        """Drop what is kept about a deleted server (its sockets are closed separately)."""
        for kept in (
            self.connects,
            self.received,
            self.logs,
            self._next_stats,
            self._next_chatter,
            self._chatter_index,
        ):
            kept.pop(identifier, None)

    def console_line(self, identifier: str, line: str) -> None:
        """Print a line on a server's console: kept for `send logs`, sent to its sockets."""
        server = self.sim.server(identifier)
        self._log(server).append(line)
        self.broadcast(server, "console output", line)

    def broadcast(self, server: SimServer, event: str, *args: str) -> None:
        """Send an event to every authenticated, unexpired socket of a server."""
        for connection in self._live(server):
            connection.send(event, *args)

    def send_raw(self, identifier: str, text: str) -> None:
        """Send any text frame (even malformed) to every socket of a server."""
        for connection in self.connections:
            if _is_for(connection, identifier):
                connection.outbox.put_nowait(text)

    async def ping(self, identifier: str) -> None:
        """Send a websocket ping to every socket of a server."""
        for connection in self.connections:
            if _is_for(connection, identifier):
                await connection.socket.ping()

    def expire_tokens(self, identifier: str | None = None, *, remaining: float = 0.0) -> None:
        """Make the tokens of open sockets expire `remaining` seconds from now; check at once."""
        now_unix = self.sim.unix_time()
        for connection in self.connections:
            if _is_for(connection, identifier) and connection.authenticated:
                connection.expires_at = now_unix + remaining
                connection.next_token_check = 0.0
        self.wake()

    async def disconnect(self, identifier: str | None = None, *, abort: bool = False) -> int:
        """Close a server's sockets (all with None); `abort` drops TCP without a close frame."""
        if abort:
            return self.drop(identifier)
        chosen = [c for c in self.connections if _is_for(c, identifier)]
        await asyncio.gather(*(_close(c) for c in chosen))
        return len(chosen)

    def drop(self, identifier: str | None = None) -> int:
        """Drop a server's connections without a close frame, as a crashed node does."""
        chosen = [c for c in self.connections if _is_for(c, identifier)]
        for connection in chosen:
            transport = connection.request.transport
            if transport is not None:
                transport.abort()
        return len(chosen)

    def wake(self) -> None:
        """Look at the servers now (a power signal or a test changed something)."""
        self._wake.set()

    async def close(self) -> None:
        """Close every socket and cancel every task (simulator shutdown)."""
        self._closing = True
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        await self.disconnect()
        for writer in self._writers:
            writer.cancel()
        await asyncio.gather(*self._writers, return_exceptions=True)
        # Still refusing sockets: a client reconnecting while the HTTP server shuts down would
        # restart the pump after this. open() accepts them again.

    def open(self) -> None:
        """Accept sockets again (the simulator starts after a stop)."""
        self._closing = False

    # The socket.

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /api/servers/{uuid}/ws: check the Origin, upgrade, then serve frames."""
        server = self.sim.find_server(request.match_info["uuid"])
        if server is None or len(request.match_info["uuid"]) == 8:
            return web.json_response(
                {"error": "The requested resource does not exist."}, status=404
            )
        if not self._origin_allowed(request.headers.get("Origin")):
            # gorilla/websocket's Upgrader answers a refused Origin with 403.
            return web.Response(status=403, text="Forbidden")
        if server.node_down or self._closing:
            # The node is unreachable: what the proxy in front of it answers.
            return web.Response(status=502, text="Bad Gateway")
        socket = web.WebSocketResponse(
            timeout=1.0, max_msg_size=1024 * 1024, autoping=self.settings.answer_pings
        )
        await socket.prepare(request)
        connection = WingsConnection(server=server, socket=socket, request=request)
        self._register(connection)
        try:
            await self._serve(connection)
        finally:
            self._unregister(connection)
        return socket

    def _origin_allowed(self, origin: str | None) -> bool:
        """Return whether Wings' CheckOrigin passes: the panel URL or an allowed origin."""
        allowed = {*self.settings.allowed_origins}
        remote = self.settings.remote or self.sim.url
        if remote is not None:
            allowed.add(remote.rstrip("/"))
        return "*" in allowed or (origin is not None and origin in allowed)

    def _register(self, connection: WingsConnection) -> None:
        """Track a new socket and make sure the pump and its writer run."""
        self.connections.append(connection)
        self.connects[connection.server.identifier] += 1
        writer = asyncio.get_running_loop().create_task(_write(connection), name="wings-writer")
        connection.writer = writer
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name="wings")

    def _unregister(self, connection: WingsConnection) -> None:
        """Forget a closed socket and stop its writer."""
        if connection in self.connections:
            self.connections.remove(connection)
        if connection.writer is not None:
            connection.writer.cancel()

    async def _serve(self, connection: WingsConnection) -> None:
        """Read frames until the client or the simulator closes the socket."""
        async for message in connection.socket:
            if message.type is not WSMsgType.TEXT:
                continue
            event, args = _parse_frame(message.data)
            if event is None:
                continue
            received = self.received.setdefault(connection.server.identifier, [])
            # Interned, and only the latest RECEIVED_KEPT kept.
            received.append(sys.intern(event))
            del received[:-RECEIVED_KEPT]
            self._inbound(connection, event, args)

    # Client -> wings.

    def _inbound(self, connection: WingsConnection, event: str, args: list[str]) -> None:
        """Handle one client event the way router/websocket HandleInbound does."""
        if event == "auth":
            self._authenticate(connection, "".join(args))
            return
        problem = self._token_problem(connection)
        if problem is not None:
            connection.send("jwt error", problem)
            return
        if event == "send stats":
            connection.send("stats", _stats_json(connection.server))
        elif event == "send logs":
            self._send_logs(connection)
        elif event == "send command":
            self._command(connection, args)
        elif event == "set state":
            self._set_state(connection, args)

    def _authenticate(self, connection: WingsConnection, token: str) -> None:
        """Accept a token; the first accepted token also gets the status (and offline stats)."""
        try:
            claims = self._verify(token, connection.server)
        except TokenError as err:
            connection.send("jwt error", str(err))
            return
        first = not connection.authenticated
        connection.permissions = [str(p) for p in claims.get("permissions", [])]
        connection.expires_at = float(claims["exp"])
        connection.send("auth success")
        if not first:
            return
        state = connection.server.power_state
        connection.last_state = state
        connection.next_token_check = _loop_time() + self.settings.token_check_interval
        connection.send("status", state.value)
        if state is PowerState.OFFLINE:
            connection.send("stats", _stats_json(connection.server))

    def _verify(self, token: str, server: SimServer) -> dict[str, Any]:
        """Return a token's claims, or raise TokenError with Wings' message."""
        try:
            claims = tokens.decode(token, self.sim.node_token)
        except TypeError, ValueError:
            raise TokenError(
                JWT_MALFORMED if token.count(".") != 2 else JWT_BAD_SIGNATURE
            ) from None
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.sim.unix_time():
            raise TokenError(JWT_EXPIRED)
        if claims.get("server_uuid") != server.uuid:
            raise TokenError(JWT_UUID_MISMATCH)
        permissions = claims.get("permissions")
        if not isinstance(permissions, list) or not has_permission(
            [str(p) for p in permissions], "websocket.connect"
        ):
            raise TokenError(JWT_NO_CONNECT)
        return claims

    def _token_problem(self, connection: WingsConnection) -> str | None:
        """Return why the socket's token is not valid now, or None."""
        if not connection.authenticated:
            return JWT_MISSING
        if connection.expires_at <= self.sim.unix_time():
            return JWT_EXPIRED
        return None

    def _send_logs(self, connection: WingsConnection) -> None:
        """Replay recent console lines; Wings does so only while the server runs."""
        if connection.server.power_state not in CONTAINER_UP:
            return
        for line in list(self._log(connection.server))[-self.settings.log_lines :]:
            connection.send("console output", line)

    def _command(self, connection: WingsConnection, args: list[str]) -> None:
        """Run a console command: needs control.console, ignored while offline."""
        server = connection.server
        if not self._permitted(connection, "control.console"):
            return
        if server.power_state not in CONTAINER_UP or not args:
            return
        server.commands.append(args[0])

    def _set_state(self, connection: WingsConnection, args: list[str]) -> None:
        """Apply a power signal: silently ignored without the permission."""
        raw = args[0] if args else ""
        permission = SIGNAL_PERMISSIONS.get(raw)
        if permission is None:
            connection.send("daemon error", self._daemon_error(connection.server))
            return
        if not self._permitted(connection, permission):
            return
        connection.server.apply_signal(PowerSignal(raw))
        self.wake()

    def _permitted(self, connection: WingsConnection, permission: str) -> bool:
        """Return whether the socket's token grants `permission`."""
        return has_permission(connection.permissions or [], permission)

    def _daemon_error(self, server: SimServer) -> str:
        """Return the generic `daemon error` text (no admin.websocket.errors permission)."""
        return f"Error Event [{server.uuid}]: {GENERIC_DAEMON_ERROR}"

    # Wings -> client, driven by one pump task for all sockets.

    async def _run_pump(self) -> None:
        """Sample power states, stats, chatter and token expiry until the simulator stops."""
        while True:
            self._tick()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.state_check_interval):
                    await self._wake.wait()
            self._wake.clear()

    def _tick(self) -> None:
        """Do whatever is due now for every server with a socket open."""
        now = _loop_time()
        servers = {c.server.identifier: c.server for c in self.connections}
        for identifier in set(self._observed) - set(servers):
            # Nobody watched it for a while: the next look starts fresh.
            del self._observed[identifier]
        for server in servers.values():
            self._observe(server, now)
        for connection in list(self.connections):
            if connection.authenticated and now >= connection.next_token_check:
                self._check_token(connection, now)

    def _observe(self, server: SimServer, now: float) -> None:
        """Emit status on a state change, stats while up and chatter while running."""
        state = server.power_state
        key = server.identifier
        for connection in self._live(server):
            if connection.last_state is not state:
                connection.last_state = state
                connection.send("status", state.value)
        previous = self._observed.get(key)
        if previous is not state:
            self._observed[key] = state
            # The first look only learns the state; lines belong to real transitions.
            if previous is not None:
                self._transition_lines(server, state)
        if state in CONTAINER_UP and now >= self._next_stats.get(key, 0.0):
            self._next_stats[key] = now + self.settings.stats_interval
            self.broadcast(server, "stats", _stats_json(server))
        interval = self.settings.console_interval
        if (
            state is PowerState.RUNNING
            and interval is not None
            and now >= self._next_chatter.setdefault(key, now + interval)
        ):
            self._next_chatter[key] = now + interval
            self._chatter(server)

    def _transition_lines(self, server: SimServer, state: PowerState) -> None:
        """Print what a game prints when it boots, becomes ready or stops."""
        if state is PowerState.STARTING:
            lines = _BOOT_LINES.get(server.game, _GENERIC_BOOT)
        elif state is PowerState.RUNNING:
            lines = _READY_LINES.get(server.game, _GENERIC_READY)
        elif state is PowerState.STOPPING:
            lines = [_STOP_LINE]
        else:
            return
        for line in lines:
            self.console_line(server.identifier, line)

    def _chatter(self, server: SimServer) -> None:
        """Print the next routine line of a running game."""
        lines = _CHATTER.get(server.game, _GENERIC_CHATTER)
        index = self._chatter_index[server.identifier]
        self._chatter_index[server.identifier] += 1
        self.console_line(server.identifier, lines[index % len(lines)])

    def _check_token(self, connection: WingsConnection, now: float) -> None:
        """Warn about a token about to expire, and say when it has (every check, like Wings)."""
        connection.next_token_check = now + self.settings.token_check_interval
        remaining = connection.expires_at - self.sim.unix_time()
        if remaining <= 0:
            connection.send("token expired")
        elif remaining <= EXPIRING_WITHIN:
            connection.send("token expiring")

    def _live(self, server: SimServer) -> list[WingsConnection]:
        """Return the server's sockets that Wings sends events to (valid token)."""
        return [
            c for c in self.connections if c.server is server and self._token_problem(c) is None
        ]

    def _log(self, server: SimServer) -> deque[str]:
        """Return the server's console history."""
        return self.logs.setdefault(server.identifier, deque(maxlen=self.settings.log_lines))


def _is_for(connection: WingsConnection, identifier: str | None) -> bool:
    """Return whether a socket belongs to the server (any server for None)."""
    return identifier is None or connection.server.matches(identifier)


def _loop_time() -> float:
    """Return the event loop's clock: socket timers run in real time, unlike the sim clock."""
    return asyncio.get_running_loop().time()


def _parse_frame(data: str) -> tuple[str | None, list[str]]:
    """Return a frame's event and string args; (None, []) for anything else."""
    try:
        frame = json.loads(data)
    except ValueError:
        return None, []
    if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
        return None, []
    args = frame.get("args")
    return frame["event"], [str(a) for a in args] if isinstance(args, list) else []


def _stats_json(server: SimServer) -> str:
    """Return the `stats` argument: ResourceUsage as wings marshals it (server/resources.go)."""
    stats = server.stats()
    return json.dumps(
        {
            "memory_bytes": stats.memory_bytes,
            "memory_limit_bytes": stats.memory_limit_bytes,
            "cpu_absolute": stats.cpu_absolute,
            "network": {"rx_bytes": stats.network_rx_bytes, "tx_bytes": stats.network_tx_bytes},
            "uptime": stats.uptime,
            "state": stats.state.value,
            "disk_bytes": stats.disk_bytes,
        }
    )


async def _write(connection: WingsConnection) -> None:
    """Send queued frames in order until the socket closes."""
    socket = connection.socket
    while not socket.closed:
        frame = await connection.outbox.get()
        try:
            await socket.send_str(frame)
        except ConnectionError:
            return


async def _close(connection: WingsConnection) -> None:
    """Close a socket, going-away style; a dead peer must not hold up shutdown."""
    with contextlib.suppress(ConnectionError, TimeoutError):
        await connection.socket.close(code=1001, message=b"going away")
