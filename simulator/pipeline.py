"""The panel's middleware before the controller, per flavour: what fails first and what counts.

Pterodactyl 1.x (app/Http/Kernel.php `api` + `client-api` groups, RouteServiceProvider at
v1.11.8): auth:sanctum (401), IsValidJson (400), RequireTwoFactorAuthentication (400),
SubstituteClientBindings (404 unknown server), RequireClientApiKey (403), `throttle:api.client`
(429 and the rate headers), AuthenticateServerAccess (404 no access, 409), route throttles, then
the FormRequest (403, 422) and the controller. Only what fails after the throttle is counted and
carries X-RateLimit headers.

Pelican (bootstrap/app.php appends its `api` list to Laravel 11+'s default group, which starts
with SubstituteBindings): the `{server:uuid}` binding (404) runs before authentication; then as
1.x without the 2FA check.

Pterodactyl 0.7 (app/Http/Kernel.php `client-api` at v0.7.19): `throttle:60,1` first, keyed by the
client's IP; then the binding (null for an unknown server), AuthenticateKey (401/403) and
AuthenticateClientAccess (404, or a TypeError's 500 for an unknown server). No JSON, 2FA or
server-state checks.
"""

from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulator import errors, http, transformers
from simulator.errors import PanelError
from simulator.models import Access, SimServer
from simulator.state import PanelState

RATE_HEADERS = web.RequestKey("rate_headers", dict[str, str])
# The `{server}` binding's result: the server, or None when nothing matched.
BOUND = web.RequestKey("bound_server", tuple[SimServer | None])
# The route parameters bound under `{server}` (`{backup}`, `{schedule}`): name -> object.
CHILDREN = web.RequestKey("bound_children", dict[str, object])
type ChildLookup = Callable[[SimServer, str], object | None]


class Pipeline:
    """The panel's middleware, in each flavour's order."""

    def __init__(self, panel: PanelState) -> None:
        """Guard `panel`."""
        self.panel = panel
        # Lookups of the route parameters scoped to `{server}`, by parameter name.
        self.children: dict[str, ChildLookup] = {}

    async def enter(self, request: web.Request, *, two_factor_exempt: bool = False) -> Any:
        """Run the middleware up to and including the account throttle; return the input."""
        spec = self.panel.spec
        if spec.is_legacy:
            return await self._legacy(request)
        if spec.is_pelican:
            # Laravel's default `api` group starts with SubstituteBindings (bootstrap/app.php
            # only appends): an unknown server is a 404 even without a key.
            self._lookup(request)
        key_type = self._key_type(request)
        if key_type is None:
            raise PanelError(401, "AuthenticationException", errors.UNAUTHENTICATED)
        data = await http.read_input(request)
        # Only 1.x puts RequireTwoFactorAuthentication on the API; Pelican registers it on its
        # Filament panels (app/Providers/Filament/PanelProvider.php) only.
        panel = self.panel
        two_factor = not spec.is_pelican and panel.require_2fa and not two_factor_exempt
        if two_factor and not panel.account.two_factor_enabled:
            raise PanelError(400, "TwoFactorAuthRequiredException", errors.TWO_FACTOR)
        # 1.x: SubstituteClientBindings, before RequireClientApiKey and the throttle.
        self._lookup(request)
        if key_type == "application":
            raise PanelError(403, "AccessDeniedHttpException", errors.APPLICATION_KEY)
        self._throttle(request)
        return data

    async def _legacy(self, request: web.Request) -> Any:
        """0.7: throttle by IP, then the key (app/Http/Middleware/Api/AuthenticateKey.php)."""
        self._throttle(request)
        token = _bearer_token(request)
        if token is None:
            raise PanelError(
                401, "HttpException", errors.LEGACY_GENERIC, headers={"WWW-Authenticate": "Bearer"}
            )
        if self.panel.key_type(token) != "client":
            raise PanelError(403, "AccessDeniedHttpException", errors.LEGACY_GENERIC)
        # No IsValidJson in 0.7: a malformed body is just empty input.
        return await http.read_input(request, strict=False)

    def _key_type(self, request: web.Request) -> str | None:
        """Return the type of the request's bearer key, None when it is missing or unknown."""
        token = _bearer_token(request)
        return self.panel.key_type(token) if token is not None else None

    def _lookup(self, request: web.Request) -> SimServer | None:
        """Resolve `{server}` once; 1.x and Pelican refuse an unknown one with 404."""
        value = request.match_info.get("server")
        if value is None:
            return None
        if BOUND in request:
            return request[BOUND][0]
        if self.panel.spec.is_legacy:
            # SubstituteClientApiBindings: `uuidShort` only, and null rather than a 404.
            server = self.panel.servers.get(value)
        else:
            server = self.panel.find_server(value)
        request[BOUND] = (server,)
        if server is None and not self.panel.spec.is_legacy:
            raise PanelError(404, "NotFoundHttpException", errors.NOT_FOUND)
        if server is not None:
            self._bind_children(request, server)
        return server

    def _bind_children(self, request: web.Request, server: SimServer) -> None:
        """Resolve `{backup}`/`{schedule}` within the server, in the same binding step.

        RouteServiceProvider's `scopeBindings()` (P1 and PE) resolves them through the server's
        relation (`$server->backups()->where('uuid', …)`): another server's or an unknown one is
        a ModelNotFoundException, the 404 an unknown server gets.
        """
        bound: dict[str, object] = {}
        for name, lookup in self.children.items():
            value = request.match_info.get(name)
            if value is None:
                continue
            child = lookup(server, value)
            if child is None:
                raise PanelError(404, "NotFoundHttpException", errors.NOT_FOUND)
            bound[name] = child
        request[CHILDREN] = bound

    def child[T](self, request: web.Request, name: str, kind: type[T]) -> T:
        """Return the `kind` object bound to route parameter `name` (after `bind`)."""
        bound = request[CHILDREN][name]
        if not isinstance(bound, kind):
            raise TypeError(f"{name} is bound to {bound!r}")
        return bound

    def bind(self, request: web.Request) -> SimServer:
        """Return the bound server if the account may see it (AuthenticateServerAccess)."""
        server = self._lookup(request)
        if server is None:
            # 0.7 AuthenticateClientAccess hands the null binding to
            # DaemonKeyProviderService::handle(Server $server): a TypeError, rendered as 500.
            raise PanelError(500, "FatalThrowableError", errors.LEGACY_GENERIC)
        if server.access is Access.NONE and not self.panel.account.root_admin:
            detail = errors.LEGACY_GENERIC if self.panel.spec.is_legacy else errors.NO_ACCESS
            raise PanelError(404, "NotFoundHttpException", detail)
        return server

    def check_state(self, server: SimServer, route: str) -> None:
        """Refuse servers in a conflicting state (AuthenticateServerAccess, 1.x and Pelican)."""
        spec = self.panel.spec
        # 0.7's client API checks no server state: its daemon refuses suspended servers.
        if spec.is_legacy or route == "view":
            return
        # Pelican translates the detail into the panel's locale; Pterodactyl's is English.
        detail = errors.conflict_detail(
            server, self.panel.locale if spec.is_pelican else "en", pelican=spec.is_pelican
        )
        if detail is None:
            return
        admin_exempt = self.panel.account.root_admin and route == "websocket"
        if not spec.is_pelican and (server.is_suspended or server.node_maintenance):
            # 1.x: suspension and maintenance refuse root admins too. Pelican dropped this in
            # 235c8fb ("allow admins to access suspended servers in client API").
            admin_exempt = False
        if not admin_exempt:
            raise PanelError(409, "ServerStateConflictException", detail)

    def authorize(self, server: SimServer, permission: str) -> None:
        """Raise the 403 of a FormRequest whose authorization fails."""
        if not transformers.can(server, self.panel.account, permission):
            raise PanelError(403, "AccessDeniedHttpException", errors.UNAUTHORIZED)

    # Throttles.

    def account_bucket(self, request: web.Request) -> str:
        """Return the account throttle's key."""
        if self.panel.spec.old_laravel:
            # Laravel 5.7 keys by the session user, which API keys never have: by IP.
            return f"ip:{request.remote}"
        # One bucket per user, shared by all of the user's keys (RouteServiceProvider).
        return f"user:{self.panel.account.uuid}"

    def _throttle(self, request: web.Request) -> None:
        """Count the request against the account's limit; 429 when it is used up."""
        panel = self.panel
        decision = panel.limiter.hit(self.account_bucket(request), panel.rate_limit)
        request[RATE_HEADERS] = decision.headers()
        if not decision.allowed:
            raise PanelError(
                429, "ThrottleRequestsException", errors.TOO_MANY, headers=decision.headers()
            )

    def route_limit(self, request: web.Request, route: str, server: SimServer) -> None:
        """Apply a flavour's extra per-route throttle, nested inside the account's."""
        panel = self.panel
        limit = panel.spec.route_limits.get(route)
        if limit is None:
            return
        limiter = panel.limiter
        if limit.per_server:
            bucket = f"{route}:server:{server.uuid}"
        else:
            bucket = f"{route}:user:{panel.account.uuid}"
        decision = limiter.hit(bucket, limit.limit, limit.window_seconds)
        if panel.spec.old_laravel:
            # Laravel 5.7's Routing\Pipeline renders the inner throttle's 429 into a response,
            # and the outer throttle's addHeaders() overwrites Limit and Remaining (the
            # account's, counted after both hits); Retry-After and Reset stay the inner one's.
            account = limiter.peek(self.account_bucket(request), panel.rate_limit).headers()
            if not decision.allowed:
                raise PanelError(
                    429,
                    "ThrottleRequestsException",
                    errors.TOO_MANY,
                    headers={**decision.headers(), **account},
                )
            request[RATE_HEADERS] = account
            return
        if not decision.allowed:
            raise PanelError(
                429, "ThrottleRequestsException", errors.TOO_MANY, headers=decision.headers()
            )
        if decision.remaining <= int(request[RATE_HEADERS]["X-RateLimit-Remaining"]):
            # Laravel 11+'s ThrottleRequests::getHeaders: the outer (account) throttle keeps the
            # headers the inner one wrote unless it has fewer attempts left, so the answer shows
            # the nearer limit: after Pelican's first token request, `X-RateLimit-Limit: 5`.
            request[RATE_HEADERS] = decision.headers()


def _bearer_token(request: web.Request) -> str | None:
    """Return Laravel's `bearerToken()`: the text after the last "Bearer ", up to a comma."""
    header = request.headers.get("Authorization", "")
    position = header.rfind("Bearer ")
    if position < 0:
        return None
    token = header[position + 7 :].split(",", 1)[0]
    return token or None
