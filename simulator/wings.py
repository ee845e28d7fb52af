"""Wings: the node's console websocket for every server, served beside the panel.

The socket follows pterodactyl/wings v1.11.11 (Pterodactyl flavours) and pelican-dev/wings
(Pelican flavour). Inbound frames are handled in `wings_protocol`, the events Wings sends on
its own (status, stats, console, token expiry, crashes) in `wings_events`, token checks in
`wings_auth`.
"""

import asyncio
from collections import Counter, deque
import contextlib
import math
import sys

from aiohttp import WSMsgType, web

from simulator.models import SimServer
from simulator.state import PanelState
from simulator.wings_auth import may_receive, token_problem
from simulator.wings_connection import WingsConnection
from simulator.wings_events import WingsPump
from simulator.wings_node import WingsSettings
from simulator.wings_protocol import WingsProtocol, parse_frame

WEBSOCKET_PATH = "/api/servers/{uuid}/ws"
# Wings' own routes; the panel's are under /api/client and /api/application.
WINGS_PREFIX = "/api/servers/"
# Inbound events kept per server for assertions: a day of token renewals must not grow them.
RECEIVED_KEPT = 50
# pelican-dev/wings router/router_server_ws.go: `s.Websockets().Len() >= 30` -> 400.
PELICAN_MAX_SOCKETS = 30
# pelican-dev/wings router/websocket/websocket.go GetHandler: conn.SetReadLimit(4096).
PELICAN_READ_LIMIT = 4096
# pelican-dev/wings router/router_server_ws.go: non-text frames and frames over 32 768 bytes
# are dropped (unreachable past the read limit, kept for fidelity).
PELICAN_FRAME_LIMIT = 32_768


def websocket_url(host: str, server: SimServer, *, secure: bool = False) -> str:
    """Return the socket URL for a server; the simulator plays the node on its own port."""
    # WebsocketController turns the node's https:// into wss:// and http:// into ws://.
    scheme = "wss" if secure else "ws"
    return f"{scheme}://{host}{WEBSOCKET_PATH.format(uuid=server.uuid)}"


class Wings:
    """The node daemon's console websocket for every server of the simulator."""

    def __init__(self, panel: PanelState, settings: WingsSettings | None = None) -> None:
        """Serve `panel`'s servers."""
        self.panel = panel
        self.settings = settings or WingsSettings()
        # router/tokens/websocket.go: tokens issued before Wings booted are denylisted.
        self.booted_at = math.floor(panel.unix_time())
        self.connections: list[WingsConnection] = []
        # Sockets accepted per server identifier, while the server exists.
        self.connects: Counter[str] = Counter()
        # The latest inbound events per server identifier, in order (tokens are not kept).
        self.received: dict[str, list[str]] = {}
        self.logs: dict[str, deque[str]] = {}
        self.protocol = WingsProtocol(self)
        self.pump = WingsPump(self)
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._writers: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def pelican(self) -> bool:
        """Return whether this node runs pelican-dev/wings."""
        return self.panel.spec.is_pelican

    # Test controls.

    def count(self, identifier: str | None = None) -> int:
        """Return how many sockets are open, for one server or all."""
        return sum(1 for c in self.connections if _is_for(c, identifier))

    def forget(self, identifier: str) -> None:
        """Drop what is kept about a deleted server (its sockets are closed separately)."""
        for kept in (self.connects, self.received, self.logs):
            kept.pop(identifier, None)
        self.pump.forget(identifier)

    def console_line(self, identifier: str, line: str) -> None:
        """Print a line on a server's console: kept for `send logs`, sent to its sockets."""
        server = self.panel.server(identifier)
        self.log(server).append(line)
        self.broadcast(server, "console output", line)

    def broadcast(self, server: SimServer, event: str, *args: str) -> None:
        """Publish an event to every socket of a server that registered listeners."""
        for connection in self.connections:
            if connection.server is server and connection.authenticated:
                self.send_json(connection, event, *args)

    def token_problem(self, connection: WingsConnection) -> str | None:
        """Return why the socket's token is not valid now (Handler.TokenValid), or None."""
        return token_problem(
            connection,
            now_unix=self.panel.unix_time(),
            booted_at=self.booted_at,
            pelican=self.pelican,
        )

    def send_json(self, connection: WingsConnection, event: str, *args: str) -> None:
        """Send an event the way Handler.SendJson does: `jwt error` instead if the token fails."""
        # router/websocket/websocket.go SendJson: TokenValid() first, then permission filters.
        problem = self.token_problem(connection)
        if problem is not None:
            connection.send("jwt error", problem)
        elif may_receive(connection.permissions or [], event):
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
        """Make the tokens of open sockets expire `remaining` seconds from now; check at once.

        0 (or less) means already expired: the check then sends `jwt error`.
        """
        now_unix = self.panel.unix_time()
        exp = math.floor(now_unix + remaining) - (1 if remaining <= 0 else 0)
        for connection in self.connections:
            if _is_for(connection, identifier) and connection.authenticated:
                connection.expires_at = exp
                connection.next_token_check = 0.0
        self.wake()

    def crash(self, identifier: str, *, exit_code: int = 1, oom: bool = False) -> bool:
        """Make a server's process exit on its own; see WingsPump.crash."""
        return self.pump.crash(self.panel.server(identifier), exit_code=exit_code, oom=oom)

    def server_deleted(self, server: SimServer) -> None:
        """Wings' DELETE /api/servers/:server: `deleted`, then close its sockets."""
        # router/router_server.go deleteServer publishes DeletedEvent (data nil -> "null"),
        # then CleanupForDestroy cancels the server context. pterodactyl/wings
        # router/router_server_ws.go then writes close 1001 "server deleted"; pelican-dev/wings
        # router/router_server_ws.go cancels the socket: Connection.Close(), no close frame.
        self.broadcast(server, "deleted", "null")
        for connection in self.connections:
            if connection.server is server:
                connection.outbox.put_nowait(None if self.pelican else (1001, b"server deleted"))

    def server_suspended(self, server: SimServer) -> None:
        """Pelican's Server.Sync() on suspension: Websockets().CancelAll() (no close frame)."""
        # pelican-dev/wings server/server.go Sync. pterodactyl/wings leaves the sockets open.
        if self.pelican:
            self.drop(server.identifier)

    async def disconnect(self, identifier: str | None = None, *, abort: bool = False) -> int:
        """Close a server's sockets (all with None); `abort` drops TCP without a close frame."""
        if abort:
            return self.drop(identifier)
        chosen = [c for c in self.connections if _is_for(c, identifier)]
        await asyncio.gather(*(_close(c, 1001, b"going away") for c in chosen))
        return len(chosen)

    def drop(self, identifier: str | None = None) -> int:
        """Drop a server's connections without a close frame, as a crashed node does."""
        chosen = [c for c in self.connections if _is_for(c, identifier)]
        for connection in chosen:
            _abort(connection)
        return len(chosen)

    def drop_connection(self, connection: WingsConnection) -> None:
        """End one socket without a close frame (Go's Connection.Close())."""
        _abort(connection)

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

    def log(self, server: SimServer) -> deque[str]:
        """Return the server's console history (the container log `send logs` reads)."""
        return self.logs.setdefault(server.identifier, deque(maxlen=self.settings.log_lines))

    # The socket.

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /api/servers/{uuid}/ws: check the Origin, upgrade, then serve frames."""
        server = self.panel.find_server(request.match_info["uuid"])
        if server is None or len(request.match_info["uuid"]) == 8:
            return web.json_response(
                {"error": "The requested resource does not exist."}, status=404
            )
        if server.node_down or self._closing:
            # The node is unreachable: what the proxy in front of it answers.
            return web.Response(status=502, text="Bad Gateway")
        if self.pelican and self.count(server.identifier) >= PELICAN_MAX_SOCKETS:
            # pelican-dev/wings router/router_server_ws.go, before the upgrade.
            return web.json_response({"error": "Too many open websocket connections."}, status=400)
        if not self._origin_allowed(request.headers.get("Origin")):
            # gorilla/websocket's Upgrader answers a refused Origin with 403.
            return web.Response(status=403, text="Forbidden")
        socket = web.WebSocketResponse(
            timeout=1.0,
            # pterodactyl/wings sets no read limit; pelican-dev/wings 4096 (gorilla: close 1009).
            max_msg_size=PELICAN_READ_LIMIT if self.pelican else 0,
            autoping=self.settings.answer_pings,
        )
        await socket.prepare(request)
        connection = WingsConnection(server=server, socket=socket, request=request)
        self._register(connection)
        try:
            if self.pelican and server.is_suspended:
                # pelican-dev/wings router/router_server_ws.go: upgrade, then close 4409.
                await _close(connection, 4409, b"server is suspended")
            else:
                await self._serve(connection)
        finally:
            self._unregister(connection)
        return socket

    def _origin_allowed(self, origin: str | None) -> bool:
        """Return whether Wings' CheckOrigin passes: the panel URL or an allowed origin."""
        # An exact comparison (router/websocket/websocket.go, CheckOrigin): no slash is dropped.
        allowed = {self.settings.remote or self.panel.panel_url(), *self.settings.allowed_origins}
        return "*" in allowed or (origin is not None and origin in allowed)

    def _register(self, connection: WingsConnection) -> None:
        """Track a new socket and make sure the pump and its writer run."""
        self.connections.append(connection)
        self.connects[connection.server.identifier] += 1
        self.panel.notify_waiters()
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
        self.panel.notify_waiters()

    async def _serve(self, connection: WingsConnection) -> None:
        """Read frames until the client or the simulator closes the socket."""
        async for message in connection.socket:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            data: str | bytes = message.data
            if self.pelican and not _pelican_frame_allowed(connection, message.type, data):
                continue
            event, args = parse_frame(data)
            if event is None:
                continue
            received = self.received.setdefault(connection.server.identifier, [])
            # Interned, and only the latest RECEIVED_KEPT kept.
            received.append(sys.intern(event))
            del received[:-RECEIVED_KEPT]
            self.protocol.inbound(connection, event, args)
            self.panel.notify_waiters()

    async def _run_pump(self) -> None:
        """Sample power states, stats, chatter and token expiry until the simulator stops."""
        while True:
            self.pump.tick(_loop_time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.state_check_interval):
                    await self._wake.wait()
            self._wake.clear()


def _is_for(connection: WingsConnection, identifier: str | None) -> bool:
    """Return whether a socket belongs to the server (any server for None)."""
    return identifier is None or connection.server.matches(identifier)


def _pelican_frame_allowed(connection: WingsConnection, kind: WSMsgType, data: str | bytes) -> bool:
    """Apply pelican-dev/wings' per-socket flood limit and frame filter."""
    # router/router_server_ws.go: rate.NewLimiter(rate.Every(200ms), 10); the first frame
    # over it gets `throttled` ["global"], the rest are dropped until one is allowed.
    if not connection.global_bucket.allow(_loop_time()):
        if not connection.global_throttled:
            connection.global_throttled = True
            connection.send("throttled", "global")
        return False
    connection.global_throttled = False
    return kind is WSMsgType.TEXT and len(data) <= PELICAN_FRAME_LIMIT


def _loop_time() -> float:
    """Return the event loop's clock: socket timers run in real time, unlike the sim clock."""
    return asyncio.get_running_loop().time()


def _abort(connection: WingsConnection) -> None:
    """Close the TCP connection without a close frame (Connection.Close() in Go)."""
    transport = connection.request.transport
    if transport is not None:
        transport.abort()


async def _write(connection: WingsConnection) -> None:
    """Send queued frames in order until the socket closes; None aborts, (code, reason) closes."""
    socket = connection.socket
    while not socket.closed:
        item = await connection.outbox.get()
        if item is None:
            _abort(connection)
            return
        if isinstance(item, tuple):
            await _close(connection, *item)
            return
        try:
            await socket.send_str(item)
        except ConnectionError:
            return


async def _close(connection: WingsConnection, code: int, reason: bytes) -> None:
    """Close a socket with a close frame; a dead peer must not hold up shutdown."""
    with contextlib.suppress(ConnectionError, TimeoutError):
        await connection.socket.close(code=code, message=reason)
