"""The aiohttp application: client API routes, panel middleware order and fault injection."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator import errors, http, injection, listing, transformers, wings
from simulator.errors import PanelError
from simulator.faults import FaultKind, RequestRecord
from simulator.models import CONTAINER_UP, SIGNAL_PERMISSIONS, Access, PowerSignal, SimServer

if TYPE_CHECKING:
    from simulator.panel import PanelSimulator

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RATE_HEADERS = web.RequestKey("rate_headers", dict[str, str])
VALID_SIGNALS = ",".join(signal.value for signal in PowerSignal)
SERVER_ROUTE = "/api/client/servers/{server}"


class ClientApi:
    """Handlers for the panel's client API, in the panel's middleware order.

    Order: route match (404/405), authentication (401), throttle (429 and rate headers),
    client-key check (403), JSON validity (400), 2FA (400), server binding (404),
    server state (409), authorization (403), validation (422), then the action.
    """

    def __init__(self, sim: PanelSimulator) -> None:
        """Serve `sim`."""
        self.sim = sim
        self._resource_cache: dict[str, tuple[float, dict[str, Any]]] = {}

    # Request pipeline.

    async def _client(
        self, request: web.Request, *, two_factor_exempt: bool = False
    ) -> dict[str, Any]:
        """Authenticate and throttle; return the request input."""
        sim = self.sim
        token = _bearer_token(request)
        key_type = sim.key_type(token) if token is not None else None
        if sim.spec.is_legacy:
            if token is None:
                raise PanelError(
                    401, "HttpException", errors.LEGACY_NO_BEARER,
                    headers={"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
            if key_type != "client":
                raise PanelError(403, "AccessDeniedHttpException", "")
        elif key_type is None:
            raise PanelError(401, "AuthenticationException", errors.UNAUTHENTICATED)
        # One bucket per user, shared by all of the user's keys.
        decision = sim.limiter.hit(f"user:{sim.account.uuid}", sim.rate_limit)
        request[RATE_HEADERS] = decision.headers()
        if not decision.allowed:
            raise PanelError(
                429, "ThrottleRequestsException", errors.TOO_MANY, headers=decision.headers()
            )
        if key_type == "application":
            raise PanelError(403, "AccessDeniedHttpException", errors.APPLICATION_KEY)
        data = await http.read_input(request)
        if sim.require_2fa and not sim.account.two_factor_enabled and not two_factor_exempt:
            raise PanelError(400, "TwoFactorAuthRequiredException", errors.TWO_FACTOR)
        return data

    def _bind(self, request: web.Request) -> SimServer:
        """Resolve `{server}` and check the account may see it (404 otherwise)."""
        server = self.sim.find_server(request.match_info["server"])
        if server is None:
            raise PanelError(404, "NotFoundHttpException", errors.NOT_FOUND)
        if server.access is Access.NONE and not self.sim.account.root_admin:
            raise PanelError(404, "NotFoundHttpException", errors.NO_ACCESS)
        return server

    def _check_state(self, server: SimServer, route: str) -> None:
        """Refuse servers in a conflicting state (AuthenticateServerAccess)."""
        if self.sim.spec.is_legacy:
            # Panel 0.7 checked only suspension and installation, on every server route.
            if server.is_suspended:
                raise PanelError(
                    403, "AccessDeniedHttpException",
                    "Cannot access a server that is marked as being suspended.",
                )  # fmt: skip
            if server.is_installing:
                raise PanelError(
                    409, "ConflictHttpException",
                    "Server has not completed the installation process.",
                )  # fmt: skip
            return
        if route == "view":
            return
        detail = errors.conflict_detail(server)
        if detail is None:
            return
        # Root admins may still open the websocket of installing or transferring servers.
        admin_exempt = (
            self.sim.account.root_admin
            and route == "websocket"
            and not (server.is_suspended or server.node_maintenance)
        )
        if not admin_exempt:
            raise PanelError(409, "ServerStateConflictException", detail)

    def _authorize(self, server: SimServer, permission: str) -> None:
        """Raise the 403 Laravel's authorization gives."""
        if not transformers.can(server, self.sim.account, permission):
            raise PanelError(403, "AccessDeniedHttpException", errors.UNAUTHORIZED)

    def _route_limit(self, request: web.Request, route: str, server: SimServer) -> None:
        """Apply a flavour's extra per-route throttle."""
        limit = self.sim.spec.route_limits.get(route)
        if limit is None:
            return
        owner = f"server:{server.uuid}" if limit.per_server else f"user:{self.sim.account.uuid}"
        decision = self.sim.limiter.hit(f"{route}:{owner}", limit.limit, limit.window_seconds)
        if not decision.allowed:
            raise PanelError(
                429, "ThrottleRequestsException", errors.TOO_MANY, headers=decision.headers()
            )

    # Routes.

    async def list_servers(self, request: web.Request) -> web.Response:
        """GET /api/client."""
        await self._client(request)
        return http.json_response(
            listing.server_list(request, self.sim.servers.values(), self.sim.spec, self.sim.account)
        )

    async def account(self, request: web.Request) -> web.Response:
        """GET /api/client/account (exempt from the 2FA requirement)."""
        await self._client(request, two_factor_exempt=True)
        return http.json_response(transformers.account_object(self.sim.spec, self.sim.account))

    async def view_server(self, request: web.Request) -> web.Response:
        """GET /api/client/servers/{server}."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "view")
        sim = self.sim
        body = transformers.server_object(server, sim.spec, sim.account)
        if not sim.spec.is_legacy:
            body["meta"] = {
                "is_server_owner": server.is_owner,
                "user_permissions": transformers.user_permissions(server, sim.account),
            }
        return http.json_response(body)

    async def resources(self, request: web.Request) -> web.Response:
        """GET …/resources (v1, Pelican) or …/utilization (legacy)."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "resources")
        sim = self.sim
        self._route_limit(request, sim.spec.stats_route, server)
        now = sim.clock()
        cached = self._resource_cache.get(server.uuid)
        if cached is not None and cached[0] > now:
            return http.json_response(cached[1])
        if server.node_down:
            if not sim.spec.is_pelican:
                raise errors.daemon_unreachable(sim.spec)
            # Pelican catches every wings error and reports the container as missing.
            return http.json_response(transformers.missing_resources_object(server))
        stats = server.stats(now)
        if sim.spec.is_legacy:
            body = transformers.utilization_object(stats, server, sim.host_cores)
        else:
            body = transformers.resources_object(stats, server)
        if sim.resources_cache_seconds > 0:
            if len(self._resource_cache) > len(sim.servers):
                # Deleted servers' answers must not pile up over a long run.
                listed = {s.uuid for s in sim.servers.values()}
                self._resource_cache = {
                    uuid: cached for uuid, cached in self._resource_cache.items() if uuid in listed
                }
            self._resource_cache[server.uuid] = (now + sim.resources_cache_seconds, body)
        return http.json_response(body)

    async def power(self, request: web.Request) -> web.Response:
        """POST …/power: authorization runs before validation."""
        data = await self._client(request)
        server = self._bind(request)
        self._check_state(server, "power")
        signal = data.get("signal")
        permission = SIGNAL_PERMISSIONS.get(signal) if isinstance(signal, str) else None
        self._authorize(server, permission or "__invalid")
        http.validate(self.sim.spec, data, "signal", ["required", "string", f"in:{VALID_SIGNALS}"])
        self._daemon_reachable(server)
        server.apply_signal(PowerSignal(str(signal)))
        # Sockets see the new state at once rather than at the next sample.
        self.sim.wings.wake()
        return web.Response(status=204)

    async def command(self, request: web.Request) -> web.Response:
        """POST …/command: the process must be up, or each flavour refuses differently."""
        data = await self._client(request)
        server = self._bind(request)
        self._check_state(server, "command")
        self._authorize(server, "control.console")
        http.validate(self.sim.spec, data, "command", ["required", "string", "min:1"])
        self._daemon_reachable(server)
        if server.power_state not in CONTAINER_UP:
            if self.sim.spec.is_legacy:
                raise PanelError(
                    412, "PreconditionFailedHttpException", errors.LEGACY_COMMAND_OFFLINE
                )
            if not self.sim.spec.is_pelican:
                raise PanelError(502, "HttpException", errors.COMMAND_OFFLINE)
            # Pelican does not check wings' 502, so the command silently goes nowhere.
            return web.Response(status=204)
        server.commands.append(str(data["command"]))
        return web.Response(status=204)

    def _daemon_reachable(self, server: SimServer) -> None:
        """Raise what the panel answers when it cannot reach the server's wings."""
        if not server.node_down:
            return
        if self.sim.spec.is_pelican:
            # Laravel's HTTP client throws a ConnectionException, rendered as a generic 500.
            raise PanelError(500, "ConnectionException", errors.GENERIC_500)
        raise errors.daemon_unreachable(self.sim.spec)

    async def websocket(self, request: web.Request) -> web.Response:
        """GET …/websocket: a token and the wings socket URL, no object wrapper."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "websocket")
        sim = self.sim
        if not transformers.can(server, sim.account, "websocket.connect"):
            raise PanelError(403, "HttpForbiddenException", errors.WEBSOCKET_FORBIDDEN)
        self._route_limit(request, "websocket", server)
        origin = f"{request.scheme}://{request.host}"
        token = wings.mint_token(
            server=server,
            account=sim.account,
            permissions=transformers.user_permissions(server, sim.account),
            panel_url=origin,
            node_url=origin,
            now_unix=sim.unix_time(),
            secret=sim.node_token,
            lifetime=sim.token_lifetime,
        )
        return http.json_response(
            {
                "data": {
                    "token": token,
                    "socket": wings.websocket_url(request.host, server, secure=request.secure),
                }
            }
        )

    async def login(self, request: web.Request) -> web.Response:
        """GET /auth/login: the panel's login page."""
        return http.login_page()

    async def root(self, request: web.Request) -> web.Response:
        """GET /: browsers without a session land on the login page."""
        return http.login_redirect(request)

    # Middleware: request log, latency, faults and error rendering.

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log the request, add latency, apply faults and render panel errors."""
        sim = self.sim
        if request.path.startswith(wings.WINGS_PREFIX):
            # Wings is another daemon: its socket is not a panel request, so it is not logged.
            return await handler(request)
        started = sim.clock()
        server = sim.server_for_path(request.path)
        record = RequestRecord(
            time=started,
            method=request.method,
            path=request.path,
            query=request.query_string,
            server=server.identifier if server else None,
        )
        sim.log_request(record)
        try:
            if sim.latency_ms > 0:
                await asyncio.sleep(sim.latency_ms / 1000)
            fault = None
            if request.path.startswith("/api/"):
                fault = sim.take_fault(request.method, request.path, record.server)
            if fault is None:
                response = await self._dispatch(request, handler)
            else:
                record.fault = fault.kind
                response = await injection.respond(
                    request, fault, lambda: self._dispatch(request, handler), sim.unix_time
                )
            # A closed connection never delivered a status.
            record.status = 0 if record.fault is FaultKind.CLOSE else response.status
            return response
        finally:
            record.duration = sim.clock() - started

    async def _dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the handler and turn exceptions into panel-formatted responses."""
        spec = self.sim.spec
        try:
            response = await handler(request)
        except PanelError as err:
            response = http.render_error(request, err)
        except web.HTTPMethodNotAllowed as err:
            error = errors.method_not_allowed(
                spec, request.method, request.path, err.allowed_methods
            )
            response = http.render_error(request, error)
        except web.HTTPNotFound:
            response = http.render_error(request, errors.route_not_found(spec, request.path))
        except web.HTTPException as err:
            response = http.render_error(request, errors.for_status(err.status))
        for name, value in request.get(RATE_HEADERS, {}).items():
            response.headers.setdefault(name, value)
        return response


def _bearer_token(request: web.Request) -> str | None:
    """Return Laravel's `bearerToken()`: the text after the last "Bearer ", up to a comma."""
    header = request.headers.get("Authorization", "")
    position = header.rfind("Bearer ")
    if position < 0:
        return None
    token = header[position + 7 :].split(",", 1)[0]
    return token or None


def build_app(sim: PanelSimulator) -> web.Application:
    """Return the aiohttp application for `sim`."""
    api = ClientApi(sim)
    app = web.Application(middlewares=[api.middleware])
    app.router.add_get("/", api.root)
    app.router.add_get("/auth/login", api.login)
    app.router.add_get("/api/client", api.list_servers)
    if sim.spec.has_account_route:
        app.router.add_get("/api/client/account", api.account)
    app.router.add_get(SERVER_ROUTE, api.view_server)
    app.router.add_get(f"{SERVER_ROUTE}/{sim.spec.stats_route}", api.resources)
    app.router.add_post(f"{SERVER_ROUTE}/power", api.power)
    app.router.add_post(f"{SERVER_ROUTE}/command", api.command)
    if sim.spec.has_websocket_route:
        app.router.add_get(f"{SERVER_ROUTE}/websocket", api.websocket)
        app.router.add_get(wings.WEBSOCKET_PATH, sim.wings.handle)
    return app
