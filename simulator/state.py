"""PanelState: what the simulated panel knows (account, keys, servers, faults, request log)."""

import asyncio
from collections.abc import Callable
from dataclasses import fields
import random
import re
import secrets
import time
from typing import Literal, TypedDict

from simulator.clock import Clock
from simulator.faults import Fault, RequestRecord
from simulator.flavors import SPECS, Flavor, make_key
from simulator.fleet import build_server, template_for, template_named
from simulator.models import Access, Account, PowerState, ServerStatus, SimServer
from simulator.ratelimit import RateLimiter
from simulator.tokens import TOKEN_LIFETIME
from simulator.workload import Workload

type KeyType = Literal["client", "application"]

_SERVER_PATH = re.compile(r"^/api/client/servers/([^/]+)")
_SERVER_FIELDS = frozenset(f.name for f in fields(SimServer) if not f.name.startswith("_"))


class PanelOptions(TypedDict, total=False):
    """PanelState's keyword arguments, for PanelSimulator to pass on."""

    flavor: Flavor | str
    servers: int
    seed: int
    clock: Clock
    latency_ms: float
    rate_limit: int | None
    running: int
    start_seconds: float
    stop_seconds: float
    require_2fa: bool
    root_admin: bool
    resources_cache_seconds: float
    host_cores: int
    epoch: float | None
    request_log_limit: int | None
    token_lifetime: float
    app_url: str | None
    locale: str


class PanelState:
    """The panel's data and settings, read by its HTTP app and by the Wings it signs tokens for."""

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
        self.servers: dict[str, SimServer] = {}
        self.requests: list[RequestRecord] = []
        # Long-running demos cap the log; tests keep everything.
        self.request_log_limit = request_log_limit
        self.faults: list[Fault] = []
        # Who waits for a condition of the panel or its Wings: looked at again at every change.
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._created = 0
        # The address the panel is served at, while it is.
        self.url: str | None = None
        # Backups, schedules and the panel's cron jobs (simulator.workload).
        self.workload = Workload(self.spec, clock, self._epoch - self._clock_origin, seed)
        for index in range(servers):
            server = self.add_server()
            if index < running:
                # Running for a while already, so the first poll shows a warmed-up server.
                server.set_power(PowerState.RUNNING, ago=self.rng.uniform(600, 36_000))
        self.workload.seed(self.servers.values())

    def panel_url(self) -> str:
        """Return the panel's APP_URL: the configured one, else the address it is served at."""
        url = self.app_url or self.url
        if url is None:
            raise RuntimeError("the simulator is not serving")
        return url

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
        template: str | None = None,
        **overrides: object,
    ) -> SimServer:
        """Add a server of the next fleet game (or of `template`); `overrides` set its fields."""
        template_of, default_name = template_for(self._created)
        if template is not None:
            template_of, default_name = template_named(template), template
        self._created += 1
        server = build_server(
            template_of,
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

    def take_fault(self, method: str, path: str, server: str | None) -> Fault | None:
        """Return the first fault matching a request and count the hit."""
        for fault in self.faults:
            if fault.matches(method, path, server):
                fault.hits += 1
                if fault.exhausted:
                    self.faults.remove(fault)
                return fault
        return None

    def log_request(self, record: RequestRecord) -> None:
        """Append to the request log, dropping the oldest entries beyond the limit."""
        self.requests.append(record)
        limit = self.request_log_limit
        if limit is not None and len(self.requests) > limit:
            del self.requests[: len(self.requests) - limit]
        self.notify_waiters()

    # Waiting.

    async def async_wait_for(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, looking again whenever the panel or its Wings changes.

        Looked at again when a request is logged and when Wings accepts a socket, loses one or
        receives a frame. Bring your own timeout: this waits for as long as it takes.
        """
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        finally:
            self._waiters.remove(waiter)

    def notify_waiters(self) -> None:
        """Look at every waiter's condition again: something it may read has just changed."""
        for condition, future in list(self._waiters):
            if future.done():
                continue
            try:
                met = condition()
            except Exception as err:
                future.set_exception(err)
            else:
                if met:
                    future.set_result(None)

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
