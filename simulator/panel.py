"""PanelSimulator: the object tests talk to, the panel's state served with its Wings."""

import ssl
from types import TracebackType
from typing import Any, Literal, Self, Unpack

from aiohttp import web

from simulator.app import build_app
from simulator.fleet import query_for
from simulator.games import GameHub, GameModel
from simulator.models import Access, PowerState, ServerStatus, SimServer
from simulator.panel_controls import WorkloadControls
from simulator.state import PanelOptions
from simulator.wings import Wings
from simulator.wings_node import WingsSettings


# The state itself rather than a wrapper of it: what a test sets on the simulator
# (`rate_limit`, `account`, `app_url`, ...) is what the HTTP app and Wings read.
class PanelSimulator(WorkloadControls):
    """A Pterodactyl/Pelican panel's client API with a fleet of simulated servers and their node."""

    # `games=True`: each server whose game answers a player query gets a real responder on an
    # ephemeral 127.0.0.1 port, which its default allocation lists. Set on the class too, as
    # PanelState's constructor adds the first servers before this one runs.
    games: GameHub | None = None

    def __init__(
        self,
        *,
        wings: WingsSettings | None = None,
        games: bool = False,
        **options: Unpack[PanelOptions],
    ) -> None:
        """Create the panel (see PanelState), its node (`wings`: its intervals) and `games`."""
        super().__init__(**options)
        # The node's console websocket; `wings.settings` holds its (real-time) intervals.
        self.wings = Wings(self, wings)
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        if games:
            self.games = GameHub(self.notify_waiters)
            for server in self.servers.values():
                self.games.attach(server, query_for(server.egg))

    # Servers.

    def add_server(self, name: str | None = None, **options: Any) -> SimServer:
        """Add a server (see PanelState.add_server), with its game when games are on."""
        server = super().add_server(name, **options)
        if self.games is not None:
            self.games.attach(server, query_for(server.egg))
        return server

    def game(self, identifier: str) -> GameModel:
        """Return a server's game; KeyError when its game answers no query we speak."""
        if self.games is None:
            raise RuntimeError("games are off: create PanelSimulator(games=True)")
        return self.games.game(self.server(identifier).identifier)

    def set_state(
        self,
        identifier: str,
        *,
        status: ServerStatus | Literal["keep"] | None = "keep",
        transferring: bool | None = None,
        node_maintenance: bool | None = None,
        node_down: bool | None = None,
        power: PowerState | None = None,
    ) -> SimServer:
        """Change any of a server's panel, node or process state; None/"keep" leaves it."""
        server = self.server(identifier)
        if status != "keep":
            server.status = status
        if transferring is not None:
            server.is_transferring = transferring
        if node_maintenance is not None:
            server.node_maintenance = node_maintenance
        if node_down is not None:
            server.node_down = node_down
        if power is not None:
            server.set_power(power)
        return server

    def make_subuser(self, identifier: str, permissions: list[str]) -> SimServer:
        """Turn the account into a subuser of the server with these permissions."""
        server = self.server(identifier)
        server.access = Access.SUBUSER
        server.permissions = list(permissions)
        return server

    def remove_server(self, identifier: str) -> SimServer:
        """Delete a server from the panel."""
        server = self.servers.pop(self.server(identifier).identifier)
        self.workload.forget(server)
        if self.games is not None:
            self.games.detach(server.identifier)
        # Wings' deleteServer: `deleted`, then its sockets close (1001 / Pelican: no frame).
        self.wings.server_deleted(server)
        self.wings.forget(server.identifier)
        return server

    def suspend(self, identifier: str, suspended: bool = True) -> SimServer:
        """Suspend (wings then kills the process) or unsuspend a server."""
        server = self.set_state(identifier, status=ServerStatus.SUSPENDED if suspended else None)
        if suspended:
            server.set_power(PowerState.OFFLINE)
            # Pelican's Wings closes the server's sockets on suspension (Server.Sync).
            self.wings.server_suspended(server)
        return server

    def crash(self, identifier: str, *, exit_code: int = 1, oom: bool = False) -> bool:
        """Make the server's process die on its own; Wings' crash handler may restart it.

        Returns False when the process was not up.
        """
        return self.wings.crash(identifier, exit_code=exit_code, oom=oom)

    def set_installing(
        self, identifier: str, installing: bool = True, *, failed: bool = False
    ) -> SimServer:
        """Mark a server as installing (or install_failed), or as installed."""
        status = ServerStatus.INSTALL_FAILED if failed else ServerStatus.INSTALLING
        return self.set_state(identifier, status=status if installing else None)

    def set_node_down(self, identifier: str, down: bool = True) -> SimServer:
        """Make the server's wings unreachable (v1/legacy: 504, Pelican: `missing`).

        Open console sockets drop without a close frame and new ones are refused (502).
        """
        server = self.set_state(identifier, node_down=down)
        if down:
            self.wings.drop(identifier)
        return server

    # Wings websocket.

    def console_line(self, identifier: str, line: str) -> None:
        """Print a line on a server's console (sent to its sockets, kept for `send logs`)."""
        self.wings.console_line(identifier, line)

    def send_websocket_event(self, identifier: str, event: str, *args: str) -> None:
        """Send any Wings event (`daemon error`, ...) to a server's authenticated sockets."""
        self.wings.broadcast(self.server(identifier), event, *args)

    async def disconnect_websockets(
        self, identifier: str | None = None, *, abort: bool = False
    ) -> int:
        """Close a server's sockets (every socket for None); return how many were open."""
        return await self.wings.disconnect(identifier, abort=abort)

    def websocket_count(self, identifier: str | None = None) -> int:
        """Return how many console sockets are open, for one server or all."""
        return self.wings.count(identifier)

    def websocket_connects(self, identifier: str) -> int:
        """Return how many console sockets a server has accepted so far."""
        return self.wings.connects[self.server(identifier).identifier]

    def websocket_token_requests(self, identifier: str) -> int:
        """Return how many GET /websocket requests were made for a server (refused ones too)."""
        return len(self.api_requests(server=identifier, path_contains="/websocket"))

    def expire_websocket_tokens(
        self, identifier: str | None = None, *, remaining: float = 0.0
    ) -> None:
        """Make open sockets' tokens expire in `remaining` seconds and check them at once."""
        self.wings.expire_tokens(identifier, remaining=remaining)

    # Serving.

    @property
    def app(self) -> web.Application:
        """Return the aiohttp application (built once)."""
        if self._app is None:
            self._app = build_app(self, self.wings)
        return self._app

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None
    ) -> str:
        """Serve on a real socket and return the base URL (port 0 picks a free port).

        With `ssl_context` the panel speaks HTTPS; after `stop()` it may start again on the
        same port, with another certificate, as a panel does when its certificate is renewed.
        """
        if self._runner is not None:
            raise RuntimeError("already started")
        # Cancel handlers whose client went away (delay faults) and do not wait on shutdown.
        runner = web.AppRunner(
            self.app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        self.wings.open()
        if self.games is not None:
            await self.games.start()
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        scheme = "http" if ssl_context is None else "https"
        self.url = f"{scheme}://{shown}:{bound[1]}"
        return self.url

    async def add_address(self, host: str = "127.0.0.1") -> str:
        """Serve on one more port too; return that base URL: the same panel at another address."""
        if self._runner is None:
            raise RuntimeError("not started")
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        bound = self._runner.addresses[-1]
        return f"http://{bound[0]}:{bound[1]}"

    async def stop(self) -> None:
        """Close every console socket and its tasks, then stop serving."""
        await self.wings.close()
        if self.games is not None:
            await self.games.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.url = None

    async def __aenter__(self) -> Self:
        """Start on 127.0.0.1 with a free port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        await self.stop()
