"""PanelSimulator: the test-facing object holding the panel's state and serving it."""

from dataclasses import fields
import random
import re
import secrets
import ssl
import time
from types import TracebackType
from typing import Literal, Self

from aiohttp import web

from simulator.app import build_app
from simulator.clock import Clock
from simulator.faults import Fault, RequestRecord
from simulator.flavors import SPECS, Flavor, make_key
from simulator.fleet import build_server, template_for
from simulator.models import Access, Account, PowerState, ServerStatus, SimServer
from simulator.ratelimit import RateLimiter
from simulator.wings import TOKEN_LIFETIME, Wings, WingsSettings

type KeyType = Literal["client", "application"]

_SERVER_PATH = re.compile(r"^/api/client/servers/([^/]+)")
_SERVER_FIELDS = frozenset(f.name for f in fields(SimServer) if not f.name.startswith("_"))


class PanelSimulator:
    """A Pterodactyl/Pelican panel's client API with a fleet of simulated servers."""

    def __init__(
        self,
        *,
        flavor: Flavor | str = Flavor.V1,
        servers: int = 3,
        seed: int = 0,
        clock: Clock = time.monotonic,
        latency_ms: float = 0.0,
        rate_limit: int | None = None,
        running: int = 1,
        start_seconds: float = 3.0,
        stop_seconds: float = 2.0,
        require_2fa: bool = False,
        root_admin: bool = False,
        resources_cache_seconds: float = 0.0,
        host_cores: int = 8,
        epoch: float | None = None,
        request_log_limit: int | None = None,
        wings: WingsSettings | None = None,
        token_lifetime: float = TOKEN_LIFETIME,
        app_url: str | None = None,
        locale: str = "en",
    ) -> None:
        """Create the panel; the first `running` servers start out running."""
        self.flavor = Flavor(flavor)
        self.spec = SPECS[self.flavor]
        self.clock = clock
        self.rng = random.Random(seed)
        self.latency_ms = latency_ms
        self.rate_limit = self.spec.rate_limit if rate_limit is None else rate_limit
        self.start_seconds = start_seconds
        self.stop_seconds = stop_seconds
        self.require_2fa = require_2fa
        # The real panel caches /resources for 20 s (ResourceUtilizationController); the default
        # 0 is a deliberate test convenience: each read shows the state at once.
        self.resources_cache_seconds = resources_cache_seconds
        self.host_cores = host_cores
        self.account = Account(root_admin=root_admin)
        self._clock_origin = clock()
        self._epoch = time.time() if epoch is None else epoch
        self.limiter = RateLimiter(clock, self.unix_time)
        self._keys: dict[str, KeyType] = {}
        self.client_key = self.new_client_key()
        self.application_key = self.new_application_key()
        self.node_token = secrets.token_urlsafe(48)
        # Seconds a websocket token minted by GET /websocket stays valid (the panel: 10 min).
        self.token_lifetime = token_lifetime
        # The panel's APP_URL: the `iss` of every websocket token and the `remote` its nodes'
        # Wings compare the Origin with. None: the address the simulator is served at.
        self.app_url = app_url
        # The panel's language; Pelican writes its state-conflict details in it.
        self.locale = locale
        # The node's console websocket; `wings.settings` holds its (real-time) intervals.
        self.wings = Wings(self, wings)
        self.servers: dict[str, SimServer] = {}
        self.requests: list[RequestRecord] = []
        # Long-running demos cap the log; tests keep everything.
        self.request_log_limit = request_log_limit
        self.faults: list[Fault] = []
        self._created = 0
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.url: str | None = None
        for index in range(servers):
            server = self.add_server()
            if index < running:
                # Running for a while already, so the first poll shows a warmed-up server.
                server.set_power(PowerState.RUNNING, ago=self.rng.uniform(600, 36_000))

    # Addresses.

    def panel_url(self) -> str:
        """Return the panel's APP_URL: the configured one, else the address it is served at."""
        url = self.app_url or self.url
        if url is None:
            raise RuntimeError("the simulator is not serving")
        return url

    # Time.

    def unix_time(self) -> float:
        """Return wall-clock time that advances with the injected clock."""
        return self._epoch + (self.clock() - self._clock_origin)

    # Keys.

    def new_client_key(self) -> str:
        """Create another client API key for the same user (they share a rate-limit bucket)."""
        key = make_key(self.spec.client_prefix, self.rng)
        self._keys[key] = "client"
        return key

    def new_application_key(self) -> str:
        """Create another application API key."""
        key = make_key(self.spec.application_prefix, self.rng)
        self._keys[key] = "application"
        return key

    def revoke_key(self, key: str) -> None:
        """Delete an API key; requests with it then fail authentication."""
        self._keys.pop(key, None)

    def key_type(self, key: str) -> KeyType | None:
        """Return what a key is, or None for an unknown key."""
        return self._keys.get(key)

    # Servers.

    def add_server(
        self,
        name: str | None = None,
        *,
        access: Access = Access.OWNER,
        permissions: list[str] | None = None,
        power: PowerState = PowerState.OFFLINE,
        status: ServerStatus | None = None,
        **overrides: object,
    ) -> SimServer:
        """Add a server of the next game in the default fleet; `overrides` set SimServer fields."""
        template, default_name = template_for(self._created)
        self._created += 1
        server = build_server(
            template,
            name=name or default_name,
            internal_id=self._created,
            rng=self.rng,
            clock=self.clock,
            start_seconds=self.start_seconds,
            stop_seconds=self.stop_seconds,
        )
        unknown = set(overrides) - _SERVER_FIELDS
        if unknown:
            raise TypeError(f"unknown server fields: {sorted(unknown)}")
        for field_name, value in overrides.items():
            setattr(server, field_name, value)
        server.access = access
        if permissions is not None:
            server.permissions = list(permissions)
        elif access is not Access.OWNER:
            server.permissions = []
        server.status = status
        if power is not PowerState.OFFLINE:
            server.set_power(power)
        self.servers[server.identifier] = server
        return server

    def remove_server(self, identifier: str) -> SimServer:
        """Delete a server from the panel."""
        server = self.servers.pop(self.server(identifier).identifier)
        # Wings' deleteServer: `deleted`, then its sockets close (1001 / Pelican: no frame).
        self.wings.server_deleted(server)
        self.wings.forget(server.identifier)
        return server

    def find_server(self, key: str) -> SimServer | None:
        """Return the server with this 8-char identifier or full uuid, if any."""
        if len(key) == 8:
            return self.servers.get(key)
        return next((s for s in self.servers.values() if s.uuid == key), None)

    def server(self, key: str) -> SimServer:
        """Return the server with this identifier or uuid; KeyError when unknown."""
        server = self.find_server(key)
        if server is None:
            raise KeyError(key)
        return server

    def server_for_path(self, path: str) -> SimServer | None:
        """Return the server a request path addresses, if it exists."""
        match = _SERVER_PATH.match(path)
        return self.find_server(match.group(1)) if match else None

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

    def make_subuser(self, identifier: str, permissions: list[str]) -> SimServer:
        """Turn the account into a subuser of the server with these permissions."""
        server = self.server(identifier)
        server.access = Access.SUBUSER
        server.permissions = list(permissions)
        return server

    # Faults and log.

    def inject_fault(self, fault: Fault) -> Fault:
        """Start applying a fault to matching API requests; returns it for later removal."""
        self.faults.append(fault)
        return fault

    def remove_fault(self, fault: Fault) -> None:
        """Stop applying one fault."""
        if fault in self.faults:
            self.faults.remove(fault)

    def clear_faults(self) -> None:
        """Stop applying every fault."""
        self.faults.clear()

    def log_request(self, record: RequestRecord) -> None:
        """Append to the request log, dropping the oldest entries beyond the limit."""
        self.requests.append(record)
        limit = self.request_log_limit
        if limit is not None and len(self.requests) > limit:
            del self.requests[: len(self.requests) - limit]

    def take_fault(self, method: str, path: str, server: str | None) -> Fault | None:
        """Return the first fault matching a request and count the hit."""
        for fault in self.faults:
            if fault.matches(method, path, server):
                fault.hits += 1
                if fault.exhausted:
                    self.faults.remove(fault)
                return fault
        return None

    def api_requests(
        self, *, server: str | None = None, path_contains: str = ""
    ) -> list[RequestRecord]:
        """Return logged /api/ requests, optionally for one server or path fragment."""
        return [
            r
            for r in self.requests
            if r.path.startswith("/api/")
            and path_contains in r.path
            and (server is None or r.server == server)
        ]

    # Serving.

    @property
    def app(self) -> web.Application:
        """Return the aiohttp application (built once)."""
        if self._app is None:
            self._app = build_app(self)
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
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        scheme = "http" if ssl_context is None else "https"
        self.url = f"{scheme}://{shown}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        """Close every console socket and its tasks, then stop serving."""
        await self.wings.close()
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
