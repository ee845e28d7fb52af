"""The aiohttp application: client API routes, panel middleware order and fault injection."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulator import daemon, errors, http, injection, listing, tokens, transformers
from simulator.errors import PanelError
from simulator.faults import FaultKind, RequestRecord
from simulator.models import SIGNAL_PERMISSIONS, PowerSignal, SimServer
from simulator.pipeline import RATE_HEADERS, Pipeline
from simulator.routes_backups import BackupApi
from simulator.routes_schedules import ScheduleApi
from simulator.state import PanelState
from simulator.wings import WEBSOCKET_PATH, WINGS_PREFIX, Wings, websocket_url

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

VALID_SIGNALS = ",".join(signal.value for signal in PowerSignal)
SERVER_ROUTE = "/api/client/servers/{server}"


class ClientApi:
    """Handlers for the panel's client API, behind the panel's middleware (simulator.pipeline).

    Each handler runs `_client` (authentication, JSON, 2FA, binding and the account throttle, in
    the flavour's order), `_bind` (no access: 404), `_check_state` (409), then the route's own
    throttle, authorization (403), validation (422) and the action.
    """

    def __init__(self, panel: PanelState, node: Wings) -> None:
        """Serve `panel`; power signals wake `node`."""
        self.panel = panel
        self.node = node
        self.pipeline = Pipeline(panel)
        self._resource_cache: dict[str, tuple[float, dict[str, Any]]] = {}

    # Request pipeline (simulator.pipeline).

    async def _client(
        self, request: web.Request, *, two_factor_exempt: bool = False
    ) -> dict[str, Any]:
        """Run the middleware up to the account throttle; return the request input."""
        data: dict[str, Any] = await self.pipeline.enter(
            request, two_factor_exempt=two_factor_exempt
        )
        return data

    def _bind(self, request: web.Request) -> SimServer:
        """Return the `{server}` the account may see (404 otherwise)."""
        return self.pipeline.bind(request)

    def _check_state(self, server: SimServer, route: str) -> None:
        """Refuse servers in a conflicting state (AuthenticateServerAccess)."""
        self.pipeline.check_state(server, route)

    def _authorize(self, server: SimServer, permission: str) -> None:
        """Raise the 403 Laravel's authorization gives."""
        self.pipeline.authorize(server, permission)

    def _route_limit(self, request: web.Request, route: str, server: SimServer) -> None:
        """Apply a flavour's extra per-route throttle, nested inside the account's."""
        self.pipeline.route_limit(request, route, server)

    def _request_id(self) -> str:
        """Return the X-Request-Id of a Wings answer."""
        return daemon.request_id(self.panel.rng.getrandbits(128))

    # Routes.

    async def list_servers(self, request: web.Request) -> web.Response:
        """GET /api/client."""
        await self._client(request)
        return http.json_response(
            listing.server_list(
                request, self.panel.servers.values(), self.panel.spec, self.panel.account
            )
        )

    async def account(self, request: web.Request) -> web.Response:
        """GET /api/client/account (exempt from the 2FA requirement)."""
        await self._client(request, two_factor_exempt=True)
        return http.json_response(transformers.account_object(self.panel.spec, self.panel.account))

    async def view_server(self, request: web.Request) -> web.Response:
        """GET /api/client/servers/{server}."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "view")
        panel = self.panel
        includes = transformers.requested_includes(request.query.get("include"))
        body = transformers.server_object(server, panel.spec, panel.account, includes)
        if not panel.spec.is_legacy:
            body["meta"] = {
                "is_server_owner": server.is_owner,
                "user_permissions": transformers.user_permissions(server, panel.account),
            }
        return http.json_response(body)

    async def resources(self, request: web.Request) -> web.Response:
        """GET …/resources (v1, Pelican; cached) or …/utilization (legacy; not cached)."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "resources")
        panel, spec = self.panel, self.panel.spec
        self._route_limit(request, spec.stats_route, server)
        now = panel.clock()
        # ResourceUtilizationController: `cache->remember("resources:{uuid}", 20 s, …)`.
        cacheable = not spec.is_legacy and panel.resources_cache_seconds > 0
        cached = self._resource_cache.get(server.uuid) if cacheable else None
        if cached is not None and cached[0] > now:
            return http.json_response(cached[1])
        if spec.is_pelican and daemon.fails(spec, server):
            # Pelican's getDetails() catches every Wings failure and returns `missing`, which
            # is cached like any answer (app/Repositories/Daemon/DaemonServerRepository.php).
            body = transformers.missing_resources_object()
        else:
            # A 1.x exception is not cached: it leaves cache->remember before the store.
            failure = daemon.stats_failure(spec, server, self._request_id())
            if failure is not None:
                raise failure
            stats = server.stats(now)
            if spec.is_legacy:
                body = transformers.utilization_object(stats, server, panel.host_cores)
            else:
                body = transformers.resources_object(stats, server)
        if cacheable:
            if len(self._resource_cache) > len(panel.servers):
                # Deleted servers' answers must not pile up over a long run.
                listed = {s.uuid for s in panel.servers.values()}
                self._resource_cache = {
                    uuid: cached for uuid, cached in self._resource_cache.items() if uuid in listed
                }
            self._resource_cache[server.uuid] = (now + panel.resources_cache_seconds, body)
        return http.json_response(body)

    async def power(self, request: web.Request) -> web.Response:
        """POST …/power: authorization runs before validation."""
        data = await self._client(request)
        server = self._bind(request)
        self._check_state(server, "power")
        spec = self.panel.spec
        signal = data.get("signal")
        self._authorize(server, _power_permission(spec.flavor, signal))
        http.validate(spec, data, "signal", ["required", "string", f"in:{VALID_SIGNALS}"])
        failure = daemon.call_failure(spec, server, self._request_id())
        if failure is not None:
            raise failure
        server.apply_signal(PowerSignal(str(signal)))
        # Sockets see the new state at once rather than at the next sample.
        self.node.wake()
        return web.Response(status=204)

    async def command(self, request: web.Request) -> web.Response:
        """POST …/command: the process must be up, or each flavour refuses differently."""
        data = await self._client(request)
        server = self._bind(request)
        self._check_state(server, "command")
        spec = self.panel.spec
        # 0.7 SendCommandRequest: `can('send-command')`; 1.x and Pelican `control.console`.
        self._authorize(server, "send-command" if spec.is_legacy else "control.console")
        http.validate(spec, data, "command", ["required", "string", "min:1"])
        failure = daemon.command_failure(spec, server, self._request_id())
        if failure is not None:
            raise failure
        # Pelican answers 204 even when Wings refused the command, which then goes nowhere.
        if daemon.delivers_command(spec, server):
            server.commands.append(str(data["command"]))
        return web.Response(status=204)

    async def websocket(self, request: web.Request) -> web.Response:
        """GET …/websocket: a token and the wings socket URL, no object wrapper."""
        await self._client(request)
        server = self._bind(request)
        self._check_state(server, "websocket")
        panel = self.panel
        # Pelican's ResourceLimit::Websocket is route middleware: it counts before the
        # controller checks the permission.
        self._route_limit(request, "websocket", server)
        if not transformers.can(server, panel.account, "websocket.connect"):
            raise PanelError(403, "HttpForbiddenException", errors.WEBSOCKET_FORBIDDEN)
        node = f"{request.scheme}://{request.host}"
        token = tokens.mint_token(
            server=server,
            account=panel.account,
            permissions=transformers.user_permissions(server, panel.account),
            # NodeJWTService: issuedBy(config('app.url')), whatever address the request used.
            panel_url=panel.panel_url(),
            node_url=node,
            now_unix=panel.unix_time(),
            secret=panel.node_token,
            lifetime=panel.token_lifetime,
            # Pelican: sha256 jti, `scope: websocket`, no `user_id` (its Wings needs the scope).
            pelican=panel.spec.is_pelican,
        )
        return http.json_response(
            {
                "data": {
                    "token": token,
                    "socket": websocket_url(request.host, server, secure=request.secure),
                }
            }
        )

    async def login(self, request: web.Request) -> web.Response:
        """GET /auth/login: the panel's login page."""
        return http.login_page()

    async def root(self, request: web.Request) -> web.Response:
        """GET /: browsers without a session land on the login page."""
        return http.login_redirect(request)


def _power_permission(flavor: str, signal: Any) -> str:
    """Return the permission a power signal needs (each flavour's SendPowerRequest)."""
    if flavor == "legacy":
        # 0.7: `can('power-' . $this->input('signal', '_undefined'))`.
        return f"power-{signal if signal is not None else '_undefined'}"
    permission = SIGNAL_PERMISSIONS.get(signal) if isinstance(signal, str) else None
    if permission is not None:
        return permission
    # An invalid signal: Pelican falls back to websocket.connect (so a subuser holding it gets
    # the 422), 1.x to a permission nobody holds (403).
    return "websocket.connect" if flavor == "pelican" else "__invalid"


class Frontend:
    """What wraps every request: the log, latency, faults and the panel's error rendering."""

    def __init__(self, panel: PanelState) -> None:
        """Front `panel`."""
        self.panel = panel

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log the request, add latency, apply faults and render panel errors."""
        panel = self.panel
        if request.path.startswith(WINGS_PREFIX):
            # Wings is another daemon: its socket is not a panel request, so it is not logged.
            return await handler(request)
        # What the panel's cron, queue and Wings did since the last look happens first.
        panel.workload.settle()
        started = panel.clock()
        server = panel.server_for_path(request.path)
        record = RequestRecord(
            time=started,
            method=request.method,
            path=request.path,
            query=request.query_string,
            server=server.identifier if server else None,
        )
        panel.log_request(record)
        try:
            if panel.latency_ms > 0:
                await asyncio.sleep(panel.latency_ms / 1000)
            fault = None
            if request.path.startswith("/api/"):
                fault = panel.take_fault(request.method, request.path, record.server)
            if fault is None:
                response = await self._dispatch(request, handler)
            else:
                record.fault = fault.kind
                response = await injection.respond(
                    request, fault, lambda: self._dispatch(request, handler), panel.unix_time
                )
            # A closed connection never delivered a status.
            record.status = 0 if record.fault is FaultKind.CLOSE else response.status
            return response
        finally:
            record.duration = panel.clock() - started

    async def _dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the handler and turn exceptions into panel-formatted responses."""
        spec = self.panel.spec
        error: PanelError | None = None
        try:
            response = await handler(request)
        except PanelError as err:
            error = err
        except web.HTTPMethodNotAllowed as err:
            error = errors.method_not_allowed(
                spec, request.method, request.path, err.allowed_methods
            )
        except web.HTTPNotFound:
            error = errors.route_not_found(spec, request.path)
        except web.HTTPException as err:
            error = errors.for_status(err.status)
        if error is not None:
            if spec.is_legacy:
                error = errors.as_legacy(error)
            response = http.render_error(request, error)
        for name, value in request.get(RATE_HEADERS, {}).items():
            response.headers.setdefault(name, value)
        return response


def build_app(panel: PanelState, node: Wings) -> web.Application:
    """Return the aiohttp application for `panel`, with `node`'s console socket beside it."""
    api = ClientApi(panel, node)
    app = web.Application(middlewares=[Frontend(panel).middleware])
    app.router.add_get("/", api.root)
    app.router.add_get("/auth/login", api.login)
    app.router.add_get("/api/client", api.list_servers)
    if panel.spec.has_account_route:
        app.router.add_get("/api/client/account", api.account)
    app.router.add_get(SERVER_ROUTE, api.view_server)
    app.router.add_get(f"{SERVER_ROUTE}/{panel.spec.stats_route}", api.resources)
    app.router.add_post(f"{SERVER_ROUTE}/power", api.power)
    app.router.add_post(f"{SERVER_ROUTE}/command", api.command)
    if panel.spec.has_websocket_route:
        app.router.add_get(f"{SERVER_ROUTE}/websocket", api.websocket)
        app.router.add_get(WEBSOCKET_PATH, node.handle)
    if not panel.spec.is_legacy:
        BackupApi(panel, api.pipeline).register(app)
        ScheduleApi(panel, api.pipeline).register(app)
    return app
